// LoRA (low-rank adaptation) on a frozen linear layer, with PEFT's
// conventions so adapters move between Tune Studio and Python unchanged:
// lora_A is [r, in], lora_B is [out, r], the update is B·A scaled by alpha/r
// (alpha/√r with rsLoRA), dropout applies to the LoRA branch's input, A starts
// kaiming-uniform and B at zero (so a fresh adapter changes nothing). GPT-2's
// Conv1D keeps its weight as [in, out] — PEFT's fan_in_fan_out=true — so the
// merged update is (B·A)ᵀ.
import * as tf from '@tensorflow/tfjs';
import { Rng } from './rng';

export interface LoraSettings {
  r: number;
  alpha: number;
  dropout: number;
  /** rsLoRA: scale alpha/√r instead of alpha/r. */
  rslora: boolean;
}

export function loraScaling(s: Pick<LoraSettings, 'r' | 'alpha' | 'rslora'>): number {
  return s.rslora ? s.alpha / Math.sqrt(s.r) : s.alpha / s.r;
}

/**
 * PEFT initialises lora_A with kaiming_uniform_(a=√5): bound = gain·√(3/fan_in)
 * with gain = √(2/(1+a²)) = √(1/3), i.e. uniform(±1/√in).
 */
export function kaimingUniformA(r: number, inFeatures: number, rng: Rng): Float32Array {
  const bound = 1 / Math.sqrt(inFeatures);
  const out = new Float32Array(r * inFeatures);
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-bound, bound);
  return out;
}

/** A trainable variable that owns its initial value (tfjs variables share the tensor's data and keep a reference). */
export function ownedVariable<R extends tf.Rank>(init: tf.Tensor<R>): tf.Variable<R> {
  const v = tf.variable(init, true);
  init.dispose();
  return v;
}

/** Variable.assign without leaking the assigned tensor's reference. */
export function assignOwned<R extends tf.Rank>(v: tf.Variable<R>, value: tf.Tensor<R>): void {
  v.assign(value);
  value.dispose();
}

/**
 * a·b with either operand transposed. tfjs's WebAssembly backend multiplies
 * fast (XNNPACK) only when neither operand is transposed and runs every other
 * form through a naive loop (~1 GFLOP/s), so there the transposes are made
 * explicit; other backends take the flags natively.
 */
export function matMulT(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b, transposeA, transposeB);
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

/**
 * y = x·W + b for a frozen W [in, out], with a gradient for x only: tfjs's
 * autograd would also compute the unneeded dW. `weightT` supplies a kept Wᵀ
 * (on wasm a fresh transpose costs as much as the product it feeds).
 */
export function frozenLinear(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor1D | null, weightT?: () => tf.Tensor2D | null): tf.Tensor2D {
  const f = tf.customGrad(((xIn: tf.Tensor2D) => ({
    value: tf.fused.matMul({ a: xIn, b: w, bias: bias ?? undefined }) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor2D) => {
      const wt = weightT?.();
      return [wt ? tf.matMul(dy, wt) : matMulT(dy, w, false, true)];
    },
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor2D;
}

/**
 * scaling · (x·Aᵀ)·Bᵀ with hand-written gradients (see matMulT):
 *   h = x·Aᵀ, dB = s·dyᵀ·h, dh = s·dy·B, dA = dhᵀ·x, dx = dh·A.
 */
export function loraDelta(x: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D, scaling: number): tf.Tensor2D {
  const f = tf.customGrad(((xIn: tf.Tensor2D, aIn: tf.Tensor2D, bIn: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const h = matMulT(xIn, aIn, false, true);
    save([xIn, aIn, bIn, h]);
    return {
      value: tf.mul(matMulT(h, bIn, false, true), scaling) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [xs, as, bs, hs] = saved as tf.Tensor2D[];
        const dys = tf.mul(dy, scaling) as tf.Tensor2D;
        const dB = matMulT(dys, hs, true, false);
        const dh = tf.matMul(dys, bs) as tf.Tensor2D;
        const dA = matMulT(dh, xs, true, false);
        const dx = tf.matMul(dh, as);
        return [dx, dA, dB];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, a, b) as tf.Tensor2D;
}

export interface ApplyOptions {
  training?: boolean;
  /** Seed for this call's LoRA dropout mask (only used when training and dropout > 0). */
  dropoutSeed?: number;
}

/**
 * A frozen Conv1D-style linear layer (weight [in, out], y = x·W + b) with an
 * optional trainable LoRA branch. Only `loraA` and `loraB` are variables.
 */
export class LoraLinear {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: tf.Tensor2D;
  readonly bias: tf.Tensor1D | null;
  loraA: tf.Variable<tf.Rank.R2> | null = null;
  loraB: tf.Variable<tf.Rank.R2> | null = null;
  settings: LoraSettings | null = null;
  private mergedFlag = false;
  /** Wᵀ kept for the backward pass when caching is on (one more copy of W, made on first use). */
  private weightT: tf.Tensor2D | null = null;
  cacheTransposedWeight = false;

  /** `path` is the module path as PEFT names it, e.g. "transformer.h.0.attn.c_attn". */
  constructor(
    readonly path: string,
    weight: tf.Tensor2D,
    bias: tf.Tensor1D | null,
  ) {
    if (weight.rank !== 2) throw new Error(`${path}: weight must be 2-D [in, out], got shape ${JSON.stringify(weight.shape)}`);
    this.weight = weight;
    this.bias = bias;
    this.inFeatures = weight.shape[0];
    this.outFeatures = weight.shape[1];
    if (bias && bias.shape[0] !== this.outFeatures) {
      throw new Error(`${path}: bias has ${bias.shape[0]} values but the weight has ${this.outFeatures} outputs`);
    }
  }

  get hasLora(): boolean {
    return this.loraA !== null;
  }

  get merged(): boolean {
    return this.mergedFlag;
  }

  get scaling(): number {
    return this.settings ? loraScaling(this.settings) : 0;
  }

  /** Adds a LoRA branch: A kaiming-uniform from `rng`, B zero (PEFT's default init). */
  addLora(settings: LoraSettings, rng: Rng): void {
    if (this.loraA) throw new Error(`${this.path} already has a LoRA adapter`);
    if (!Number.isInteger(settings.r) || settings.r < 1) throw new Error(`${this.path}: LoRA rank r must be a positive integer, got ${settings.r}`);
    this.settings = { ...settings };
    this.loraA = ownedVariable(tf.tensor2d(kaimingUniformA(settings.r, this.inFeatures, rng), [settings.r, this.inFeatures]));
    this.loraB = ownedVariable(tf.zeros([this.outFeatures, settings.r]));
  }

  /** Replaces the adapter values (e.g. from a saved adapter); shapes must match PEFT's [r, in] / [out, r]. */
  setLoraWeights(a: Float32Array, b: Float32Array): void {
    if (!this.loraA || !this.loraB || !this.settings) throw new Error(`${this.path} has no LoRA adapter to load into`);
    const r = this.settings.r;
    if (a.length !== r * this.inFeatures) throw new Error(`${this.path}.lora_A: expected [${r}, ${this.inFeatures}], got ${a.length} values`);
    if (b.length !== this.outFeatures * r) throw new Error(`${this.path}.lora_B: expected [${this.outFeatures}, ${r}], got ${b.length} values`);
    assignOwned(this.loraA, tf.tensor2d(a, [r, this.inFeatures]));
    assignOwned(this.loraB, tf.tensor2d(b, [this.outFeatures, r]));
  }

  /** y = x·W + b (+ scaling · dropout(x)·Aᵀ·Bᵀ when the adapter is active and not merged). `x` is [N, in]. */
  apply(x: tf.Tensor2D, opts: ApplyOptions = {}): tf.Tensor2D {
    const base = frozenLinear(x, this.weight, this.bias, () => this.transposedWeight());
    if (!this.loraA || !this.loraB || !this.settings || this.mergedFlag) return base;
    let xin = x;
    if (opts.training && this.settings.dropout > 0) xin = tf.dropout(x, this.settings.dropout, undefined, opts.dropoutSeed ?? 0) as tf.Tensor2D;
    return tf.add(base, loraDelta(xin, this.loraA, this.loraB, this.scaling));
  }

  private transposedWeight(): tf.Tensor2D | null {
    if (!this.cacheTransposedWeight || tf.getBackend() !== 'wasm') return null;
    if (!this.weightT) this.weightT = tf.keep(tf.transpose(this.weight));
    return this.weightT;
  }

  /** Drops the cached Wᵀ (after the weight changed, or to free memory). */
  dropTransposedWeight(): void {
    this.weightT?.dispose();
    this.weightT = null;
  }

  /** ΔW in the base weight's [in, out] layout: scaling · (B·A)ᵀ = scaling · Aᵀ·Bᵀ. */
  deltaWeight(): tf.Tensor2D {
    if (!this.loraA || !this.loraB) throw new Error(`${this.path} has no LoRA adapter`);
    return tf.tidy(() => tf.mul(matMulT(this.loraA!, this.loraB!, true, true), this.scaling));
  }

  /** Folds the adapter into the base weight (inference: no extra matmuls). */
  merge(): void {
    if (!this.loraA || this.mergedFlag) return;
    const old = this.weight;
    this.weight = tf.tidy(() => tf.add(old, this.deltaWeight()));
    old.dispose();
    this.dropTransposedWeight();
    this.mergedFlag = true;
  }

  /** Undoes merge(): subtracts the same update again. */
  unmerge(): void {
    if (!this.loraA || !this.mergedFlag) return;
    const old = this.weight;
    this.weight = tf.tidy(() => tf.sub(old, this.deltaWeight()));
    old.dispose();
    this.dropTransposedWeight();
    this.mergedFlag = false;
  }

  dispose(): void {
    this.dropTransposedWeight();
    this.weight.dispose();
    this.bias?.dispose();
    this.loraA?.dispose();
    this.loraB?.dispose();
  }
}
