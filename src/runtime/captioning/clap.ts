// CLAP with @huggingface/transformers on onnxruntime-node. The text and audio
// towers are loaded separately (ClapTextModelWithProjection +
// tokenizer; ClapAudioModelWithProjection + ClapFeatureExtractor), so label
// texts are embedded once per label list and model and then read from a
// cache, while each clip needs only the audio tower.
import * as crypto from 'node:crypto';
import type * as Transformers from '@huggingface/transformers';
import type { FileFacts } from '../datasets/facts';
import type { ResolvedModel } from './model';

/** Changes whenever the way a clip becomes one vector changes (windows, pooling). */
export const AUDIO_POLICY = 'windows-3x10s-mean-v1';
export const MAX_WINDOWS = 3;
const TEXT_BATCH = 32;

type TransformersModule = typeof Transformers;
let transformers: Promise<TransformersModule> | null = null;

/** Loads transformers.js once, local files only: downloads are ours (model.ts), never the library's. */
export function loadTransformers(): Promise<TransformersModule> {
  transformers ??= import('@huggingface/transformers').then((t) => {
    t.env.allowRemoteModels = false;
    t.env.allowLocalModels = true;
    t.env.useFSCache = false;
    t.env.useBrowserCache = false;
    t.env.logLevel = t.LogLevel?.ERROR ?? 40;
    return t;
  });
  return transformers;
}

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s) || 1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}

export interface ModelKeys {
  /** Keys label-text embeddings: model id + text graph + tokenizer. */
  text: string;
  /** Keys audio embeddings: model id + audio graph + preprocessor config + pooling policy. */
  audio: string;
  textModelSha256: string;
  audioModelSha256: string;
}

const sha = (...parts: string[]) => crypto.createHash('sha256').update(parts.join('\n')).digest('hex');

export async function modelKeys(model: ResolvedModel, facts: FileFacts): Promise<ModelKeys> {
  const [textModel, tokenizer, audioModel, preprocessor] = await Promise.all([
    facts.sha256(model.textModel),
    facts.sha256(model.tokenizer),
    facts.sha256(model.audioModel),
    facts.sha256(model.preprocessor),
  ]);
  return {
    text: sha('clap-text', model.id, textModel, tokenizer),
    audio: sha('clap-audio', model.id, audioModel, preprocessor, AUDIO_POLICY),
    textModelSha256: textModel,
    audioModelSha256: audioModel,
  };
}

/** The two CLAP towers of one model folder, loaded once and reused across batches. */
export class Clap {
  /** Inference calls actually made (tests prove cache hits with these). */
  readonly counters = { textRuns: 0, textsEmbedded: 0, audioRuns: 0, windows: 0 };

  private constructor(
    readonly model: ResolvedModel,
    readonly keys: ModelKeys,
    private readonly t: TransformersModule,
    private readonly tokenizer: Transformers.PreTrainedTokenizer,
    private readonly textModel: Transformers.PreTrainedModel,
    private readonly featureExtractor: Transformers.FeatureExtractor,
    private readonly audioModel: Transformers.PreTrainedModel,
  ) {}

  static async load(model: ResolvedModel, keys: ModelKeys): Promise<Clap> {
    const t = await loadTransformers();
    const opts = { local_files_only: true, dtype: model.dtype, device: 'cpu' } as const;
    const [tokenizer, textModel, featureExtractor, audioModel] = await Promise.all([
      t.AutoTokenizer.from_pretrained(model.dir, { local_files_only: true }),
      t.ClapTextModelWithProjection.from_pretrained(model.dir, opts),
      t.AutoFeatureExtractor.from_pretrained(model.dir, { local_files_only: true }),
      t.ClapAudioModelWithProjection.from_pretrained(model.dir, opts),
    ]);
    return new Clap(model, keys, t, tokenizer, textModel, featureExtractor, audioModel);
  }

  /** Samples per analysis window (10 s at 48 kHz for CLAP). */
  get windowSamples(): number {
    const c = (this.featureExtractor as unknown as { config: { nb_max_samples?: number } }).config;
    return c.nb_max_samples ?? 480_000;
  }

  get sampleRate(): number {
    const c = (this.featureExtractor as unknown as { config: { sampling_rate?: number } }).config;
    return c.sampling_rate ?? 48_000;
  }

  /** L2-normalised text embeddings, one per text. */
  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += TEXT_BATCH) {
      const batch = texts.slice(i, i + TEXT_BATCH);
      const inputs = this.tokenizer(batch, { padding: true, truncation: true });
      this.counters.textRuns++;
      this.counters.textsEmbedded += batch.length;
      const { text_embeds } = (await this.textModel(inputs)) as { text_embeds: Transformers.Tensor };
      const [n, d] = text_embeds.dims as number[];
      const data = text_embeds.data as Float32Array;
      for (let r = 0; r < n; r++) out.push(l2normalize(data.slice(r * d, (r + 1) * d)));
    }
    return out;
  }

  /** log-mel features of one window (at most windowSamples long; shorter is repeat-padded). */
  async features(window: Float32Array): Promise<Transformers.Tensor> {
    if (window.length > this.windowSamples) window = window.subarray(0, this.windowSamples);
    const { input_features } = (await (this.featureExtractor as unknown as (a: Float32Array) => Promise<{ input_features: Transformers.Tensor }>)(window)) as {
      input_features: Transformers.Tensor;
    };
    return input_features;
  }

  /** One L2-normalised embedding for a clip: the mean of its windows' embeddings. */
  async embedAudio(windows: Float32Array[]): Promise<Float32Array> {
    const feats: Transformers.Tensor[] = [];
    for (const w of windows) feats.push(await this.features(w));
    const dims = feats[0].dims as number[];
    const per = (feats[0].data as Float32Array).length;
    const data = new Float32Array(per * feats.length);
    feats.forEach((f, i) => data.set(f.data as Float32Array, i * per));
    const input = new this.t.Tensor('float32', data, [feats.length, ...dims.slice(1)]);
    this.counters.audioRuns++;
    this.counters.windows += windows.length;
    const { audio_embeds } = (await this.audioModel({ input_features: input })) as { audio_embeds: Transformers.Tensor };
    const [n, d] = audio_embeds.dims as number[];
    const e = audio_embeds.data as Float32Array;
    const mean = new Float32Array(d);
    for (let r = 0; r < n; r++) {
      const v = l2normalize(e.slice(r * d, (r + 1) * d));
      for (let j = 0; j < d; j++) mean[j] += v[j] / n;
    }
    return l2normalize(mean);
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([this.textModel.dispose(), this.audioModel.dispose()]);
  }
}
