// Finds ffmpeg and ffprobe (setting tuneStudio.audio.ffmpegPath, else PATH)
// and turns "could not start" into an error that names the setting. Every
// spawn elsewhere uses argument arrays and never a shell.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findOnPath } from '../os/path';

export const FFMPEG_SETTING = 'tuneStudio.audio.ffmpegPath';

export class FfmpegMissingError extends Error {
  readonly code = 'ffmpeg-missing';
  constructor(message: string) {
    super(message);
    this.name = 'FfmpegMissingError';
  }
}

export interface AudioTools {
  ffmpeg: string;
  /** null: no ffprobe found; probing falls back to parsing `ffmpeg -i`. */
  ffprobe: string | null;
  /** Where ffmpeg came from, for error messages. */
  source: 'setting' | 'PATH';
}

const exe = (name: string) => (process.platform === 'win32' ? `${name}.exe` : name);

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves the tools. With a setting, ffprobe is looked for beside it; a
 * setting that does not point at a file is an error (not a silent fallback
 * to PATH, which would hide the mistake).
 */
export function resolveAudioTools(ffmpegSetting?: string, envPath = process.env.PATH ?? ''): AudioTools {
  if (ffmpegSetting) {
    if (!isFile(ffmpegSetting)) {
      throw new FfmpegMissingError(
        `ffmpeg not found at '${ffmpegSetting}' (setting ${FFMPEG_SETTING}). Fix the setting, or clear it to use ffmpeg on PATH.`,
      );
    }
    const probe = path.join(path.dirname(ffmpegSetting), exe('ffprobe'));
    return { ffmpeg: ffmpegSetting, ffprobe: isFile(probe) ? probe : null, source: 'setting' };
  }
  const ffmpeg = findOnPath('ffmpeg', envPath);
  if (!ffmpeg) {
    throw new FfmpegMissingError(
      `ffmpeg was not found on PATH; Tune Studio needs it to read audio. Install it (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg) or set ${FFMPEG_SETTING} to its full path.`,
    );
  }
  return { ffmpeg, ffprobe: findOnPath('ffprobe', envPath), source: 'PATH' };
}

/** The error for a tool that resolved but could not be started (ENOENT, EACCES). */
export function spawnError(tools: AudioTools, tool: string, err: NodeJS.ErrnoException): Error {
  const where = tools.source === 'setting' ? `setting ${FFMPEG_SETTING}` : 'PATH';
  return new FfmpegMissingError(`Could not start ${tool} ('${tool === 'ffprobe' ? tools.ffprobe : tools.ffmpeg}', from ${where}): ${err.code ?? err.message}. Check the file and ${FFMPEG_SETTING}.`);
}
