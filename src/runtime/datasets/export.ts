// Exports a validated dataset: a Hugging Face `datasets`-compatible Parquet
// file (audio as struct {bytes, path}, prompt, lyrics, with the `huggingface`
// features metadata so the audio column loads as Audio), or ACE-Step's folder
// layout (mp3 + _prompt.txt + _lyrics.txt; other formats converted to mp3).
// Output appears only when complete (temporary name, then rename).
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { ExportResult } from '../../protocol/datasets';
import { type AudioTools, spawnError } from '../audio/ffmpeg';
import { PathRefusedError, isInside } from './paths';
import type { SampleFiles } from './scan';

/** Row groups stay around this size so memory is bounded by it, not by the dataset. */
const ROW_GROUP_BYTES = 64 * 1024 * 1024;
const ROW_GROUP_ROWS = 100;

/** The features `datasets` reads from the schema metadata (key "huggingface"). */
export const HF_FEATURES = {
  info: {
    features: {
      audio: { _type: 'Audio' },
      prompt: { dtype: 'string', _type: 'Value' },
      lyrics: { dtype: 'string', _type: 'Value' },
    },
  },
};

export const PARQUET_SCHEMA = [
  { name: 'schema', num_children: 3 },
  { name: 'audio', repetition_type: 'OPTIONAL' as const, num_children: 2 },
  { name: 'bytes', type: 'BYTE_ARRAY' as const, repetition_type: 'OPTIONAL' as const },
  { name: 'path', type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const },
  { name: 'prompt', type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const },
  { name: 'lyrics', type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const },
];

/** hyparquet-writer's buffer, emptied into a file whenever it passes a few MiB. */
class FileByteWriter extends ByteWriter {
  constructor(private readonly fd: number) {
    super(1 << 20);
  }
  override ensure(size: number): void {
    if (this.index > 8 << 20) this.flush();
    super.ensure(size);
  }
  flush(): void {
    if (this.index > 0) fs.writeSync(this.fd, new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }
  override finish(): void {
    this.flush();
    fs.fsyncSync(this.fd);
  }
}

const tmpName = (target: string) => path.join(path.dirname(target), `.${path.basename(target)}.${crypto.randomBytes(6).toString('hex')}.partial`);

function checkOut(out: string, datasetDir: string, kind: 'file' | 'folder'): string {
  if (typeof out !== 'string' || !out || out.includes('\0')) throw new PathRefusedError('Export: the output path is empty or contains a NUL byte; refused.');
  if (!path.isAbsolute(out)) throw new PathRefusedError(`Export: '${out}' is not an absolute path; refused.`);
  const parent = path.dirname(out);
  let realParent: string;
  try {
    realParent = fs.realpathSync(parent);
  } catch {
    throw new PathRefusedError(`Export: the folder '${parent}' does not exist.`);
  }
  const target = path.join(realParent, path.basename(out));
  if (kind === 'folder' && isInside(datasetDir, target)) throw new PathRefusedError(`Export: '${out}' is inside the dataset folder; choose a folder outside it.`);
  return target;
}

export async function exportParquet(dir: string, samples: SampleFiles[], out: string): Promise<ExportResult> {
  const target = checkOut(out, dir, 'file');
  const tmp = tmpName(target);
  const fd = fs.openSync(tmp, 'wx', 0o644);
  const writer = new ParquetWriter({
    writer: new FileByteWriter(fd),
    schema: PARQUET_SCHEMA,
    codec: 'UNCOMPRESSED',
    statistics: false,
    kvMetadata: [{ key: 'huggingface', value: JSON.stringify(HF_FEATURES) }],
    createdBy: 'Tune Studio (hyparquet-writer)',
  });
  let rows: Array<{ audio: { bytes: Uint8Array; path: string }; prompt: string; lyrics: string }> = [];
  let groupBytes = 0;
  const flush = () => {
    if (!rows.length) return;
    writer.write({
      columnData: [
        { name: 'audio', data: rows.map((r) => r.audio) },
        { name: 'prompt', data: rows.map((r) => r.prompt) },
        { name: 'lyrics', data: rows.map((r) => r.lyrics) },
      ],
      rowGroupSize: rows.length,
    });
    rows = [];
    groupBytes = 0;
  };
  try {
    for (const s of samples) {
      const bytes = fs.readFileSync(s.audio);
      rows.push({
        audio: { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path: s.audioName },
        prompt: fs.readFileSync(s.prompt, 'utf8').trim(),
        lyrics: fs.readFileSync(s.lyrics, 'utf8').trim(),
      });
      groupBytes += bytes.length;
      if (groupBytes >= ROW_GROUP_BYTES || rows.length >= ROW_GROUP_ROWS) flush();
    }
    flush();
    writer.finish();
    fs.closeSync(fd);
    fs.renameSync(tmp, target);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  return { format: 'parquet', out: target, samples: samples.length, bytes: fs.statSync(target).size, transcoded: 0 };
}

function transcodeToMp3(tools: AudioTools, src: string, dst: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools.ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-i', src, '-map', '0:a:0', '-codec:a', 'libmp3lame', '-q:a', '2', '-f', 'mp3', dst], {
      stdio: ['ignore', 'ignore', 'pipe'],
      windowsHide: true,
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8').slice(0, 4096)));
    child.on('error', (e: NodeJS.ErrnoException) => reject(spawnError(tools, 'ffmpeg', e)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg could not convert '${path.basename(src)}' to mp3: ${err.trim() || `exit ${code}`}`))));
  });
}

export async function exportFolder(dir: string, samples: SampleFiles[], out: string, tools: AudioTools | null): Promise<ExportResult> {
  const target = checkOut(out, dir, 'folder');
  let st: fs.Stats | null = null;
  try {
    st = fs.lstatSync(target);
  } catch {
    /* new folder */
  }
  if (st && (!st.isDirectory() || fs.readdirSync(target).length > 0)) throw new PathRefusedError(`Export: '${out}' already exists and is not an empty folder; choose a new folder.`);
  const tmp = tmpName(target);
  fs.mkdirSync(tmp);
  let bytes = 0;
  let transcoded = 0;
  try {
    for (const s of samples) {
      const audioOut = path.join(tmp, `${s.stem}.mp3`);
      if (s.ext === '.mp3') fs.copyFileSync(s.audio, audioOut, fs.constants.COPYFILE_EXCL);
      else {
        if (!tools) throw new Error(`'${s.audioName}' must be converted to mp3 for ACE-Step, and ffmpeg is missing.`);
        await transcodeToMp3(tools, s.audio, audioOut);
        transcoded++;
      }
      fs.copyFileSync(s.prompt, path.join(tmp, `${s.stem}_prompt.txt`), fs.constants.COPYFILE_EXCL);
      fs.copyFileSync(s.lyrics, path.join(tmp, `${s.stem}_lyrics.txt`), fs.constants.COPYFILE_EXCL);
      for (const f of [audioOut, path.join(tmp, `${s.stem}_prompt.txt`), path.join(tmp, `${s.stem}_lyrics.txt`)]) bytes += fs.statSync(f).size;
    }
    if (st) fs.rmdirSync(target);
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { format: 'folder', out: target, samples: samples.length, bytes, transcoded };
}
