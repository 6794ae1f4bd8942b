// Where the CLAP model comes from: a local folder (setting
// tuneStudio.captioning.modelPath), or the default model downloaded once into
// a cache folder (refused in offline mode). Either way the result is a local
// folder with the same files, loaded by the same code.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const DEFAULT_MODEL_ID = 'Xenova/clap-htsat-unfused';
export const MODEL_PATH_SETTING = 'tuneStudio.captioning.modelPath';
export const OFFLINE_SETTING = 'tuneStudio.captioning.offline';

/** Files transformers.js reads for CLAP (tokenizer, feature extractor, two graphs). */
export const CONFIG_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json'];
const OPTIONAL_FILES = ['special_tokens_map.json'];
const QUANTIZED = ['onnx/text_model_quantized.onnx', 'onnx/audio_model_quantized.onnx'];
const FP32 = ['onnx/text_model.onnx', 'onnx/audio_model.onnx'];

export class ModelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelUnavailableError';
  }
}

export interface ModelOptions {
  /** Local model folder (setting); relative paths resolve against the first workspace folder. */
  modelPath?: string;
  offline?: boolean;
  modelId?: string;
  /** Download cache (default: $TUNESTUDIO_MODEL_CACHE, else the user's cache folder). */
  cacheDir?: string;
  /** Hub address (default: $HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  workspaceFolders?: string[];
  signal?: AbortSignal;
}

export interface ResolvedModel {
  /** Model id for cache keys: the hub id, or 'local:<real path>'. */
  id: string;
  dir: string;
  /** transformers.js dtype that selects the files below. */
  dtype: 'q8' | 'fp32';
  textModel: string;
  audioModel: string;
  tokenizer: string;
  preprocessor: string;
  downloaded: boolean;
}

export interface DownloadProgress {
  file: string;
  loaded: number;
  total: number;
}

export function defaultModelCacheDir(env = process.env): string {
  if (env.TUNESTUDIO_MODEL_CACHE) return path.resolve(env.TUNESTUDIO_MODEL_CACHE);
  if (process.platform === 'win32' && env.LOCALAPPDATA) return path.join(env.LOCALAPPDATA, 'tunestudio', 'models');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'tunestudio', 'models');
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'tunestudio', 'models');
}

const exists = (p: string) => fs.existsSync(p);

/** The model's files in a folder, or why it is not a usable CLAP model folder. */
function inspect(dir: string): { dtype: 'q8' | 'fp32'; missing: string[] } {
  const missing = CONFIG_FILES.filter((f) => !exists(path.join(dir, f)));
  if (QUANTIZED.every((f) => exists(path.join(dir, f)))) return { dtype: 'q8', missing };
  if (FP32.every((f) => exists(path.join(dir, f)))) return { dtype: 'fp32', missing };
  return { dtype: 'q8', missing: [...missing, ...QUANTIZED.filter((f) => !exists(path.join(dir, f)))] };
}

function resolved(id: string, dir: string, dtype: 'q8' | 'fp32', downloaded: boolean): ResolvedModel {
  const files = dtype === 'q8' ? QUANTIZED : FP32;
  return {
    id,
    dir,
    dtype,
    textModel: path.join(dir, files[0]),
    audioModel: path.join(dir, files[1]),
    tokenizer: path.join(dir, 'tokenizer.json'),
    preprocessor: path.join(dir, 'preprocessor_config.json'),
    downloaded,
  };
}

export function validModelId(id: string): boolean {
  return /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/.test(id) && !id.includes('..');
}

/**
 * A local folder holding the model, downloading it first when needed and
 * allowed. Files are written as `.part` and renamed when complete, so a
 * file's presence means it is whole.
 */
export async function ensureModel(opts: ModelOptions, onProgress?: (p: DownloadProgress) => void): Promise<ResolvedModel> {
  if (opts.modelPath) {
    const base = opts.workspaceFolders?.[0];
    const dir = path.isAbsolute(opts.modelPath) || !base ? path.resolve(opts.modelPath) : path.resolve(base, opts.modelPath);
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch {
      throw new ModelUnavailableError(`Captioning model folder '${dir}' (setting ${MODEL_PATH_SETTING}) does not exist. Fix the setting, or clear it to use ${DEFAULT_MODEL_ID}.`);
    }
    const { dtype, missing } = inspect(real);
    if (missing.length) {
      throw new ModelUnavailableError(
        `Captioning model folder '${dir}' (setting ${MODEL_PATH_SETTING}) is missing ${missing.join(', ')}. It needs a CLAP model exported for transformers.js (like ${DEFAULT_MODEL_ID}).`,
      );
    }
    return resolved(`local:${real}`, real, dtype, false);
  }
  const id = opts.modelId ?? DEFAULT_MODEL_ID;
  if (!validModelId(id)) throw new ModelUnavailableError(`'${id}' is not a model id of the form owner/name.`);
  const cache = opts.cacheDir ?? defaultModelCacheDir();
  const dir = path.join(cache, ...id.split('/'));
  const have = inspect(dir);
  if (have.missing.length === 0) return resolved(id, dir, have.dtype, false);
  if (opts.offline) {
    throw new ModelUnavailableError(
      `Captioning model '${id}' is not in the cache folder '${dir}' and offline mode is on (${OFFLINE_SETTING}). Turn offline mode off to download it once, or set ${MODEL_PATH_SETTING} to a local copy.`,
    );
  }
  const endpoint = (opts.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
  for (const file of [...CONFIG_FILES, ...QUANTIZED, ...OPTIONAL_FILES]) {
    const target = path.join(dir, file);
    if (exists(target)) continue;
    await download(`${endpoint}/${id}/resolve/main/${file}`, target, `'${file}' of the captioning model '${id}'`, file, !OPTIONAL_FILES.includes(file), opts.signal, onProgress);
  }
  return resolved(id, dir, 'q8', true);
}

async function download(url: string, target: string, what: string, file: string, required: boolean, signal?: AbortSignal, onProgress?: (p: DownloadProgress) => void): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow' });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ModelUnavailableError(
      `Could not download ${what} from ${new URL(url).origin}: ${(e as Error).message}. Check the network (or HF_ENDPOINT), or set ${MODEL_PATH_SETTING} to a local copy and turn on ${OFFLINE_SETTING}.`,
    );
  }
  if (!res.ok || !res.body) {
    if (!required && res.status === 404) return;
    throw new ModelUnavailableError(`Could not download ${what}: HTTP ${res.status} from ${url}. Check the model id and the network, or set ${MODEL_PATH_SETTING} to a local copy.`);
  }
  const total = Number(res.headers.get('content-length') ?? 0);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const part = `${target}.${process.pid}.part`;
  let loaded = 0;
  let lastReport = 0;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (d: Buffer) => {
    loaded += d.length;
    // About one report per percent (or per MiB when the size is unknown).
    const step = total ? total / 100 : 1 << 20;
    if (loaded - lastReport >= step || loaded === total) {
      lastReport = loaded;
      onProgress?.({ file, loaded, total });
    }
  });
  try {
    await pipeline(body, fs.createWriteStream(part, { flags: 'w' }), { signal });
    if (total && loaded !== total) throw new Error(`got ${loaded} of ${total} bytes`);
    fs.renameSync(part, target);
  } catch (e) {
    fs.rmSync(part, { force: true });
    if (signal?.aborted) throw e;
    throw new ModelUnavailableError(`Could not download ${what}: ${(e as Error).message}. Try again.`);
  }
  onProgress?.({ file, loaded, total: total || loaded });
}
