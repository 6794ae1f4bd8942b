// File-name rules for dataset samples: what is refused outright (anything
// that is a path rather than a name), how acceptable names are sanitised on
// import, and which existing names the trainer cannot read.
import { AUDIO_EXTENSIONS, LYRICS_SUFFIX, PROMPT_SUFFIX } from '../../protocol/datasets';

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
export const MAX_STEM_LENGTH = 120;

/** Why a requested name must be refused (a path, not a name), or null. */
export function refuseReason(name: string): string | null {
  if (name.length === 0) return 'the name is empty';
  if (name.includes('\0')) return 'the name contains a NUL byte';
  if (name.includes('\\')) return 'the name contains a Windows path separator (\\)';
  if (name.includes('/')) return 'the name contains a path separator (/)';
  if (/^[a-zA-Z]:/.test(name)) return 'the name is an absolute Windows path (drive letter)';
  if (name === '.' || name === '..' || /^\.\.?$/.test(name.trim())) return 'the name is a relative path (. or ..)';
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\x00-\x1f\x7f]/.test(name)) return 'the name contains control characters';
  const base = name.split('.')[0].trim();
  if (RESERVED.test(base)) return `'${base}' is a reserved device name on Windows`;
  if (Buffer.byteLength(name, 'utf8') > 255) return 'the name is longer than 255 bytes';
  return null;
}

/** Lower-cased audio extension of a name if it is a supported one. */
export function audioExtension(name: string): string | null {
  const m = /\.[^.]+$/.exec(name);
  const ext = m ? m[0].toLowerCase() : '';
  return (AUDIO_EXTENSIONS as readonly string[]).includes(ext) ? ext : null;
}

/**
 * A stem the trainer reads everywhere: letters, digits, `_` and `-`, no dots
 * (ACE-Step builds the text file names with str.replace(".mp3", …), which
 * also hits a ".mp3" inside the stem), no `_prompt`/`_lyrics` ending.
 */
export function sanitizeStem(stem: string): string {
  let s = stem.normalize('NFC').replace(/[^\p{L}\p{N}_-]+/gu, '_');
  s = s.replace(/_+/g, '_').replace(/^[_-]+|[_-]+$/g, '');
  if (/_(prompt|lyrics)$/i.test(s)) s += '-audio';
  if (!s) s = 'sample';
  if (RESERVED.test(s)) s += '_';
  while (Buffer.byteLength(s, 'utf8') > MAX_STEM_LENGTH) s = s.slice(0, -1);
  return s;
}

/** Why the trainer cannot read a sample's audio file name, or null. */
export function unreadableNameReason(fileName: string): string | null {
  const ext = /\.[^.]+$/.exec(fileName)?.[0] ?? '';
  const stem = fileName.slice(0, fileName.length - ext.length);
  if (ext !== ext.toLowerCase()) return `the extension '${ext}' is not lower case; the trainer looks for '${ext.toLowerCase()}' and will not see it on a case-sensitive file system`;
  if (stem.startsWith('.')) return 'the name starts with a dot (a hidden file)';
  if (/\.(mp3|wav|flac|ogg)/i.test(stem)) return `the stem contains '${/\.(mp3|wav|flac|ogg)/i.exec(stem)![0]}'; ACE-Step derives the text file names by replacing the extension everywhere in the path`;
  if (/_(prompt|lyrics)$/i.test(stem)) return `the stem ends with '${/_(prompt|lyrics)$/i.exec(stem)![0]}', which makes its text files ambiguous`;
  if (RESERVED.test(stem.split('.')[0])) return `'${stem}' is a reserved device name on Windows`;
  // eslint-disable-next-line no-control-regex -- control characters are not allowed in file names
  if (/[\x00-\x1f\x7f<>:"|?*\\]/.test(stem)) return 'the name has characters that are not allowed in file names on Windows';
  if (/[ .]$/.test(stem)) return 'the name ends with a space or a dot, which Windows drops';
  if (Buffer.byteLength(stem, 'utf8') > MAX_STEM_LENGTH) return `the stem is longer than ${MAX_STEM_LENGTH} bytes`;
  return null;
}

export function promptName(stem: string): string {
  return stem + PROMPT_SUFFIX;
}

export function lyricsName(stem: string): string {
  return stem + LYRICS_SUFFIX;
}
