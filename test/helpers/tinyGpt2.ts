// Test fixture: tiny GPT-2 model folders (the generator lives in
// src/runtime/training/tinyGpt2.ts, shared with the demo model the built-in
// trainer makes), small text datasets and training configs for them.
import * as fs from 'node:fs';
import * as path from 'node:path';

export { bytesToUnicode, byteLevelTokenizerJson, EOS_ID, VOCAB_SIZE, writeTinyGpt2, type TinyGpt2, type TinyGpt2Options } from '../../src/runtime/training/tinyGpt2';

/** Writes a small ACE-Step-style dataset folder (prompts, lyrics, dataset.json with a trigger word). */
export function writeTinyDataset(dir: string, samples: Array<{ stem: string; prompt: string; lyrics: string }>, triggerWord = 'zqx'): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify({ name: path.basename(dir), triggerWord }, null, 2));
  for (const s of samples) {
    fs.writeFileSync(path.join(dir, `${s.stem}_prompt.txt`), s.prompt);
    fs.writeFileSync(path.join(dir, `${s.stem}_lyrics.txt`), s.lyrics);
  }
  return dir;
}

/** A training config object for the tiny model (override anything). */
export function tinyTrainConfig(modelDir: string, dataset: string | string[], output: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: modelDir,
    dataset,
    output,
    lora: { r: 4, alpha: 8, dropout: 0, target_modules: ['c_attn', 'c_proj', 'c_fc', 'mlp.c_proj'] },
    optimizer: { lr: 0.01, weight_decay: 0.01, max_grad_norm: 1 },
    schedule: { type: 'cosine', warmup_steps: 2 },
    steps: 10,
    batch_size: 4,
    block_size: 16,
    eval_fraction: 0.2,
    eval_every: 5,
    sample_every: 0,
    sample: { max_new_tokens: 8, top_k: 5 },
    checkpoint_every: 5,
    keep_best: 1,
    seed: 7,
    backend: 'wasm',
    ...over,
  };
}
