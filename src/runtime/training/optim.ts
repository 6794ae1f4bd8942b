// AdamW with decoupled weight decay and bias correction (PyTorch's
// torch.optim.AdamW update order), global-norm gradient clipping (as
// torch.nn.utils.clip_grad_norm_), and the warm-up + cosine/linear/constant
// learning-rate schedules of Hugging Face's get_*_schedule_with_warmup.
import * as tf from '@tensorflow/tfjs';
import { assignOwned, ownedVariable } from './lora';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export interface AdamWState {
  /** Optimizer steps taken. */
  t: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class AdamW {
  t = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    private readonly params: tf.Variable[],
    private readonly opts: AdamWOptions,
  ) {
    this.m = params.map((p) => ownedVariable(tf.zerosLike(p)));
    this.v = params.map((p) => ownedVariable(tf.zerosLike(p)));
  }

  /** One update with learning rate `lr`; `grads[i]` belongs to `params[i]` (not disposed here). */
  step(grads: tf.Tensor[], lr: number): void {
    if (grads.length !== this.params.length) throw new Error(`AdamW: ${grads.length} gradients for ${this.params.length} parameters`);
    this.t += 1;
    const { beta1, beta2, eps, weightDecay } = this.opts;
    const bc1 = 1 - Math.pow(beta1, this.t);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, this.t));
    const stepSize = lr / bc1;
    tf.tidy(() => {
      for (let i = 0; i < this.params.length; i++) {
        const p = this.params[i];
        const g = grads[i];
        const decayed = weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), eps);
        const next = tf.sub(decayed, tf.mul(tf.div(m, denom), stepSize));
        this.m[i].assign(m);
        this.v[i].assign(v);
        p.assign(next);
      }
    });
  }

  state(): AdamWState {
    return { t: this.t, m: this.m.map((x) => x.dataSync() as Float32Array), v: this.v.map((x) => x.dataSync() as Float32Array) };
  }

  load(s: AdamWState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) throw new Error(`Optimizer state has ${s.m.length} moments for ${this.m.length} parameters`);
    for (let i = 0; i < this.m.length; i++) {
      if (s.m[i].length !== this.m[i].size || s.v[i].length !== this.v[i].size) throw new Error(`Optimizer state for parameter ${i} has the wrong size`);
      assignOwned(this.m[i], tf.tensor(s.m[i], this.m[i].shape));
      assignOwned(this.v[i], tf.tensor(s.v[i], this.v[i].shape));
    }
    this.t = s.t;
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}

/** Global L2 norm of a list of gradients (a scalar tensor). */
export function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/** clip_grad_norm_: multiplies every gradient by min(1, maxNorm / (norm + 1e-6)); maxNorm 0 leaves them alone. */
export function clipByGlobalNorm(grads: tf.Tensor[], norm: number, maxNorm: number): tf.Tensor[] {
  if (!(maxNorm > 0)) return grads.map((g) => tf.clone(g));
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  return grads.map((g) => tf.mul(g, coef));
}

export interface ScheduleOptions {
  lr: number;
  type: 'cosine' | 'linear' | 'constant';
  warmupSteps: number;
  totalSteps: number;
  minLrRatio: number;
}

/**
 * Learning rate of optimizer step `step` (1-based). Like Hugging Face's
 * schedulers the factor is computed from the 0-based step index, so with
 * warm-up the first step runs at lr 0.
 */
export function learningRate(step: number, o: ScheduleOptions): number {
  const s = step - 1;
  if (s < o.warmupSteps) return (o.lr * s) / Math.max(1, o.warmupSteps);
  const progress = (s - o.warmupSteps) / Math.max(1, o.totalSteps - o.warmupSteps);
  let f: number;
  if (o.type === 'cosine') f = Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
  else if (o.type === 'linear') f = Math.max(0, 1 - progress);
  else f = 1;
  return o.lr * (o.minLrRatio + (1 - o.minLrRatio) * f);
}
