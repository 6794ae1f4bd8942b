// A GPT-2-architecture causal language model in tfjs, loaded from a Hugging
// Face model folder (config.json + model.safetensors with HF's tensor names,
// with or without the "transformer." prefix; lm_head tied to wte). Base
// weights are frozen tensors; LoRA branches on the chosen target modules are
// the only variables, so gradients are computed for the adapter alone.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readGpt2Config, type Gpt2Config, type TargetModule } from './gpt2-config';
import { LoraLinear, type LoraSettings } from './lora';
import { hashInts, Rng, RNG_PURPOSE } from './rng';
import { readSafetensors, type LoadedTensor } from './safetensors';

export * from './gpt2-config';

export interface LoraPlan {
  settings: LoraSettings;
  targets: readonly TargetModule[];
}

interface LayerNorm {
  g: tf.Tensor1D;
  b: tf.Tensor1D;
}

interface Block {
  ln1: LayerNorm;
  ln2: LayerNorm;
  cAttn: LoraLinear;
  attnProj: LoraLinear;
  cFc: LoraLinear;
  mlpProj: LoraLinear;
}

export interface ForwardOptions {
  training?: boolean;
  /** Base seed for this forward pass's LoRA dropout masks. */
  dropoutSeed?: number;
}

/** Float32 data of a float tensor from the file (or a clear error). */
function floatData(t: LoadedTensor, name: string): Float32Array {
  if (!(t.data instanceof Float32Array)) throw new Error(`model.safetensors: tensor '${name}' has dtype ${t.dtype}; a float dtype is required`);
  return t.data;
}

export class Gpt2Model {
  readonly config: Gpt2Config;
  private readonly wte: tf.Tensor2D;
  private readonly wpe: tf.Tensor2D;
  private readonly lmHead: tf.Tensor2D | null;
  private readonly lnF: LayerNorm;
  private readonly blocks: Block[];
  private readonly masks = new Map<number, tf.Tensor2D>();
  lora: LoraPlan | null = null;

  private constructor(config: Gpt2Config, wte: tf.Tensor2D, wpe: tf.Tensor2D, lmHead: tf.Tensor2D | null, lnF: LayerNorm, blocks: Block[]) {
    this.config = config;
    this.wte = wte;
    this.wpe = wpe;
    this.lmHead = lmHead;
    this.lnF = lnF;
    this.blocks = blocks;
  }

  /**
   * Builds the model from HF GPT-2 tensors (names with or without the
   * "transformer." prefix). Extra tensors (attn.bias masks) are ignored;
   * missing or mis-shaped ones are named in the error.
   */
  static fromTensors(config: Gpt2Config, tensors: Map<string, LoadedTensor>, source = 'model.safetensors'): Gpt2Model {
    const prefix = tensors.has('transformer.wte.weight') ? 'transformer.' : tensors.has('wte.weight') ? '' : null;
    if (prefix === null) throw new Error(`${source}: no 'wte.weight' or 'transformer.wte.weight' tensor; is this a GPT-2 checkpoint?`);
    const D = config.n_embd;
    const created: tf.Tensor[] = [];
    const get = (name: string, shape: number[]): tf.Tensor => {
      const t = tensors.get(prefix + name);
      if (!t) throw new Error(`${source}: tensor '${prefix + name}' is missing`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`${source}: tensor '${prefix + name}' has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)} for this config`);
      }
      const out = tf.tensor(floatData(t, prefix + name), shape, 'float32');
      created.push(out);
      return out;
    };
    try {
      const wte = get('wte.weight', [config.vocab_size, D]) as tf.Tensor2D;
      const wpe = get('wpe.weight', [config.n_positions, D]) as tf.Tensor2D;
      let lmHead: tf.Tensor2D | null = null;
      if (!config.tie_word_embeddings) {
        const t = tensors.get('lm_head.weight');
        if (!t) throw new Error(`${source}: tie_word_embeddings is false but 'lm_head.weight' is missing`);
        lmHead = tf.tensor2d(floatData(t, 'lm_head.weight'), [config.vocab_size, D]);
        created.push(lmHead);
      }
      const ln = (name: string): LayerNorm => ({ g: get(`${name}.weight`, [D]) as tf.Tensor1D, b: get(`${name}.bias`, [D]) as tf.Tensor1D });
      const lin = (i: number, mod: string, inF: number, outF: number) =>
        new LoraLinear(`transformer.h.${i}.${mod}`, get(`h.${i}.${mod}.weight`, [inF, outF]) as tf.Tensor2D, get(`h.${i}.${mod}.bias`, [outF]) as tf.Tensor1D);
      const blocks: Block[] = [];
      for (let i = 0; i < config.n_layer; i++) {
        blocks.push({
          ln1: ln(`h.${i}.ln_1`),
          ln2: ln(`h.${i}.ln_2`),
          cAttn: lin(i, 'attn.c_attn', D, 3 * D),
          attnProj: lin(i, 'attn.c_proj', D, D),
          cFc: lin(i, 'mlp.c_fc', D, config.n_inner),
          mlpProj: lin(i, 'mlp.c_proj', config.n_inner, D),
        });
      }
      return new Gpt2Model(config, wte, wpe, lmHead, ln('ln_f'), blocks);
    } catch (e) {
      for (const t of created) t.dispose();
      throw e;
    }
  }

  /** Loads config.json and model.safetensors from a Hugging Face model folder. */
  static fromFolder(folder: string): Gpt2Model {
    const config = readGpt2Config(folder);
    const file = path.join(folder, 'model.safetensors');
    if (!fs.existsSync(file)) {
      throw new Error(`Model folder '${folder}' has no model.safetensors; the trainer reads safetensors weights only (convert a pytorch_model.bin with safetensors' convert script).`);
    }
    const { tensors } = readSafetensors(file);
    return Gpt2Model.fromTensors(config, tensors, file);
  }

  /** Adds LoRA branches to the target modules of every block; A is drawn from (seed, module index). */
  addLora(plan: LoraPlan, seed: number): void {
    if (this.lora) throw new Error('This model already has a LoRA adapter');
    this.lora = { settings: { ...plan.settings }, targets: [...plan.targets] };
    let k = 0;
    for (const m of this.loraModules(plan.targets)) m.addLora(plan.settings, Rng.derive(seed, RNG_PURPOSE.init, k++));
  }

  /** The linear modules carrying (or able to carry) LoRA, in a fixed order: layer, then c_attn, attn.c_proj, c_fc, mlp.c_proj. */
  loraModules(targets: readonly TargetModule[] = this.lora?.targets ?? []): LoraLinear[] {
    const out: LoraLinear[] = [];
    for (const b of this.blocks) {
      if (targets.includes('attn.c_attn')) out.push(b.cAttn);
      if (targets.includes('attn.c_proj')) out.push(b.attnProj);
      if (targets.includes('mlp.c_fc')) out.push(b.cFc);
      if (targets.includes('mlp.c_proj')) out.push(b.mlpProj);
    }
    return out;
  }

  /** The trainable variables (lora_A, lora_B per module, in loraModules() order). */
  trainableVariables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const m of this.loraModules()) out.push(m.loraA!, m.loraB!);
    return out;
  }

  merge(): void {
    for (const m of this.loraModules()) m.merge();
  }

  /**
   * Keeps Wᵀ of every linear layer for the backward pass on wasm: about twice
   * as fast a backward, for one more copy of the linear weights (and
   * XNNPACK's packed copy of it). The trainer turns it on when that fits.
   */
  setBackwardWeightCache(on: boolean): void {
    for (const b of this.blocks) {
      for (const m of [b.cAttn, b.attnProj, b.cFc, b.mlpProj]) {
        m.cacheTransposedWeight = on;
        if (!on) m.dropTransposedWeight();
      }
    }
  }

  /** Parameters in the four linear layers of every block (what the backward cache copies). */
  linearParamCount(): number {
    const c = this.config;
    return c.n_layer * (c.n_embd * 3 * c.n_embd + c.n_embd * c.n_embd + 2 * c.n_embd * c.n_inner);
  }

  unmerge(): void {
    for (const m of this.loraModules()) m.unmerge();
  }

  private layerNorm(x: tf.Tensor2D, p: LayerNorm): tf.Tensor2D {
    const { mean, variance } = tf.moments(x, -1, true);
    const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.config.layer_norm_epsilon)));
    return tf.add(tf.mul(xhat, p.g), p.b);
  }

  private activation(x: tf.Tensor2D): tf.Tensor2D {
    switch (this.config.activation_function) {
      case 'relu':
        return tf.relu(x);
      case 'gelu':
        return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
      default: {
        // gelu_new (GPT-2): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
        return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
      }
    }
  }

  /** [T, T] additive mask: 0 on and below the diagonal, a large negative number above (future positions). */
  private causalMask(T: number): tf.Tensor2D {
    let m = this.masks.get(T);
    if (!m) {
      const data = new Float32Array(T * T);
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) data[i * T + j] = -1e9;
      m = tf.keep(tf.tensor2d(data, [T, T]));
      this.masks.set(T, m);
    }
    return m;
  }

  /** Final hidden states (after ln_f), [B·T, D], for int32 ids [B, T]. */
  hidden(ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor2D {
    const [B, T] = ids.shape;
    if (T > this.config.n_positions) throw new Error(`Sequence of ${T} tokens exceeds the model's ${this.config.n_positions} positions`);
    const D = this.config.n_embd;
    const H = this.config.n_head;
    const hd = D / H;
    const seed = opts.dropoutSeed ?? 0;
    let k = 0;
    const dropSeed = () => hashInts(seed, k++);
    const tok = tf.gather(this.wte, tf.reshape(ids, [B * T]));
    const pos = tf.tile(tf.slice(this.wpe, [0, 0], [T, D]), [B, 1]);
    let h = tf.add(tok, pos) as tf.Tensor2D;
    const mask = this.causalMask(T);
    // [B·T, D] → [B, H, T, hd]. Attention products stay batched: tfjs's wasm backend has no
    // fast batched kernel, and splitting per head or pre-transposing measured no faster.
    const heads = (x: tf.Tensor2D) => tf.transpose(tf.reshape(x, [B, T, H, hd]), [0, 2, 1, 3]);
    for (let i = 0; i < this.blocks.length; i++) {
      const blk = this.blocks[i];
      const a = this.layerNorm(h, blk.ln1);
      const qkv = blk.cAttn.apply(a, { training: opts.training, dropoutSeed: dropSeed() });
      const [q, kk, v] = tf.split(qkv, 3, 1) as tf.Tensor2D[];
      let scale = this.config.scale_attn_weights ? 1 / Math.sqrt(hd) : 1;
      if (this.config.scale_attn_by_inverse_layer_idx) scale /= i + 1;
      const scores = tf.add(tf.mul(tf.matMul(heads(q), heads(kk), false, true), scale), mask);
      const probs = tf.softmax(scores, -1);
      const ctx = tf.reshape(tf.transpose(tf.matMul(probs, heads(v)), [0, 2, 1, 3]), [B * T, D]) as tf.Tensor2D;
      h = tf.add(h, blk.attnProj.apply(ctx, { training: opts.training, dropoutSeed: dropSeed() }));
      const m = this.layerNorm(h, blk.ln2);
      const f = this.activation(blk.cFc.apply(m, { training: opts.training, dropoutSeed: dropSeed() }));
      h = tf.add(h, blk.mlpProj.apply(f, { training: opts.training, dropoutSeed: dropSeed() }));
    }
    return this.layerNorm(h, this.lnF);
  }

  private project(h: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(h, this.lmHead ?? this.wte, false, true);
  }

  /** Logits [B, T, V] for int32 ids [B, T]. */
  logits(ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    const [B, T] = ids.shape;
    return tf.tidy(() => tf.reshape(this.project(this.hidden(ids, opts)), [B, T, this.config.vocab_size]) as tf.Tensor3D);
  }

  /**
   * Mean next-token cross-entropy over a batch of blocks [B, T] (targets are
   * the ids shifted by one, as Hugging Face computes it from labels = input_ids).
   * Not wrapped in tidy so it can run inside tf.variableGrads.
   */
  loss(ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Scalar {
    const [B, T] = ids.shape;
    const D = this.config.n_embd;
    const V = this.config.vocab_size;
    const h = tf.reshape(this.hidden(ids, opts), [B, T, D]);
    const hs = tf.reshape(tf.slice(h, [0, 0, 0], [B, T - 1, D]), [B * (T - 1), D]) as tf.Tensor2D;
    const logits = this.project(hs);
    const targets = tf.reshape(tf.slice(ids, [0, 1], [B, T - 1]), [B * (T - 1)]) as tf.Tensor1D;
    const lse = tf.logSumExp(logits, 1);
    const picked = tf.sum(tf.mul(logits, tf.oneHot(targets, V)), 1);
    return tf.mean(tf.sub(lse, picked)) as tf.Scalar;
  }

  /**
   * Continues `prompt` by up to `maxNewTokens` tokens: greedy when topK is 1 or
   * temperature is 0, else top-k sampling from `rng`. Stops at `eosId`.
   */
  generate(prompt: number[], opts: { maxNewTokens: number; topK?: number; temperature?: number; rng?: Rng; eosId?: number | null; contextSize?: number }): number[] {
    const ids = prompt.length ? [...prompt] : [opts.eosId ?? this.config.bos_token_id ?? 0];
    const start = prompt.length ? ids.length : 1;
    const ctxLen = Math.min(opts.contextSize ?? this.config.n_positions, this.config.n_positions);
    const rng = opts.rng ?? new Rng(0);
    const temperature = opts.temperature ?? 1;
    const topK = opts.topK ?? 0;
    for (let n = 0; n < opts.maxNewTokens; n++) {
      const window = ids.slice(-ctxLen);
      const row = tf.tidy(() => {
        const h = this.hidden(tf.tensor2d(window, [1, window.length], 'int32'));
        const last = tf.slice(h, [window.length - 1, 0], [1, this.config.n_embd]);
        return this.project(last as tf.Tensor2D).dataSync() as Float32Array;
      });
      const next = pickToken(row, topK, temperature, rng);
      ids.push(next);
      if (opts.eosId != null && next === opts.eosId) break;
    }
    return ids.slice(start);
  }

  dispose(): void {
    this.wte.dispose();
    this.wpe.dispose();
    this.lmHead?.dispose();
    this.lnF.g.dispose();
    this.lnF.b.dispose();
    for (const b of this.blocks) {
      for (const ln of [b.ln1, b.ln2]) {
        ln.g.dispose();
        ln.b.dispose();
      }
      for (const m of [b.cAttn, b.attnProj, b.cFc, b.mlpProj]) m.dispose();
    }
    for (const m of this.masks.values()) m.dispose();
    this.masks.clear();
  }
}

/** Greedy (topK 1 or temperature 0) or top-k sampling from a row of logits. Ties go to the lowest id. */
export function pickToken(logits: Float32Array, topK: number, temperature: number, rng: Rng): number {
  if (topK === 1 || temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  const order = Array.from(logits.keys());
  order.sort((a, b) => logits[b] - logits[a] || a - b);
  const k = topK > 0 ? Math.min(topK, order.length) : order.length;
  const cand = order.slice(0, k);
  const maxL = logits[cand[0]];
  const w = cand.map((i) => Math.exp((logits[i] - maxL) / temperature));
  const total = w.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let j = 0; j < k; j++) {
    u -= w[j];
    if (u < 0) return cand[j];
  }
  return cand[k - 1];
}
