// GPT-2 model configuration (config.json) and LoRA target-module names,
// kept free of tfjs so the runtime can check training configs without
// loading a compute backend.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Gpt2Config {
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_inner: number;
  layer_norm_epsilon: number;
  activation_function: 'gelu_new' | 'gelu' | 'gelu_pytorch_tanh' | 'relu';
  scale_attn_weights: boolean;
  scale_attn_by_inverse_layer_idx: boolean;
  tie_word_embeddings: boolean;
  bos_token_id: number | null;
  eos_token_id: number | null;
  /** The raw config.json, kept for the run's config and the adapter. */
  raw: Record<string, unknown>;
}

/** Module suffixes a LoRA adapter can target, in PEFT's GPT-2 module names. */
export type TargetModule = 'attn.c_attn' | 'attn.c_proj' | 'mlp.c_fc' | 'mlp.c_proj';
export const TARGET_MODULES: readonly TargetModule[] = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'];

/**
 * Maps config names to module suffixes: c_attn, c_proj (the attention output
 * projection, as in the issue), c_fc, mlp.c_proj, and the explicit
 * attn.* / mlp.* forms. Throws on an unknown name.
 */
export function normaliseTargetModules(names: readonly string[]): TargetModule[] {
  const map: Record<string, TargetModule> = {
    c_attn: 'attn.c_attn',
    'attn.c_attn': 'attn.c_attn',
    c_proj: 'attn.c_proj',
    'attn.c_proj': 'attn.c_proj',
    c_fc: 'mlp.c_fc',
    'mlp.c_fc': 'mlp.c_fc',
    'mlp.c_proj': 'mlp.c_proj',
  };
  const out: TargetModule[] = [];
  for (const n of names) {
    const m = map[n];
    if (!m) throw new Error(`Unknown LoRA target module '${n}': use c_attn, c_proj (attention output), c_fc or mlp.c_proj.`);
    if (!out.includes(m)) out.push(m);
  }
  return out.sort((a, b) => TARGET_MODULES.indexOf(a) - TARGET_MODULES.indexOf(b));
}

/**
 * The names written to adapter_config.json's target_modules. PEFT matches them
 * as suffixes of module paths, where a bare "c_proj" would hit both the
 * attention and the MLP projection; the qualified forms keep them apart.
 */
export function peftTargetNames(targets: readonly TargetModule[]): string[] {
  return targets.map((t) => (t === 'attn.c_attn' ? 'c_attn' : t === 'mlp.c_fc' ? 'c_fc' : t));
}

function num(raw: Record<string, unknown>, key: string, fallback?: number): number {
  const v = raw[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
  }
  throw new Error(`config.json: "${key}" must be a number, got ${JSON.stringify(v)}`);
}

/** Reads a GPT-2 config.json object; refuses other architectures with a clear message. */
export function parseGpt2Config(raw: Record<string, unknown>, source = 'config.json'): Gpt2Config {
  const type = raw.model_type;
  const archs = Array.isArray(raw.architectures) ? (raw.architectures as unknown[]) : [];
  if (type !== 'gpt2' && !archs.some((a) => typeof a === 'string' && a.startsWith('GPT2'))) {
    throw new Error(`${source}: model_type is ${JSON.stringify(type)}; the built-in trainer supports GPT-2-architecture models (model_type "gpt2") only.`);
  }
  const n_embd = num(raw, 'n_embd');
  const n_head = num(raw, 'n_head');
  if (n_embd % n_head !== 0) throw new Error(`${source}: n_embd ${n_embd} is not divisible by n_head ${n_head}`);
  const act = (raw.activation_function ?? 'gelu_new') as string;
  if (!['gelu_new', 'gelu', 'gelu_pytorch_tanh', 'relu'].includes(act)) {
    throw new Error(`${source}: activation_function '${act}' is not supported (gelu_new, gelu, gelu_pytorch_tanh, relu)`);
  }
  const inner = raw.n_inner;
  return {
    vocab_size: num(raw, 'vocab_size'),
    n_positions: num(raw, 'n_positions', typeof raw.n_ctx === 'number' ? raw.n_ctx : undefined),
    n_embd,
    n_layer: num(raw, 'n_layer'),
    n_head,
    n_inner: typeof inner === 'number' ? inner : 4 * n_embd,
    layer_norm_epsilon: num(raw, 'layer_norm_epsilon', 1e-5),
    activation_function: act as Gpt2Config['activation_function'],
    scale_attn_weights: raw.scale_attn_weights !== false,
    scale_attn_by_inverse_layer_idx: raw.scale_attn_by_inverse_layer_idx === true,
    tie_word_embeddings: raw.tie_word_embeddings !== false,
    bos_token_id: typeof raw.bos_token_id === 'number' ? raw.bos_token_id : null,
    eos_token_id: typeof raw.eos_token_id === 'number' ? raw.eos_token_id : null,
    raw,
  };
}

export function readGpt2Config(folder: string): Gpt2Config {
  const file = path.join(folder, 'config.json');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`Model config '${file}' could not be read: ${(e as Error).message}`, { cause: e });
  }
  return parseGpt2Config(raw, file);
}

/** Parameter count of the base model described by a config (for memory estimates). */
export function gpt2ParamCount(c: Pick<Gpt2Config, 'vocab_size' | 'n_positions' | 'n_embd' | 'n_layer' | 'n_inner'>): number {
  const d = c.n_embd;
  const perLayer = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * c.n_inner + c.n_inner) + (c.n_inner * d + d);
  return c.vocab_size * d + c.n_positions * d + c.n_layer * perLayer + 2 * d;
}
