// An independent plain-JavaScript (float64) GPT-2 forward pass written from
// the architecture's definition, used to check the tfjs model: embeddings,
// pre-LayerNorm blocks, causal softmax attention, gelu_new MLP, tied head,
// and optional LoRA deltas in PEFT's layout (A [r, in], B [out, r]).

export interface RefWeights {
  get(name: string): { shape: number[]; data: Float32Array } | undefined;
}

export interface RefConfig {
  n_embd: number;
  n_head: number;
  n_layer: number;
  vocab_size: number;
  layer_norm_epsilon: number;
}

export interface RefLora {
  /** Module path → A [r, in], B [out, r] (row-major) and scaling. */
  get(path: string): { a: Float32Array; b: Float32Array; r: number; scaling: number } | undefined;
}

function w(weights: RefWeights, name: string): Float32Array {
  const t = weights.get(name);
  if (!t) throw new Error(`reference: missing ${name}`);
  return t.data;
}

function layerNorm(x: Float64Array, g: Float32Array, b: Float32Array, eps: number): Float64Array {
  const n = x.length;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= n;
  let vr = 0;
  for (const v of x) vr += (v - mean) ** 2;
  vr /= n;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((x[i] - mean) / Math.sqrt(vr + eps)) * g[i] + b[i];
  return out;
}

/** y = x·W + b with W [in, out] (Conv1D), plus scaling·B·(A·x) when a LoRA is given. */
function conv1d(x: Float64Array, W: Float32Array, bias: Float32Array, out: number, lora?: { a: Float32Array; b: Float32Array; r: number; scaling: number }): Float64Array {
  const inF = x.length;
  const y = new Float64Array(out);
  for (let j = 0; j < out; j++) {
    let s = bias[j];
    for (let i = 0; i < inF; i++) s += x[i] * W[i * out + j];
    y[j] = s;
  }
  if (lora) {
    const h = new Float64Array(lora.r);
    for (let k = 0; k < lora.r; k++) {
      let s = 0;
      for (let i = 0; i < inF; i++) s += lora.a[k * inF + i] * x[i];
      h[k] = s;
    }
    for (let j = 0; j < out; j++) {
      let s = 0;
      for (let k = 0; k < lora.r; k++) s += lora.b[j * lora.r + k] * h[k];
      y[j] += lora.scaling * s;
    }
  }
  return y;
}

function geluNew(v: number): number {
  return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
}

/** Logits [T][V] for one sequence. */
export function referenceLogits(cfg: RefConfig, weights: RefWeights, ids: number[], lora?: RefLora): Float64Array[] {
  const D = cfg.n_embd;
  const H = cfg.n_head;
  const hd = D / H;
  const T = ids.length;
  const wte = w(weights, 'wte.weight');
  const wpe = w(weights, 'wpe.weight');
  let h: Float64Array[] = ids.map((id, t) => {
    const v = new Float64Array(D);
    for (let i = 0; i < D; i++) v[i] = wte[id * D + i] + wpe[t * D + i];
    return v;
  });
  for (let l = 0; l < cfg.n_layer; l++) {
    const p = `h.${l}.`;
    const mp = `transformer.h.${l}.`;
    const a = h.map((x) => layerNorm(x, w(weights, p + 'ln_1.weight'), w(weights, p + 'ln_1.bias'), cfg.layer_norm_epsilon));
    const qkv = a.map((x) => conv1d(x, w(weights, p + 'attn.c_attn.weight'), w(weights, p + 'attn.c_attn.bias'), 3 * D, lora?.get(mp + 'attn.c_attn')));
    const ctx = Array.from({ length: T }, () => new Float64Array(D));
    for (let head = 0; head < H; head++) {
      for (let i = 0; i < T; i++) {
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let d = 0; d < hd; d++) s += qkv[i][head * hd + d] * qkv[j][D + head * hd + d];
          scores.push(s / Math.sqrt(hd));
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((x, y) => x + y, 0);
        for (let j = 0; j <= i; j++) for (let d = 0; d < hd; d++) ctx[i][head * hd + d] += (e[j] / z) * qkv[j][2 * D + head * hd + d];
      }
    }
    const attnOut = ctx.map((x) => conv1d(x, w(weights, p + 'attn.c_proj.weight'), w(weights, p + 'attn.c_proj.bias'), D, lora?.get(mp + 'attn.c_proj')));
    h = h.map((x, t) => x.map((v, i) => v + attnOut[t][i]));
    const m2 = h.map((x) => layerNorm(x, w(weights, p + 'ln_2.weight'), w(weights, p + 'ln_2.bias'), cfg.layer_norm_epsilon));
    const fc = m2.map((x) => conv1d(x, w(weights, p + 'mlp.c_fc.weight'), w(weights, p + 'mlp.c_fc.bias'), 4 * D, lora?.get(mp + 'mlp.c_fc')).map(geluNew));
    const mo = fc.map((x) => conv1d(x, w(weights, p + 'mlp.c_proj.weight'), w(weights, p + 'mlp.c_proj.bias'), D, lora?.get(mp + 'mlp.c_proj')));
    h = h.map((x, t) => x.map((v, i) => v + mo[t][i]));
  }
  const f = h.map((x) => layerNorm(x, w(weights, 'ln_f.weight'), w(weights, 'ln_f.bias'), cfg.layer_norm_epsilon));
  return f.map((x) => {
    const out = new Float64Array(cfg.vocab_size);
    for (let v = 0; v < cfg.vocab_size; v++) {
      let s = 0;
      for (let i = 0; i < D; i++) s += x[i] * wte[v * D + i];
      out[v] = s;
    }
    return out;
  });
}

/** Mean next-token cross-entropy of one sequence from reference logits. */
export function referenceLoss(logits: Float64Array[], ids: number[]): number {
  let sum = 0;
  for (let t = 0; t < ids.length - 1; t++) {
    const row = logits[t];
    const m = Math.max(...row);
    let z = 0;
    for (const v of row) z += Math.exp(v - m);
    sum += m + Math.log(z) - row[ids[t + 1]];
  }
  return sum / (ids.length - 1);
}
