// Builds a tiny CLAP-compatible model folder for tests: the same files the
// real Xenova/clap-htsat-unfused has (config.json, a RoBERTa-style byte-level
// BPE tokenizer, the CLAP preprocessor config, onnx/text_model*.onnx and
// onnx/audio_model*.onnx). The graphs take the input names and shapes
// transformers.js feeds (input_ids + attention_mask; input_features) and
// produce text_embeds / audio_embeds, with seeded weights so every output is
// deterministic. Loaded through exactly the code path of the real model.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DT, encodeModel } from './onnxModel';
import { rng } from './random';

export interface TinyClapOptions {
  /** Seed of the weights: a different seed is a different model (different file hash). */
  seed?: number;
  /** Projection size (the real model has 512). */
  dim?: number;
  /** Which precision files to write: 'quantized' (default name the loader prefers), 'fp32', or both. */
  variants?: Array<'quantized' | 'fp32'>;
}

const SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'];
export const TINY_CLAP_DIM = 32;
const MEL_BINS = 64;

/** Seeded (mulberry32), so fixture weights are identical on every run. */
function randomMatrix(rand: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

/** GPT-2 / RoBERTa byte-to-unicode table used by byte-level BPE vocabularies. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const table: string[] = new Array(256);
  bs.forEach((b, i) => (table[b] = String.fromCodePoint(cs[i])));
  return table;
}

function tokenizerJson(): object {
  const vocab: Record<string, number> = {};
  SPECIALS.forEach((t, i) => (vocab[t] = i));
  bytesToUnicode().forEach((ch, b) => (vocab[ch] = SPECIALS.length + b));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['</s>', 2],
      cls: ['<s>', 0],
      trim_offsets: true,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [],
    },
  };
}

/** The real model's preprocessor config (48 kHz, 10 s windows, 64 mel bins). */
export const CLAP_PREPROCESSOR_CONFIG = {
  chunk_length_s: 10,
  feature_extractor_type: 'ClapFeatureExtractor',
  feature_size: MEL_BINS,
  fft_window_size: 1024,
  frequency_max: 14000,
  frequency_min: 50,
  hop_length: 480,
  max_length_s: 10,
  n_fft: 1024,
  nb_frequency_bins: 513,
  nb_max_frames: 1000,
  nb_max_samples: 480000,
  padding: 'repeatpad',
  padding_side: 'right',
  padding_value: 0.0,
  processor_class: 'ClapProcessor',
  return_attention_mask: false,
  sampling_rate: 48000,
  top_db: null,
  truncation: 'rand_trunc',
};

/** text: Gather byte embeddings, mask, sum over the sequence, project → text_embeds [batch, dim]. */
function textGraph(rand: () => number, dim: number): Uint8Array {
  const vocab = SPECIALS.length + 256;
  return encodeModel({
    name: 'tiny_clap_text',
    inputs: [
      { name: 'input_ids', elemType: DT.INT64, shape: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', elemType: DT.INT64, shape: ['batch_size', 'sequence_length'] },
    ],
    outputs: [{ name: 'text_embeds', elemType: DT.FLOAT, shape: ['batch_size', dim] }],
    initializers: [
      { name: 'embeddings', dims: [vocab, dim], data: randomMatrix(rand, vocab * dim) },
      { name: 'projection', dims: [dim, dim], data: randomMatrix(rand, dim * dim, 0.5) },
      { name: 'axis2', dims: [1], data: BigInt64Array.from([2n]) },
      { name: 'axis1', dims: [1], data: BigInt64Array.from([1n]) },
    ],
    nodes: [
      { op: 'Gather', inputs: ['embeddings', 'input_ids'], outputs: ['tok'], attrs: { axis: 0 }, intAttrs: ['axis'] },
      { op: 'Cast', inputs: ['attention_mask'], outputs: ['maskf'], attrs: { to: DT.FLOAT }, intAttrs: ['to'] },
      { op: 'Unsqueeze', inputs: ['maskf', 'axis2'], outputs: ['mask3'] },
      { op: 'Mul', inputs: ['tok', 'mask3'], outputs: ['masked'] },
      { op: 'ReduceSum', inputs: ['masked', 'axis1'], outputs: ['pooled'], attrs: { keepdims: 0 }, intAttrs: ['keepdims'] },
      { op: 'Tanh', inputs: ['pooled'], outputs: ['act'] },
      { op: 'MatMul', inputs: ['act', 'projection'], outputs: ['text_embeds'] },
    ],
  });
}

/** audio: mean and max of the log-mel over time, concatenated, projected → audio_embeds [batch, dim]. */
function audioGraph(rand: () => number, dim: number): Uint8Array {
  return encodeModel({
    name: 'tiny_clap_audio',
    inputs: [{ name: 'input_features', elemType: DT.FLOAT, shape: ['batch_size', 1, 'time', MEL_BINS] }],
    outputs: [{ name: 'audio_embeds', elemType: DT.FLOAT, shape: ['batch_size', dim] }],
    initializers: [
      { name: 'projection', dims: [2 * MEL_BINS, dim], data: randomMatrix(rand, 2 * MEL_BINS * dim, 0.1) },
      { name: 'offset', dims: [1], data: Float32Array.from([60]) },
    ],
    nodes: [
      { op: 'ReduceMean', inputs: ['input_features'], outputs: ['mean'], attrs: { axes: [1, 2], keepdims: 0 }, intAttrs: ['axes', 'keepdims'] },
      { op: 'ReduceMax', inputs: ['input_features'], outputs: ['max'], attrs: { axes: [1, 2], keepdims: 0 }, intAttrs: ['axes', 'keepdims'] },
      { op: 'Concat', inputs: ['mean', 'max'], outputs: ['stats'], attrs: { axis: 1 }, intAttrs: ['axis'] },
      { op: 'Add', inputs: ['stats', 'offset'], outputs: ['shifted'] },
      { op: 'MatMul', inputs: ['shifted', 'projection'], outputs: ['audio_embeds'] },
    ],
  });
}

/** Writes the model folder and returns its path. */
export function writeTinyClap(dir: string, opts: TinyClapOptions = {}): string {
  const seed = opts.seed ?? 1;
  const dim = opts.dim ?? TINY_CLAP_DIM;
  const variants = opts.variants ?? ['quantized', 'fp32'];
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  const json = (name: string, v: unknown) => fs.writeFileSync(path.join(dir, name), JSON.stringify(v, null, 2));
  json('config.json', {
    architectures: ['ClapModel'],
    model_type: 'clap',
    projection_dim: dim,
    logit_scale_init_value: 14.285714285714285,
    text_config: { model_type: 'clap_text_model', vocab_size: SPECIALS.length + 256, hidden_size: dim, max_position_embeddings: 514 },
    audio_config: { model_type: 'clap_audio_model', num_mel_bins: MEL_BINS, projection_dim: dim },
    transformers_version: '4.40.0',
  });
  json('tokenizer.json', tokenizerJson());
  json('tokenizer_config.json', {
    tokenizer_class: 'RobertaTokenizer',
    model_max_length: 512,
    bos_token: '<s>',
    eos_token: '</s>',
    sep_token: '</s>',
    cls_token: '<s>',
    unk_token: '<unk>',
    pad_token: '<pad>',
    mask_token: '<unk>',
    add_prefix_space: false,
    errors: 'replace',
  });
  json('special_tokens_map.json', { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', pad_token: '<pad>' });
  json('preprocessor_config.json', CLAP_PREPROCESSOR_CONFIG);
  const rand = rng(seed);
  const text = textGraph(rand, dim);
  const audio = audioGraph(rand, dim);
  for (const v of variants) {
    const suffix = v === 'quantized' ? '_quantized' : '';
    fs.writeFileSync(path.join(dir, 'onnx', `text_model${suffix}.onnx`), text);
    fs.writeFileSync(path.join(dir, 'onnx', `audio_model${suffix}.onnx`), audio);
  }
  return dir;
}
