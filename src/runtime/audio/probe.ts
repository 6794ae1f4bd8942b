// Reads an audio file's duration, codec and format from its headers with
// ffprobe (or `ffmpeg -i` when ffprobe is absent) without decoding the file.
import { spawn } from 'node:child_process';
import { type AudioTools, spawnError } from './ffmpeg';

export interface AudioProbe {
  ok: boolean;
  /** Seconds; null when unknown. */
  duration: number | null;
  codec: string | null;
  sampleRate: number | null;
  channels: number | null;
  format: string | null;
  /** Why the file cannot be read as audio (first line of ffprobe's message). */
  error?: string;
}

const PROBE_TIMEOUT_MS = 30_000;
const MAX_OUTPUT = 256 * 1024;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], tools: AudioTools, tool: string, signal?: AbortSignal): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, signal });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.name === 'AbortError' ? e : spawnError(tools, tool, e));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last message line, without the "FILE: " prefix ffmpeg puts before the cause. */
function lastMessage(s: string, file: string): string {
  const lines = s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const line = lines[lines.length - 1] ?? 'unknown error';
  return line.startsWith(`${file}: `) ? line.slice(file.length + 2) : line;
}

const num = (v: unknown): number | null => {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : null;
};

export async function probeAudio(file: string, tools: AudioTools, signal?: AbortSignal): Promise<AudioProbe> {
  if (tools.ffprobe) {
    const r = await run(
      tools.ffprobe,
      ['-v', 'error', '-hide_banner', '-print_format', 'json', '-show_entries', 'format=duration,format_name:stream=codec_type,codec_name,sample_rate,channels,duration', '--', file],
      tools,
      'ffprobe',
      signal,
    );
    if (r.code !== 0) return fail(lastMessage(r.stderr || `ffprobe exited with code ${r.code}`, file));
    let parsed: { format?: { duration?: string; format_name?: string }; streams?: Array<Record<string, unknown>> };
    try {
      parsed = JSON.parse(r.stdout);
    } catch {
      return fail('ffprobe printed no readable result');
    }
    const audio = (parsed.streams ?? []).find((s) => s.codec_type === 'audio');
    if (!audio) return fail('no audio stream in the file');
    const duration = num(parsed.format?.duration) ?? num(audio.duration);
    return {
      ok: true,
      duration,
      codec: typeof audio.codec_name === 'string' ? audio.codec_name : null,
      sampleRate: num(audio.sample_rate),
      channels: num(audio.channels),
      format: parsed.format?.format_name ?? null,
    };
  }
  // `ffmpeg -i FILE` with no output prints the headers and exits 1 by design.
  const r = await run(tools.ffmpeg, ['-hide_banner', '-nostdin', '-i', file], tools, 'ffmpeg', signal);
  const audio = /Stream #\S+.*?: Audio: ([^,\s]+)[^,]*, (\d+) Hz, ([^,]+)/.exec(r.stderr);
  if (!audio) {
    const err = r.stderr.split('\n').find((l) => /Invalid data|No such file|could not|Error/i.test(l));
    return fail(err ? lastMessage(err, file) : 'no audio stream in the file');
  }
  const d = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(r.stderr);
  const channels = audio[3].trim();
  return {
    ok: true,
    duration: d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : null,
    codec: audio[1],
    sampleRate: Number(audio[2]),
    channels: channels === 'mono' ? 1 : channels === 'stereo' ? 2 : num(channels.split(' ')[0]),
    format: /Input #0, ([^,]+)/.exec(r.stderr)?.[1] ?? null,
  };
}

function fail(error: string): AudioProbe {
  return { ok: false, duration: null, codec: null, sampleRate: null, channels: null, format: null, error };
}
