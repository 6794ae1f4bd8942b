// Zero-shot tagging: cosine similarity of a clip's embedding with each
// label's text embedding, softmax within a dimension (scaled like CLAP's
// logits), then the top_k labels whose probability reaches the threshold.
import type { LabelSet } from './labels';

export interface DimensionScores {
  dimension: string;
  /** Every label with its probability, best first (ties keep label order). */
  scores: Array<{ tag: string; probability: number }>;
  chosen: string[];
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** `textEmbeddings` are in the order of `labels.texts`, all L2-normalised. */
export function tagAudio(audio: Float32Array, labels: LabelSet, textEmbeddings: Float32Array[]): DimensionScores[] {
  if (textEmbeddings.length !== labels.texts.length) throw new Error(`expected ${labels.texts.length} label embeddings, got ${textEmbeddings.length}`);
  const out: DimensionScores[] = [];
  let offset = 0;
  for (const d of labels.dimensions) {
    const logits = d.labels.map((_, i) => labels.logitScale * dot(audio, textEmbeddings[offset + i]));
    offset += d.labels.length;
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    const scores = d.labels
      .map((l, i) => ({ tag: l.tag, probability: exps[i] / sum, i }))
      .sort((a, b) => b.probability - a.probability || a.i - b.i)
      .map(({ tag, probability }) => ({ tag, probability }));
    const chosen = scores
      .slice(0, d.topK)
      .filter((s) => s.probability >= d.threshold)
      .map((s) => s.tag);
    out.push({ dimension: d.name, scores, chosen });
  }
  return out;
}
