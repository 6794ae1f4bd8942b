// A tiny GPT-2 model folder made from code, no download: config.json,
// model.safetensors (seeded random weights with Hugging Face's tensor names,
// written by our safetensors writer) and a byte-level BPE tokenizer.json in
// GPT-2's format (256 byte tokens + <|endoftext|>) that
// @huggingface/transformers loads like the real one. The tests build their
// models with it, and the built-in trainer makes the walkthrough's demo model
// (DEMO_MODEL_ID in hub.ts) with it, so the demo trains offline.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from './rng';
import { writeSafetensors, type TensorToWrite } from './safetensors';

/** GPT-2's bytes_to_unicode: every byte gets a printable character. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i])));
  return out;
}

export const EOS_ID = 256;
export const VOCAB_SIZE = 257;

/** GPT-2-style byte-level BPE without merges: ids 0..255 are bytes, 256 is <|endoftext|>. */
export function byteLevelTokenizerJson(): Record<string, unknown> {
  const btu = bytesToUnicode();
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[btu[b]] = b;
  vocab['<|endoftext|>'] = EOS_ID;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: EOS_ID, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  };
}

export interface TinyGpt2Options {
  nLayer?: number;
  nEmbd?: number;
  nHead?: number;
  nPositions?: number;
  seed?: number;
  /** Standard deviation of the random weights (bigger than GPT-2's 0.02 so every layer matters in comparisons). */
  std?: number;
  /** Tensor name prefix: '' like the original gpt2 checkpoint, 'transformer.' like a GPT2LMHeadModel save. */
  prefix?: '' | 'transformer.';
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Leave out files to test completeness checks. */
  omit?: string[];
}

export interface TinyGpt2 {
  dir: string;
  config: Record<string, unknown>;
  /** The weights as written (HF names without prefix), float32. */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
}

function gaussian(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Writes a tiny GPT-2 model folder into `dir` and returns its weights. */
export function writeTinyGpt2(dir: string, o: TinyGpt2Options = {}): TinyGpt2 {
  const L = o.nLayer ?? 2;
  const D = o.nEmbd ?? 32;
  const H = o.nHead ?? 4;
  const P = o.nPositions ?? 64;
  const std = o.std ?? 0.1;
  const rng = new Rng(o.seed ?? 1234);
  const config = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    activation_function: 'gelu_new',
    attn_pdrop: 0.1,
    embd_pdrop: 0.1,
    resid_pdrop: 0.1,
    bos_token_id: EOS_ID,
    eos_token_id: EOS_ID,
    initializer_range: 0.02,
    layer_norm_epsilon: 1e-5,
    n_ctx: P,
    n_embd: D,
    n_head: H,
    n_inner: null,
    n_layer: L,
    n_positions: P,
    vocab_size: VOCAB_SIZE,
    scale_attn_weights: true,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
  };
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  const rand = (name: string, shape: number[], s = std, mean = 0) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = mean + s * gaussian(rng);
    weights.set(name, { shape, data });
  };
  rand('wte.weight', [VOCAB_SIZE, D], 0.3);
  rand('wpe.weight', [P, D], 0.1);
  for (let i = 0; i < L; i++) {
    rand(`h.${i}.ln_1.weight`, [D], 0.1, 1);
    rand(`h.${i}.ln_1.bias`, [D], 0.05);
    rand(`h.${i}.attn.c_attn.weight`, [D, 3 * D]);
    rand(`h.${i}.attn.c_attn.bias`, [3 * D], 0.05);
    rand(`h.${i}.attn.c_proj.weight`, [D, D]);
    rand(`h.${i}.attn.c_proj.bias`, [D], 0.05);
    rand(`h.${i}.ln_2.weight`, [D], 0.1, 1);
    rand(`h.${i}.ln_2.bias`, [D], 0.05);
    rand(`h.${i}.mlp.c_fc.weight`, [D, 4 * D]);
    rand(`h.${i}.mlp.c_fc.bias`, [4 * D], 0.05);
    rand(`h.${i}.mlp.c_proj.weight`, [4 * D, D]);
    rand(`h.${i}.mlp.c_proj.bias`, [D], 0.05);
  }
  rand('ln_f.weight', [D], 0.1, 1);
  rand('ln_f.bias', [D], 0.05);

  fs.mkdirSync(dir, { recursive: true });
  const omit = new Set(o.omit ?? []);
  if (!omit.has('config.json')) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  if (!omit.has('model.safetensors')) {
    const prefix = o.prefix ?? '';
    const tensors = new Map<string, TensorToWrite>();
    for (const [k, v] of weights) tensors.set(prefix + k, { shape: v.shape, data: v.data, dtype: o.dtype ?? 'F32' });
    // the causal-mask buffer older checkpoints carry: the loader must ignore it
    if (prefix === '') tensors.set('h.0.attn.bias', { shape: [1, 1, 2, 2], data: new Float32Array([1, 0, 1, 1]) });
    writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  }
  if (!omit.has('tokenizer.json')) fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(byteLevelTokenizerJson()));
  if (!omit.has('tokenizer_config.json')) {
    fs.writeFileSync(
      path.join(dir, 'tokenizer_config.json'),
      JSON.stringify({ tokenizer_class: 'GPT2Tokenizer', bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', model_max_length: P, add_prefix_space: false }),
    );
  }
  return { dir, config, weights };
}
