// Seeded randomness for the trainer. Every random draw is a pure function of
// (seed, purpose, counters) — data order of (seed, epoch), dropout of (seed,
// step, micro-batch), samples of (seed, step, prompt) — so a resumed run needs
// no saved generator state to repeat an uninterrupted run exactly.

/** 32-bit integer hash of several integers (murmur3-style mixing). */
export function hashInts(...xs: number[]): number {
  let h = 0x9e3779b9 | 0;
  for (const x of xs) {
    // split numbers beyond 32 bits into two words so large steps still mix in
    const lo = x >>> 0;
    const hi = Math.floor(x / 4294967296) >>> 0;
    for (const w of [lo, hi]) {
      let k = Math.imul(w, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Named purposes keep the streams for init, data order, dropout and sampling apart. */
export const RNG_PURPOSE = { init: 1, shuffle: 2, dropout: 3, sample: 4, split: 5 } as const;

/** A small, fast generator (mulberry32); state is one 32-bit word. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  static derive(...xs: number[]): Rng {
    return new Rng(hashInts(...xs));
  }
  /** Uniform in [0, 1) with 32 bits of randomness. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Fisher–Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
