// Finds the model folder for a config's "model": a local folder, or a
// Hugging Face id looked up in local model folders, the Hugging Face cache
// (~/.cache/huggingface/hub) and Tune Studio's own model cache, and downloaded
// there on first use (with progress) unless offline mode is on. The demo
// model id (DEMO_MODEL_ID) is generated locally instead, never downloaded.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTinyGpt2 } from './tinyGpt2';

/** Files the trainer needs in a model folder. */
export const REQUIRED_MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'] as const;
/** Files fetched too when the repository has them (404 is fine). */
export const OPTIONAL_MODEL_FILES = ['tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json'] as const;

export interface DownloadProgress {
  id: string;
  file: string;
  received: number;
  /** null when the server sent no Content-Length. */
  total: number | null;
  fileIndex: number;
  fileCount: number;
}

export interface HubOptions {
  offline?: boolean;
  /** Tune Studio's model cache; default TUNESTUDIO_MODEL_CACHE, else $TUNESTUDIO_DIR/models, else ~/.cache/tunestudio/models. */
  cacheDir?: string;
  /** Extra folders holding models as <dir>/<org>/<name> or <dir>/<org>--<name>. */
  localDirs?: string[];
  /** Default https://huggingface.co (or HF_ENDPOINT). */
  endpoint?: string;
  revision?: string;
  /** Default HF_TOKEN. */
  token?: string;
  onProgress?: (p: DownloadProgress) => void;
  fetchImpl?: typeof fetch;
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedModel {
  folder: string;
  source: 'folder' | 'local-dir' | 'hf-cache' | 'cache' | 'download';
  /** The Hugging Face id when the model was given by id. */
  id: string | null;
  revision: string | null;
}

export class ModelNotAvailableError extends Error {
  constructor(
    message: string,
    readonly looked: string[],
  ) {
    super(message);
    this.name = 'ModelNotAvailableError';
  }
}

/**
 * The walkthrough's model: a tiny GPT-2 (2 layers, 32 wide, 64 positions, ~170 KB) made from code
 * on first use, offline, in the model cache; the same generator and seed every time, so it is the
 * same model on every machine. Not a Hub model: it learns fast and generates nonsense.
 */
export const DEMO_MODEL_ID = 'tunestudio/tiny-gpt2-demo';
const DEMO_MODEL = { nLayer: 2, nEmbd: 32, nHead: 4, nPositions: 64, seed: 2024 } as const;

/** The demo model's folder, made first if it is not there yet (milliseconds; no network). */
export function demoModel(opts: HubOptions = {}): ResolvedModel {
  const d = hubDefaults(opts);
  const dest = path.join(d.cacheDir, flat(DEMO_MODEL_ID), 'generated-v1');
  if (missingModelFiles(dest).length) {
    // Written beside and renamed into place: a trainer killed halfway leaves no half model.
    const tmp = `${dest}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    writeTinyGpt2(tmp, DEMO_MODEL);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(tmp, dest);
  }
  return { folder: dest, source: 'cache', id: DEMO_MODEL_ID, revision: null };
}

/** "gpt2", "openai-community/gpt2", "org/name" — not a path (no leading dot or slash, at most one '/'). */
export function looksLikeHubId(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/.test(s) && !s.includes('..');
}

export function missingModelFiles(folder: string): string[] {
  return REQUIRED_MODEL_FILES.filter((f) => !fs.existsSync(path.join(folder, f)));
}

function truthy(v: string | undefined): boolean {
  return !!v && !['0', 'false', 'no', 'off', ''].includes(v.toLowerCase());
}

export function hubDefaults(opts: HubOptions = {}): Required<Pick<HubOptions, 'offline' | 'cacheDir' | 'localDirs' | 'endpoint' | 'revision'>> & { token?: string } {
  const env = opts.env ?? process.env;
  const cacheDir =
    opts.cacheDir ||
    env.TUNESTUDIO_MODEL_CACHE ||
    (env.TUNESTUDIO_DIR ? path.join(env.TUNESTUDIO_DIR, 'models') : path.join(os.homedir(), '.cache', 'tunestudio', 'models'));
  const localDirs = opts.localDirs ?? (env.TUNESTUDIO_MODEL_DIRS ? env.TUNESTUDIO_MODEL_DIRS.split(path.delimiter).filter(Boolean) : []);
  return {
    offline: opts.offline ?? (truthy(env.TUNESTUDIO_OFFLINE) || truthy(env.HF_HUB_OFFLINE)),
    cacheDir,
    localDirs,
    endpoint: (opts.endpoint || env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, ''),
    revision: opts.revision || 'main',
    token: opts.token ?? env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN,
  };
}

function hfHubCache(env: NodeJS.ProcessEnv): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return path.join(env.HF_HOME, 'hub');
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'huggingface', 'hub');
}

function flat(id: string): string {
  return id.replace('/', '--');
}

/** Where a model id would be found, in search order (for messages and for lookup). */
export function modelSearchPlaces(id: string, opts: HubOptions = {}): Array<{ dir: string; source: ResolvedModel['source'] }> {
  const d = hubDefaults(opts);
  const env = opts.env ?? process.env;
  const out: Array<{ dir: string; source: ResolvedModel['source'] }> = [];
  for (const base of d.localDirs) {
    out.push({ dir: path.join(base, ...id.split('/')), source: 'local-dir' });
    out.push({ dir: path.join(base, flat(id)), source: 'local-dir' });
  }
  const repo = path.join(hfHubCache(env), `models--${id.replace('/', '--')}`);
  let snapshot = d.revision;
  try {
    snapshot = fs.readFileSync(path.join(repo, 'refs', d.revision), 'utf8').trim();
  } catch {
    /* revision may itself be a commit hash */
  }
  out.push({ dir: path.join(repo, 'snapshots', snapshot), source: 'hf-cache' });
  out.push({ dir: path.join(d.cacheDir, flat(id), d.revision), source: 'cache' });
  return out;
}

/** The first complete model folder for an id, or null. */
export function findCachedModel(id: string, opts: HubOptions = {}): ResolvedModel | null {
  const rev = hubDefaults(opts).revision;
  for (const p of modelSearchPlaces(id, opts)) {
    if (fs.existsSync(p.dir) && missingModelFiles(p.dir).length === 0) return { folder: p.dir, source: p.source, id, revision: rev };
  }
  return null;
}

/** How a config's "model" value will be resolved, without touching the network. */
export function classifyModelSpec(spec: string, baseDir: string): { kind: 'folder'; folder: string } | { kind: 'id'; id: string } {
  const p = path.resolve(baseDir, spec);
  if (fs.existsSync(p) || !looksLikeHubId(spec)) return { kind: 'folder', folder: p };
  return { kind: 'id', id: spec };
}

async function downloadFile(
  url: string,
  dest: string,
  headers: Record<string, string>,
  fetchImpl: typeof fetch,
  onBytes: (received: number, total: number | null) => void,
): Promise<'ok' | 'missing'> {
  const res = await fetchImpl(url, { headers, redirect: 'follow' });
  if (res.status === 404) return 'missing';
  if (res.status === 401 || res.status === 403) {
    throw new Error(`${url}: HTTP ${res.status}; the repository is gated or private — accept its terms on huggingface.co and set HF_TOKEN.`);
  }
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  const len = Number(res.headers.get('content-length'));
  const total = Number.isFinite(len) && len > 0 ? len : null;
  const tmp = `${dest}.${process.pid}.part`;
  const fh = await fs.promises.open(tmp, 'w');
  let received = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await fh.write(chunk);
      received += chunk.byteLength;
      onBytes(received, total);
    }
  } catch (e) {
    await fh.close();
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  await fh.close();
  if (total !== null && received !== total) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`${url}: download ended after ${received} of ${total} bytes`);
  }
  fs.renameSync(tmp, dest);
  return 'ok';
}

/**
 * Resolves a config's "model" to a complete local folder: an existing path
 * (relative to `baseDir`), or a Hugging Face id found locally or downloaded.
 */
export async function resolveModel(spec: string, baseDir: string, opts: HubOptions = {}): Promise<ResolvedModel> {
  const c = classifyModelSpec(spec, baseDir);
  if (c.kind === 'folder') {
    if (!fs.existsSync(c.folder)) {
      throw new ModelNotAvailableError(`Model folder '${c.folder}' does not exist; set "model" to a Hugging Face model folder or a model id like "gpt2".`, [c.folder]);
    }
    if (!fs.statSync(c.folder).isDirectory()) throw new ModelNotAvailableError(`"model" '${c.folder}' is a file; it must be a model folder.`, [c.folder]);
    const missing = missingModelFiles(c.folder);
    if (missing.length) {
      throw new ModelNotAvailableError(`Model folder '${c.folder}' is missing ${missing.join(', ')}; the trainer needs ${REQUIRED_MODEL_FILES.join(', ')}.`, [c.folder]);
    }
    return { folder: c.folder, source: 'folder', id: null, revision: null };
  }
  const id = c.id;
  if (id === DEMO_MODEL_ID) return demoModel(opts);
  const found = findCachedModel(id, opts);
  if (found) return found;
  const d = hubDefaults(opts);
  const looked = modelSearchPlaces(id, opts).map((p) => p.dir);
  if (d.offline) {
    throw new ModelNotAvailableError(
      `Model '${id}' is not available offline: offline mode is on and no complete copy (${REQUIRED_MODEL_FILES.join(', ')}) was found in ${looked.join(', ')}. ` +
        `Turn offline mode off to download it, or set "model" to a local model folder.`,
      looked,
    );
  }
  const dest = path.join(d.cacheDir, flat(id), d.revision);
  fs.mkdirSync(dest, { recursive: true });
  const headers: Record<string, string> = { 'user-agent': 'tune-studio' };
  if (d.token) headers.authorization = `Bearer ${d.token}`;
  const fetchImpl = opts.fetchImpl ?? fetch;
  const files = [...REQUIRED_MODEL_FILES, ...OPTIONAL_MODEL_FILES];
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const target = path.join(dest, file);
    if (fs.existsSync(target)) continue;
    const url = `${d.endpoint}/${id}/resolve/${encodeURIComponent(d.revision)}/${file}`;
    let r: 'ok' | 'missing';
    try {
      r = await downloadFile(url, target, headers, fetchImpl, (received, total) =>
        opts.onProgress?.({ id, file, received, total, fileIndex: i, fileCount: files.length }),
      );
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      throw new ModelNotAvailableError(
        `Model '${id}' could not be downloaded from ${d.endpoint}: ${(e as Error).message}${cause ? ` (${cause})` : ''}. ` +
          `Check the network, or download it elsewhere and set "model" to the folder.`,
        looked,
      );
    }
    if (r === 'missing' && (REQUIRED_MODEL_FILES as readonly string[]).includes(file)) {
      throw new ModelNotAvailableError(
        file === 'model.safetensors'
          ? `Model '${id}' has no model.safetensors on ${d.endpoint}; the trainer reads safetensors weights only.`
          : `Model '${id}' on ${d.endpoint} has no ${file}${file === 'tokenizer.json' ? ' (fast tokenizer file)' : ''}; the trainer needs it.`,
        looked,
      );
    }
  }
  return { folder: dest, source: 'download', id, revision: d.revision };
}
