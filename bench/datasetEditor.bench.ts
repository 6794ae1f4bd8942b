// Dataset editor (issue 20), each beside a baseline in the same process:
// - opening a 5,000-sample dataset (the document reads every prompt and
//   lyrics file) and the page's first filter/sort, beside reading the same
//   files bare;
// - 1,000 prompt edits as one undoable edit, then Save, beside writing the
//   same 1,000 files bare;
// - waveform peaks per second (ffmpeg at 4 kHz into min/max buckets), beside
//   decoding the same files whole at 48 kHz (what a page decoding audio does);
// - filter + sort of 10,000 rows (the page's work per keystroke in the filter).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { DatasetModel, type SampleEntry } from '../src/extension/datasetEditor/model';
import { applyBulk, type EditorRow } from '../src/protocol/datasetEditor';
import { decodeAudio } from '../src/runtime/audio/decode';
import { resolveAudioTools } from '../src/runtime/audio/ffmpeg';
import { computePeaks } from '../src/runtime/audio/peaks';
import { visibleRows } from '../src/webviews/datasetEditor/rows';
import { median, ratio, saveResults, timeIt, workDir } from './lib';

async function main(): Promise<void> {
  const dir = workDir('datasetEditor');
  const N = 5000;
  fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify({ version: 1, name: 'bench', triggerWord: 'bt' }));
  const entries: SampleEntry[] = [];
  for (let i = 0; i < N; i++) {
    const stem = `clip_${i}`;
    const e = { stem, audio: path.join(dir, `${stem}.mp3`), promptPath: path.join(dir, `${stem}_prompt.txt`), lyricsPath: path.join(dir, `${stem}_lyrics.txt`), duration: 10, captionState: 'none' as const };
    fs.writeFileSync(e.promptPath, `bt, tag${i % 13}, tag${i % 7}, drums`);
    fs.writeFileSync(e.lyricsPath, '[verse]\nla la la\n[chorus]\nhey');
    entries.push(e);
  }

  // 1. Open.
  const bareRead = median(await timeIt(() => entries.forEach((e) => (fs.readFileSync(e.promptPath, 'utf8'), fs.readFileSync(e.lyricsPath, 'utf8')))));
  let model = new DatasetModel(path.join(dir, 'dataset.json'));
  const open = median(
    await timeIt(() => {
      model = new DatasetModel(path.join(dir, 'dataset.json'));
      model.load(entries);
      const rows: EditorRow[] = entries.map((e) => ({ stem: e.stem, file: `${e.stem}.mp3`, src: '', duration: e.duration, prompt: model.value(e.stem, 'prompt'), lyrics: model.value(e.stem, 'lyrics'), captionState: 'none', dirty: [], problems: [] }));
      visibleRows(rows, { filter: '', flags: { missingPrompt: false, missingLyrics: false, problems: false }, tagFilter: { tags: [], mode: 'or' }, duration: { min: null, max: null } }, { key: 'file', desc: false });
    }),
  );

  // 2. 1,000 edits as one edit, then Save.
  const stems = entries.slice(0, 1000).map((e) => e.stem);
  const edit1000 = median(
    await timeIt(() => {
      const changes = stems.map((stem) => ({ stem, ...applyBulk({ op: 'replaceTag', from: 'drums', to: 'percussion' }, model.value(stem, 'prompt'), null)! }));
      const e = model.makeEdit('bench', changes)!;
      model.apply(e, 'redo');
      model.save();
      model.apply(e, 'undo');
      model.save();
    }, 3),
  ) / 2;
  const bareWrite = median(await timeIt(() => stems.forEach((s, i) => fs.writeFileSync(entries[i].promptPath, `bt, tag${i % 13}, tag${i % 7}, drums`)), 3));

  // 3. Peaks.
  const tools = resolveAudioTools();
  const audioDir = path.join(dir, 'audio');
  fs.mkdirSync(audioDir);
  const files: string[] = [];
  for (let i = 0; i < 5; i++) {
    const f = path.join(audioDir, `t${i}.mp3`);
    spawnSync(tools.ffmpeg, ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', `sine=frequency=${200 + i * 100}:duration=30:sample_rate=44100`, '-y', f]);
    files.push(f);
  }
  const peaksTime = median(await timeIt(async () => { for (const f of files) await computePeaks(f, tools, 400); }, 3));
  const fullDecode = median(await timeIt(async () => { for (const f of files) await decodeAudio(f, tools); }, 3));

  // 4. Filter + sort of 10k rows.
  const rows10k: EditorRow[] = Array.from({ length: 10_000 }, (_, i) => ({ stem: `s${i}`, file: `s${i}.mp3`, src: '', duration: i % 60, prompt: `bt, tag${i % 13}, tag${i % 7}`, lyrics: '[inst]', captionState: 'none', dirty: [], problems: [] }));
  const filter10k = median(await timeIt(() => visibleRows(rows10k, { filter: 'tag3', flags: { missingPrompt: false, missingLyrics: false, problems: false }, tagFilter: { tags: ['tag5'], mode: 'or' }, duration: { min: 5, max: null } }, { key: 'duration', desc: true }), 10));

  const results = {
    open_5000_ms: Math.round(open),
    open_5000_bare_read_ms: Math.round(bareRead),
    edits_1000_one_undo_and_save_ms: Math.round(edit1000),
    edits_1000_bare_write_ms: Math.round(bareWrite),
    peaks_files_per_s_30s_clips: Math.round((files.length / peaksTime) * 1000 * 10) / 10,
    full_decode_files_per_s_30s_clips: Math.round((files.length / fullDecode) * 1000 * 10) / 10,
    peaks_vs_full_decode: ratio(fullDecode, peaksTime),
    filter_sort_10k_rows_ms: Math.round(filter10k * 10) / 10,
  };
  console.table(results);
  saveResults('datasetEditor', results);
  fs.rmSync(dir, { recursive: true, force: true });
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
