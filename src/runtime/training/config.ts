// The `*.tunetrain.json` training config: its TypeScript shape, defaults,
// resolution to absolute paths, and checkTrainConfig — the semantic
// diagnostics (schema errors, model folder complete, dataset present, numbers
// in sane ranges, a memory estimate against this machine) the runtime shows in
// the Problems panel. Nothing here loads tfjs or a model.
import Ajv, { type ErrorObject } from 'ajv';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import schema from '../../../schemas/tunetrain.schema.json';
import { TRAINING_BACKENDS, type BackendPreference } from './backend-names';
import { isDatasetFolder } from './data';
import { gpt2ParamCount, normaliseTargetModules, parseGpt2Config, type Gpt2Config, type TargetModule } from './gpt2-config';
import { classifyModelSpec, DEMO_MODEL_ID, demoModel, findCachedModel, hubDefaults, missingModelFiles, modelSearchPlaces, REQUIRED_MODEL_FILES, type HubOptions } from './hub';
import { readSafetensorsHeader } from './safetensors';

/** The config file as written (every field but model, dataset and output optional). */
export interface TrainConfigFile {
  $schema?: string;
  name?: string;
  model: string;
  revision?: string;
  dataset: string | string[];
  output: string;
  lora?: { r?: number; alpha?: number; dropout?: number; target_modules?: string[]; rslora?: boolean };
  optimizer?: { lr?: number; weight_decay?: number; beta1?: number; beta2?: number; eps?: number; max_grad_norm?: number };
  schedule?: { type?: 'cosine' | 'linear' | 'constant'; warmup_steps?: number; min_lr_ratio?: number };
  steps?: number;
  batch_size?: number;
  grad_accum?: number;
  block_size?: number;
  eval_fraction?: number;
  eval_every?: number;
  eval_batches?: number;
  sample_every?: number;
  sample?: { prompts?: string[]; max_new_tokens?: number; top_k?: number; temperature?: number };
  checkpoint_every?: number;
  keep_best?: number;
  seed?: number;
  backend?: BackendPreference;
  hub?: { offline?: boolean; cache_dir?: string; local_dirs?: string[]; endpoint?: string };
}

/** Defaults applied, paths absolute. What the trainer runs with (and logs as the run config). */
export interface ResolvedTrainConfig {
  name: string;
  configFile: string | null;
  /** As written (a folder path made absolute, or a hub id). */
  model: string;
  revision: string;
  dataset: string[];
  output: string;
  lora: { r: number; alpha: number; dropout: number; target_modules: TargetModule[]; rslora: boolean };
  optimizer: { lr: number; weight_decay: number; beta1: number; beta2: number; eps: number; max_grad_norm: number };
  schedule: { type: 'cosine' | 'linear' | 'constant'; warmup_steps: number; min_lr_ratio: number };
  steps: number;
  batch_size: number;
  grad_accum: number;
  block_size: number;
  eval_fraction: number;
  eval_every: number;
  eval_batches: number;
  sample_every: number;
  sample: { prompts: string[] | null; max_new_tokens: number; top_k: number; temperature: number };
  checkpoint_every: number;
  keep_best: number;
  seed: number;
  backend: BackendPreference;
  hub: { offline?: boolean; cacheDir?: string; localDirs?: string[]; endpoint?: string };
}

export type ProblemSeverity = 'error' | 'warning' | 'info';

export interface TrainConfigProblem {
  /** JSON pointer to the value ('' for the whole file), e.g. "/lora/r". */
  path: string;
  message: string;
  severity: ProblemSeverity;
}

export class TrainConfigError extends Error {
  constructor(
    readonly file: string | null,
    readonly problems: TrainConfigProblem[],
  ) {
    super(
      `Training config${file ? ` '${file}'` : ''} has ${problems.length === 1 ? 'an error' : `${problems.length} errors`}: ` +
        problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; '),
    );
    this.name = 'TrainConfigError';
  }
}

let validator: ReturnType<Ajv['compile']> | null = null;
function validate(config: unknown): ErrorObject[] {
  if (!validator) validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  return validator(config) ? [] : [...(validator.errors ?? [])];
}

function schemaProblems(config: unknown): TrainConfigProblem[] {
  const out: TrainConfigProblem[] = [];
  const seen = new Set<string>();
  for (const e of validate(config)) {
    let p = e.instancePath;
    let message: string;
    if (e.keyword === 'additionalProperties') {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      p = `${p}/${prop}`;
      message = `Unknown property '${prop}'.`;
    } else if (e.keyword === 'required') {
      message = `Missing required property '${(e.params as { missingProperty: string }).missingProperty}'.`;
    } else if (e.keyword === 'enum') {
      message = `Must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}.`;
    } else if (e.keyword === 'oneOf' && p === '/dataset') {
      message = 'Must be a path (dataset folder or text file) or a list of .txt/.jsonl paths.';
    } else {
      message = `${e.message ?? 'is invalid'}.`.replace(/^must/, 'Must');
    }
    const key = `${p}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // oneOf's branch errors repeat what the summary says
    if (p === '/dataset' && e.keyword !== 'oneOf' && validate(config).some((x) => x.keyword === 'oneOf' && x.instancePath === '/dataset')) continue;
    out.push({ path: p, message, severity: 'error' });
  }
  return out;
}

/** Applies defaults and resolves paths against `configDir`. Assumes the schema holds (see checkTrainConfig). */
export function resolveTrainConfig(raw: TrainConfigFile, configDir: string, configFile: string | null = null): ResolvedTrainConfig {
  const r = (p: string) => path.resolve(configDir, p);
  const modelSpec = classifyModelSpec(raw.model, configDir);
  const lora = raw.lora ?? {};
  const opt = raw.optimizer ?? {};
  const sch = raw.schedule ?? {};
  const sample = raw.sample ?? {};
  const hub = raw.hub ?? {};
  return {
    name: raw.name ?? (configFile ? path.basename(configFile).replace(/\.tunetrain\.json$|\.json$/, '') : 'training'),
    configFile,
    model: modelSpec.kind === 'folder' ? modelSpec.folder : modelSpec.id,
    revision: raw.revision ?? 'main',
    dataset: (Array.isArray(raw.dataset) ? raw.dataset : [raw.dataset]).map(r),
    output: r(raw.output),
    lora: {
      r: lora.r ?? 8,
      alpha: lora.alpha ?? 16,
      dropout: lora.dropout ?? 0.05,
      target_modules: normaliseTargetModules(lora.target_modules ?? ['c_attn']),
      rslora: lora.rslora ?? false,
    },
    optimizer: {
      lr: opt.lr ?? 2e-4,
      weight_decay: opt.weight_decay ?? 0,
      beta1: opt.beta1 ?? 0.9,
      beta2: opt.beta2 ?? 0.999,
      eps: opt.eps ?? 1e-8,
      max_grad_norm: opt.max_grad_norm ?? 1,
    },
    schedule: { type: sch.type ?? 'cosine', warmup_steps: sch.warmup_steps ?? 0, min_lr_ratio: sch.min_lr_ratio ?? 0 },
    steps: raw.steps ?? 200,
    batch_size: raw.batch_size ?? 4,
    grad_accum: raw.grad_accum ?? 1,
    block_size: raw.block_size ?? 128,
    eval_fraction: raw.eval_fraction ?? 0.1,
    eval_every: raw.eval_every ?? 50,
    eval_batches: raw.eval_batches ?? 0,
    sample_every: raw.sample_every ?? 100,
    sample: {
      prompts: sample.prompts ?? null,
      max_new_tokens: sample.max_new_tokens ?? 48,
      top_k: sample.top_k ?? 40,
      temperature: sample.temperature ?? 1,
    },
    checkpoint_every: raw.checkpoint_every ?? 100,
    keep_best: raw.keep_best ?? 2,
    seed: raw.seed ?? 42,
    backend: raw.backend ?? 'auto',
    hub: {
      offline: hub.offline,
      cacheDir: hub.cache_dir ? r(hub.cache_dir) : undefined,
      localDirs: hub.local_dirs?.map(r),
      endpoint: hub.endpoint,
    },
  };
}

/** Hub options for a resolved config (config values over environment defaults). */
export function hubOptionsFor(cfg: ResolvedTrainConfig, extra: HubOptions = {}): HubOptions {
  return {
    ...extra,
    offline: cfg.hub.offline ?? extra.offline,
    cacheDir: cfg.hub.cacheDir ?? extra.cacheDir,
    localDirs: cfg.hub.localDirs ?? extra.localDirs,
    endpoint: cfg.hub.endpoint ?? extra.endpoint,
    revision: cfg.revision,
  };
}

/** Reads, checks and resolves a config file; throws TrainConfigError listing the errors. */
export function loadTrainConfig(file: string, opts: { hub?: HubOptions } = {}): { config: ResolvedTrainConfig; warnings: TrainConfigProblem[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TrainConfigError(file, [{ path: '', message: `cannot read the file as JSON: ${(e as Error).message}`, severity: 'error' }]);
  }
  const dir = path.dirname(path.resolve(file));
  const problems = checkTrainConfig(raw, dir, { hub: opts.hub, skipMemory: true });
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new TrainConfigError(file, errors);
  return { config: resolveTrainConfig(raw as TrainConfigFile, dir, path.resolve(file)), warnings: problems.filter((p) => p.severity !== 'error') };
}

export interface MemoryEstimate {
  bytes: number;
  weights: number;
  /** wasm only: XNNPACK's packed copies of the linear weights (and the trainer's backward copy when it fits). */
  packedWeights: number;
  adapterAndOptimizer: number;
  activations: number;
  logits: number;
  overhead: number;
}

/** LoRA parameter count for a model config and target list. */
export function loraParamCount(c: Pick<Gpt2Config, 'n_embd' | 'n_inner' | 'n_layer'>, r: number, targets: readonly TargetModule[]): number {
  const D = c.n_embd;
  const dims: Record<TargetModule, [number, number]> = {
    'attn.c_attn': [D, 3 * D],
    'attn.c_proj': [D, D],
    'mlp.c_fc': [D, c.n_inner],
    'mlp.c_proj': [c.n_inner, D],
  };
  return c.n_layer * targets.reduce((s, t) => s + r * (dims[t][0] + dims[t][1]), 0);
}

/**
 * Rough peak memory of a training step in float32: frozen weights, adapter
 * with gradient, accumulated gradient and Adam moments, activations kept for
 * the backward pass (≈ 14·D + 6·n_inner + 2·H·T values per token per layer),
 * logits with their one-hot targets and gradient, and a fixed overhead.
 */
export function estimateTrainingMemory(
  c: Pick<Gpt2Config, 'vocab_size' | 'n_positions' | 'n_embd' | 'n_layer' | 'n_head' | 'n_inner'>,
  t: { batch_size: number; block_size: number; lora: { r: number; target_modules: readonly TargetModule[] } },
  opts: { wasm?: boolean } = {},
): MemoryEstimate {
  const f = 4;
  const tokens = t.batch_size * t.block_size;
  const weights = gpt2ParamCount(c) * f;
  const linear = c.n_layer * (4 * c.n_embd * c.n_embd + 2 * c.n_embd * c.n_inner) * f;
  // XNNPACK packs each weight it multiplies by; the trainer adds Wᵀ and its packing when that stays ≤ 1 GiB
  const packedWeights = opts.wasm ? linear + (2 * linear <= 1024 ** 3 ? 2 * linear : 0) : 0;
  const adapterAndOptimizer = loraParamCount(c, t.lora.r, t.lora.target_modules) * f * 5;
  const activations = c.n_layer * tokens * (14 * c.n_embd + 6 * c.n_inner + 2 * c.n_head * t.block_size) * f;
  const logits = tokens * c.vocab_size * f * 3;
  const overhead = 300 * 1024 * 1024;
  return { bytes: weights + packedWeights + adapterAndOptimizer + activations + logits + overhead, weights, packedWeights, adapterAndOptimizer, activations, logits, overhead };
}

const GiB = 1024 ** 3;
/** Largest memory a WebAssembly (wasm32) instance can address. */
export const WASM_MEMORY_LIMIT = 4 * GiB;

function fmtGiB(b: number): string {
  return `${(b / GiB).toFixed(b < 10 * GiB ? 2 : 1)} GiB`;
}

function nativeBackendInstalled(): boolean {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(`${pkg}/package.json`);
      return true;
    } catch {
      /* absent */
    }
  }
  return false;
}

export interface CheckOptions {
  hub?: HubOptions;
  /** Machine memory to check the estimate against (default os.totalmem()). */
  totalMem?: number;
  /** Backend the run will use when the config says auto (default: the tuneStudio.training.backend setting via TUNESTUDIO_TRAINING_BACKEND). */
  backendSetting?: string;
  /** Skip the memory estimate (the trainer itself re-checks only what can stop it). */
  skipMemory?: boolean;
}

/**
 * Semantic diagnostics for a parsed `*.tunetrain.json`: schema errors first,
 * then model folder completeness, dataset presence, ranges that are legal but
 * unwise, and a memory estimate against this machine. Never throws.
 */
export function checkTrainConfig(config: unknown, configFileDir: string, opts: CheckOptions = {}): TrainConfigProblem[] {
  const problems = schemaProblems(config);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return problems;
  const raw = config as TrainConfigFile;
  const add = (p: string, message: string, severity: ProblemSeverity = 'error') => {
    if (!problems.some((x) => x.path === p && x.message === message)) problems.push({ path: p, message, severity });
  };
  const badAt = (p: string) => problems.some((x) => x.severity === 'error' && (x.path === p || x.path.startsWith(p + '/')));

  // model
  let modelCfg: Gpt2Config | null = null;
  if (typeof raw.model === 'string' && raw.model && !badAt('/model')) {
    const spec = classifyModelSpec(raw.model, configFileDir);
    let folder: string | null = null;
    if (spec.kind === 'folder') {
      if (!fs.existsSync(spec.folder)) add('/model', `Model folder '${spec.folder}' does not exist.`);
      else if (!fs.statSync(spec.folder).isDirectory()) add('/model', `'${spec.folder}' is a file; "model" must be a model folder or a Hugging Face id.`);
      else folder = spec.folder;
    } else {
      const hub: HubOptions = { ...opts.hub, ...(raw.hub?.offline !== undefined ? { offline: raw.hub.offline } : {}), revision: raw.revision };
      if (raw.hub?.cache_dir) hub.cacheDir = path.resolve(configFileDir, raw.hub.cache_dir);
      if (raw.hub?.local_dirs) hub.localDirs = raw.hub.local_dirs.map((d) => path.resolve(configFileDir, d));
      const found = spec.id === DEMO_MODEL_ID ? demoModel(hub) : findCachedModel(spec.id, hub);
      if (found) folder = found.folder;
      else if (hubDefaults(hub).offline) {
        add('/model', `Model '${spec.id}' is not in any local cache and offline mode is on (looked in ${modelSearchPlaces(spec.id, hub).map((p) => p.dir).join(', ')}).`);
      } else {
        add('/model', `Model '${spec.id}' is not cached yet; it will be downloaded from the Hugging Face Hub when training starts.`, 'info');
      }
    }
    if (folder) {
      const missing = missingModelFiles(folder);
      if (missing.length) add('/model', `Model folder '${folder}' is missing ${missing.join(', ')} (the trainer needs ${REQUIRED_MODEL_FILES.join(', ')}).`);
      if (!missing.includes('config.json')) {
        try {
          modelCfg = parseGpt2Config(JSON.parse(fs.readFileSync(path.join(folder, 'config.json'), 'utf8')), path.join(folder, 'config.json'));
        } catch (e) {
          add('/model', (e as Error).message);
        }
      }
      if (!missing.includes('model.safetensors')) {
        try {
          readSafetensorsHeader(path.join(folder, 'model.safetensors'));
        } catch (e) {
          add('/model', (e as Error).message);
        }
      }
    }
  }

  // dataset
  if (raw.dataset !== undefined && !badAt('/dataset')) {
    const list = Array.isArray(raw.dataset) ? raw.dataset : [raw.dataset];
    list.forEach((p, i) => {
      const ptr = Array.isArray(raw.dataset) ? `/dataset/${i}` : '/dataset';
      const abs = path.resolve(configFileDir, p);
      if (!fs.existsSync(abs)) return add(ptr, `Training data '${abs}' does not exist.`);
      const st = fs.statSync(abs);
      if (st.isDirectory()) {
        if (Array.isArray(raw.dataset) && raw.dataset.length > 1) return add(ptr, `'${abs}' is a folder; a list may contain only .txt/.jsonl files.`);
        if (!isDatasetFolder(abs) && !fs.readdirSync(abs).some((f) => /\.(txt|jsonl|md)$/.test(f))) {
          add(ptr, `Folder '${abs}' has no dataset.json, *_prompt.txt, *_lyrics.txt, .txt or .jsonl files.`);
        }
      } else if (!/\.(txt|jsonl|md)$/.test(abs)) {
        add(ptr, `'${abs}' is not a .txt, .md or .jsonl file.`);
      } else if (st.size === 0) {
        add(ptr, `'${abs}' is empty.`, 'warning');
      }
    });
  }

  // output
  if (typeof raw.output === 'string' && raw.output && !badAt('/output')) {
    const out = path.resolve(configFileDir, raw.output);
    if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) add('/output', `'${out}' is a file; "output" must be a folder.`);
    else if (fs.existsSync(path.join(out, 'checkpoints')) && fs.readdirSync(path.join(out, 'checkpoints')).length) {
      add('/output', `'${out}' already holds checkpoints: a new run replaces them; resume instead with --resume to continue.`, 'warning');
    }
  }

  // numbers: legal per schema, but worth a word
  const steps = raw.steps ?? 200;
  const lr = raw.optimizer?.lr;
  if (typeof lr === 'number' && lr > 0.01 && !badAt('/optimizer/lr')) add('/optimizer/lr', `Learning rate ${lr} is very high for LoRA (typical: 1e-4 … 1e-3); training will probably diverge.`, 'warning');
  const warm = raw.schedule?.warmup_steps;
  if (typeof warm === 'number' && warm >= steps) add('/schedule/warmup_steps', `Warm-up (${warm} steps) is not shorter than the run (${steps} steps): the learning rate never reaches its peak.`, 'warning');
  for (const k of ['eval_every', 'sample_every', 'checkpoint_every'] as const) {
    const v = raw[k];
    if (typeof v === 'number' && v > steps) add(`/${k}`, `${k} (${v}) is larger than steps (${steps}): it happens only at the end.`, 'info');
  }
  if (raw.lora && typeof raw.lora.alpha === 'number' && typeof raw.lora.r === 'number' && raw.lora.alpha / raw.lora.r > 16) {
    add('/lora/alpha', `alpha/r = ${(raw.lora.alpha / raw.lora.r).toFixed(1)} scales the update strongly; PEFT users typically keep alpha between r and 2·r.`, 'warning');
  }
  if (raw.eval_fraction === 0 && (raw.keep_best ?? 2) > 0) add('/keep_best', 'eval_fraction is 0, so there is no eval loss to rank checkpoints by: only the latest ones are kept.', 'info');

  if (modelCfg) {
    const block = raw.block_size ?? 128;
    if (block > modelCfg.n_positions) add('/block_size', `block_size ${block} exceeds the model's ${modelCfg.n_positions} positions (n_positions in config.json).`);
    if (!opts.skipMemory && !badAt('/lora') && !badAt('/batch_size') && !badAt('/block_size')) {
      let targets: TargetModule[] = ['attn.c_attn'];
      try {
        targets = normaliseTargetModules(raw.lora?.target_modules ?? ['c_attn']);
      } catch {
        /* reported by the schema */
      }
      const backend = raw.backend && raw.backend !== 'auto' ? raw.backend : opts.backendSetting ?? process.env.TUNESTUDIO_TRAINING_BACKEND ?? 'auto';
      const wasmLikely = backend === 'wasm' || ((backend === 'auto' || !(TRAINING_BACKENDS as readonly string[]).includes(backend)) && !nativeBackendInstalled());
      const est = estimateTrainingMemory(
        modelCfg,
        { batch_size: raw.batch_size ?? 4, block_size: block, lora: { r: raw.lora?.r ?? 8, target_modules: targets } },
        { wasm: wasmLikely },
      );
      const total = opts.totalMem ?? os.totalmem();
      const detail = `weights ${fmtGiB(est.weights + est.packedWeights)}, activations ${fmtGiB(est.activations)}, logits ${fmtGiB(est.logits)}`;
      const at = raw.batch_size !== undefined ? '/batch_size' : raw.block_size !== undefined ? '/block_size' : '/model';
      if (est.bytes > 0.9 * total) {
        add(at, `Training needs about ${fmtGiB(est.bytes)} (${detail}) but this machine has ${fmtGiB(total)}; lower batch_size or block_size (or use grad_accum).`);
      } else if (est.bytes > 0.6 * total) {
        add(at, `Training needs about ${fmtGiB(est.bytes)} (${detail}) of this machine's ${fmtGiB(total)}; other programs may run short.`, 'warning');
      }
      if (wasmLikely && est.bytes - est.overhead > WASM_MEMORY_LIMIT) {
        add(at, `Training needs about ${fmtGiB(est.bytes - est.overhead)} of tensor memory, more than the 4 GiB the WebAssembly backend can address; lower batch_size or block_size, or install @tensorflow/tfjs-node.`);
      }
    }
  }
  return problems;
}
