// Captioning benchmark with the tiny CLAP fixture (the real model cannot be
// downloaded here): ffmpeg decode and CLAP feature extraction in × real time,
// captioning in clips/s with the audio-embedding cache cold and warm, and the
// label text embeddings from the model vs from the disk cache. Baselines run
// beside ours in the same process: a full decode vs our windowed decode, a
// cold cache vs a warm one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeAudio, decodeWindows, windowStarts } from '../src/runtime/audio/decode';
import { resolveAudioTools } from '../src/runtime/audio/ffmpeg';
import { MAX_WINDOWS } from '../src/runtime/captioning/clap';
import { loadLabels } from '../src/runtime/captioning/labels';
import { DatasetService } from '../src/runtime/datasets/service';
import { Logger, silentSink } from '../src/runtime/log';
import { Store } from '../src/runtime/store/store';
import { makeAudio } from '../test/helpers/audioFixtures';
import { writeTinyClap } from '../test/helpers/tinyClap';
import { median, printTable, ratio, saveResults, timeIt, workDir } from './lib';

const CLIPS = 8;
const CLIP_SECONDS = 30;

async function main() {
  const work = workDir('captioning');
  const model = writeTinyClap(path.join(work, 'model'));
  const ds = path.join(work, 'ws', 'set');
  fs.mkdirSync(ds, { recursive: true });
  fs.writeFileSync(path.join(ds, 'dataset.json'), JSON.stringify({ name: 'bench', triggerWord: 'bn' }));
  for (let i = 0; i < CLIPS; i++) {
    makeAudio(path.join(ds, `clip${i}.mp3`), i % 2 ? { seconds: CLIP_SECONDS, kind: 'noise', seed: i } : { seconds: CLIP_SECONDS, freq: 110 * (i + 1) });
    fs.writeFileSync(path.join(ds, `clip${i}_lyrics.txt`), '[instrumental]');
  }
  const tools = resolveAudioTools();
  const one = path.join(ds, 'clip0.mp3');

  // Decode: the whole clip (baseline) vs the windows captioning keeps (ours).
  const full = await timeIt(() => decodeAudio(one, tools), 5, 1);
  const starts = windowStarts(CLIP_SECONDS, 480_000, 48_000, MAX_WINDOWS);
  const windowed = await timeIt(() => decodeWindows(one, tools, starts, 480_000), 5, 1);
  const fullX = CLIP_SECONDS / (median(full) / 1000);

  let n = 0;
  const service = (storeDir: string) =>
    new DatasetService({
      store: new Store(storeDir),
      log: new Logger(silentSink),
      settings: () => ({ captioningModelPath: model, captioningOffline: true }),
      workspaceFolders: [path.join(work, 'ws')],
    });

  // Features: CLAP log-mel of one 10 s window.
  const s0 = service(path.join(work, `store-${n++}`));
  const clap = await s0.captioner.clap();
  const win = (await decodeWindows(one, tools, [0], 480_000))[0];
  const feat = await timeIt(() => clap.features(win), 10, 2);
  const featX = 10 / (median(feat) / 1000);

  // Label text embeddings: the model (miss) vs the disk cache (hit).
  const labels = loadLabels({});
  const textMiss = await timeIt(async () => {
    const s = service(path.join(work, `store-${n++}`));
    const c = await s.captioner.clap();
    await s.captioner.labelEmbeddings(c, labels);
    await s.dispose();
  }, 3, 1);
  const textStore = path.join(work, `store-${n++}`);
  const warm = service(textStore);
  await warm.captioner.labelEmbeddings(await warm.captioner.clap(), labels);
  await warm.dispose();
  const textHit = await timeIt(async () => {
    const s = service(textStore);
    const c = await s.captioner.clap();
    await s.captioner.labelEmbeddings(c, labels);
    await s.dispose();
  }, 3, 1);

  // Captioning a batch: every clip embedded (cold store) vs every clip from the store (warm).
  const cold: number[] = [];
  const hot: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const s = service(path.join(work, `store-${n++}`));
    await s.captioner.labelEmbeddings(await s.captioner.clap(), labels); // model and labels ready: time the clips only
    let t0 = performance.now();
    const r1 = await s.caption({ dir: ds, overwrite: true });
    cold.push(performance.now() - t0);
    t0 = performance.now();
    const r2 = await s.caption({ dir: ds, overwrite: true });
    hot.push(performance.now() - t0);
    if (r1.cacheMisses !== CLIPS || r2.cacheHits !== CLIPS) throw new Error(`unexpected cache use: ${JSON.stringify([r1.cacheMisses, r2.cacheHits])}`);
    await s.dispose();
  }
  await s0.dispose();
  const coldRate = CLIPS / (median(cold) / 1000);
  const hotRate = CLIPS / (median(hot) / 1000);

  const rows = [
    { what: `decode ${CLIP_SECONDS}s mp3, whole file (baseline)`, ms: Math.round(median(full)), 'x real time': Math.round(fullX) },
    { what: `decode ${starts.length} analysis windows (ours)`, ms: Math.round(median(windowed)), 'x real time': Math.round(CLIP_SECONDS / (median(windowed) / 1000)) },
    { what: 'CLAP features, one 10 s window', ms: Math.round(median(feat)), 'x real time': Math.round(featX) },
    { what: 'label embeddings: text model (miss)', ms: Math.round(median(textMiss)), 'x real time': '' },
    { what: 'label embeddings: disk cache (hit)', ms: Math.round(median(textHit)), 'x real time': '' },
    { what: `caption ${CLIPS} clips, cold store`, ms: Math.round(median(cold)), 'x real time': Math.round((CLIPS * CLIP_SECONDS) / (median(cold) / 1000)) },
    { what: `caption ${CLIPS} clips, warm store`, ms: Math.round(median(hot)), 'x real time': '' },
  ];
  printTable(rows);
  const ratios = {
    windowed_vs_full_decode: ratio(median(full), median(windowed)),
    text_cache_hit_vs_miss: ratio(median(textMiss), median(textHit)),
    audio_cache_hit_vs_miss: ratio(median(cold), median(hot)),
  };
  console.log(`ratios (baseline time / ours): ${JSON.stringify(ratios)}`);
  console.log(`captioning: ${coldRate.toFixed(2)} clips/s cold, ${hotRate.toFixed(2)} clips/s warm (tiny fixture model; the real CLAP audio tower is far slower)`);
  saveResults('captioning', {
    model: 'tiny CLAP fixture (test/helpers/tinyClap.ts), real transformers.js + onnxruntime-node path',
    clips: CLIPS,
    clip_seconds: CLIP_SECONDS,
    decode_full_x_realtime: Math.round(fullX),
    decode_windows_ms: Math.round(median(windowed)),
    features_x_realtime: Math.round(featX),
    text_embeddings_miss_ms: Math.round(median(textMiss)),
    text_embeddings_hit_ms: Math.round(median(textHit)),
    caption_cold_clips_per_s: Number(coldRate.toFixed(2)),
    caption_warm_clips_per_s: Number(hotRate.toFixed(2)),
    ratios,
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
