// PEFT adapter folders: adapter_config.json + adapter_model.safetensors laid
// out exactly as Python's `PeftModel.from_pretrained(GPT2LMHeadModel, dir)`
// expects — keys `base_model.model.transformer.h.<i>.<module>.lora_A.weight`
// ([r, in]) and `.lora_B.weight` ([out, r]), fan_in_fan_out true for GPT-2's
// Conv1D — and reading such folders back (ours or ones trained in Python).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Gpt2Model, TargetModule } from './gpt2';
import { peftTargetNames, TARGET_MODULES } from './gpt2';
import type { LoraSettings } from './lora';
import { readSafetensors, writeSafetensors, type TensorToWrite } from './safetensors';
import { writeFileAtomic } from '../os/fs';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** The fields of PEFT's LoraConfig that we write (the set every PEFT release since 0.7 accepts). */
export interface PeftLoraConfig {
  alpha_pattern: Record<string, number>;
  auto_mapping: null;
  base_model_name_or_path: string | null;
  bias: 'none';
  fan_in_fan_out: boolean;
  inference_mode: boolean;
  init_lora_weights: boolean;
  layers_pattern: null;
  layers_to_transform: null;
  loftq_config: Record<string, never>;
  lora_alpha: number;
  lora_dropout: number;
  megatron_config: null;
  megatron_core: string;
  modules_to_save: null;
  peft_type: 'LORA';
  r: number;
  rank_pattern: Record<string, number>;
  revision: string | null;
  target_modules: string[];
  task_type: 'CAUSAL_LM';
  use_rslora: boolean;
}

export function peftConfigFor(settings: LoraSettings, targets: readonly TargetModule[], baseModel: string | null, revision: string | null = null): PeftLoraConfig {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    bias: 'none',
    fan_in_fan_out: true,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: settings.alpha,
    lora_dropout: settings.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: settings.r,
    rank_pattern: {},
    revision,
    target_modules: peftTargetNames(targets),
    task_type: 'CAUSAL_LM',
    use_rslora: settings.rslora,
  };
}

/** The safetensors key PEFT uses for a module's A or B matrix. */
export function peftKey(modulePath: string, which: 'A' | 'B'): string {
  return `base_model.model.${modulePath}.lora_${which}.weight`;
}

/** The adapter's tensors as PEFT names them, read from the model's variables. */
export function adapterTensors(model: Gpt2Model): Map<string, TensorToWrite> {
  const out = new Map<string, TensorToWrite>();
  for (const m of model.loraModules()) {
    out.set(peftKey(m.path, 'A'), { shape: m.loraA!.shape, data: m.loraA!.dataSync() as Float32Array });
    out.set(peftKey(m.path, 'B'), { shape: m.loraB!.shape, data: m.loraB!.dataSync() as Float32Array });
  }
  return out;
}

/** Writes adapter_config.json and adapter_model.safetensors into `dir` (created if needed). */
export function saveAdapter(dir: string, model: Gpt2Model, opts: { baseModel: string | null; revision?: string | null }): PeftLoraConfig {
  if (!model.lora) throw new Error('The model has no LoRA adapter to save');
  if (model.loraModules().some((m) => m.merged)) throw new Error('Unmerge the adapter before saving it (merged weights cannot be split back out reliably)');
  fs.mkdirSync(dir, { recursive: true });
  const cfg = peftConfigFor(model.lora.settings, model.lora.targets, opts.baseModel, opts.revision ?? null);
  writeSafetensors(path.join(dir, ADAPTER_WEIGHTS), adapterTensors(model), { format: 'pt' });
  writeFileAtomic(path.join(dir, ADAPTER_CONFIG), JSON.stringify(cfg, null, 2) + '\n');
  return cfg;
}

export interface LoadedAdapter {
  config: Record<string, unknown>;
  settings: LoraSettings;
  targets: TargetModule[];
  /** Module path → A [r, in] and B [out, r] values. */
  weights: Map<string, { a: Float32Array; b: Float32Array; aShape: number[]; bShape: number[] }>;
}

const KEY_RE = /^base_model\.model\.(transformer\.h\.(\d+)\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj))\.lora_([AB])(?:\.[A-Za-z0-9_-]+)?\.weight$/;

/** Reads a PEFT LoRA adapter folder for a GPT-2 model; refuses what the trainer cannot represent. */
export function readAdapter(dir: string): LoadedAdapter {
  const cfgFile = path.join(dir, ADAPTER_CONFIG);
  const wFile = path.join(dir, ADAPTER_WEIGHTS);
  if (!fs.existsSync(cfgFile) || !fs.existsSync(wFile)) {
    throw new Error(`Adapter folder '${dir}' must contain ${ADAPTER_CONFIG} and ${ADAPTER_WEIGHTS}.`);
  }
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
  } catch (e) {
    throw new Error(`Adapter config '${cfgFile}' is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (config.peft_type !== 'LORA') throw new Error(`Adapter '${dir}': peft_type is ${JSON.stringify(config.peft_type)}; only LORA adapters are supported.`);
  for (const k of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = config[k];
    if (v && typeof v === 'object' && Object.keys(v).length) throw new Error(`Adapter '${dir}': per-module ${k} is not supported by the built-in trainer.`);
  }
  if (config.use_dora === true) throw new Error(`Adapter '${dir}' is a DoRA adapter (use_dora true), which the built-in trainer does not support.`);
  const { tensors } = readSafetensors(wFile);
  const parts = new Map<string, { a?: { data: Float32Array; shape: number[] }; b?: { data: Float32Array; shape: number[] } }>();
  const targets = new Set<TargetModule>();
  for (const [key, t] of tensors) {
    const m = KEY_RE.exec(key);
    if (!m) throw new Error(`Adapter '${wFile}': unexpected tensor '${key}' (expected base_model.model.transformer.h.<i>.<module>.lora_A/B.weight for GPT-2).`);
    if (!(t.data instanceof Float32Array)) throw new Error(`Adapter '${wFile}': tensor '${key}' is not a float tensor`);
    targets.add(m[3] as TargetModule);
    const entry = parts.get(m[1]) ?? {};
    entry[m[4] === 'A' ? 'a' : 'b'] = { data: t.data, shape: t.shape };
    parts.set(m[1], entry);
  }
  const weights: LoadedAdapter['weights'] = new Map();
  let r = typeof config.r === 'number' ? config.r : -1;
  for (const [mod, e] of parts) {
    if (!e.a || !e.b) throw new Error(`Adapter '${wFile}': module '${mod}' has lora_${e.a ? 'A' : 'B'} but not lora_${e.a ? 'B' : 'A'}.`);
    if (e.a.shape.length !== 2 || e.b.shape.length !== 2 || e.a.shape[0] !== e.b.shape[1]) {
      throw new Error(`Adapter '${wFile}': module '${mod}' has lora_A ${JSON.stringify(e.a.shape)} and lora_B ${JSON.stringify(e.b.shape)}, which do not share a rank.`);
    }
    if (r < 0) r = e.a.shape[0];
    if (e.a.shape[0] !== r) throw new Error(`Adapter '${wFile}': module '${mod}' has rank ${e.a.shape[0]} but adapter_config.json says r=${r}.`);
    weights.set(mod, { a: e.a.data, b: e.b.data, aShape: e.a.shape, bShape: e.b.shape });
  }
  if (weights.size === 0) throw new Error(`Adapter '${wFile}' holds no LoRA tensors.`);
  const alpha = typeof config.lora_alpha === 'number' ? config.lora_alpha : r;
  return {
    config,
    settings: { r, alpha, dropout: typeof config.lora_dropout === 'number' ? config.lora_dropout : 0, rslora: config.use_rslora === true },
    targets: TARGET_MODULES.filter((t) => targets.has(t)),
    weights,
  };
}

/**
 * Loads an adapter into a model: adds LoRA branches when the model has none,
 * otherwise checks that rank and targets match, then sets A and B.
 */
export function loadAdapterInto(model: Gpt2Model, dir: string): LoadedAdapter {
  const adapter = readAdapter(dir);
  if (!model.lora) {
    model.addLora({ settings: adapter.settings, targets: adapter.targets }, 0);
  } else {
    const s = model.lora.settings;
    if (s.r !== adapter.settings.r || model.lora.targets.join() !== adapter.targets.join()) {
      throw new Error(
        `Adapter '${dir}' (r=${adapter.settings.r}, targets ${adapter.targets.join(', ')}) does not match the run's LoRA (r=${s.r}, targets ${model.lora.targets.join(', ')}).`,
      );
    }
  }
  const modules = model.loraModules();
  const present = new Set(modules.map((m) => m.path));
  for (const key of adapter.weights.keys()) {
    if (!present.has(key)) throw new Error(`Adapter '${dir}' has weights for '${key}', which this model does not have (fewer layers?).`);
  }
  for (const m of modules) {
    const w = adapter.weights.get(m.path);
    if (!w) throw new Error(`Adapter '${dir}' has no weights for '${m.path}'.`);
    m.setLoraWeights(w.a, w.b);
  }
  return adapter;
}
