// `tunestudio dataset validate|caption|export DIR`: the runtime's dataset
// service, in-process on the same store. Exit codes: 0 ok, 1 error (including
// a dataset that does not validate), 2 usage.
import * as path from 'node:path';
import type { Command } from 'commander';
import type { CaptionResult, DatasetProblem, ExportResult, ValidationReport } from '../protocol/datasets';
import { Logger, stderrSink } from '../runtime/log';
import { DatasetService, type DatasetSettings } from '../runtime/datasets/service';
import { Store } from '../runtime/store/store';
import { CliError, type CliContext } from './context';
import { JOB_ENV } from '../protocol/control';
import { formatProtocolLine, type ProtocolMessage } from '../protocol/lines';
import { listenForControl } from '../runtime/jobs/control';

const SUPERVISED = process.env[JOB_ENV.supervised] === '1';

function emit(m: ProtocolMessage): void {
  process.stdout.write(formatProtocolLine(m) + '\n');
}

interface CommonOptions {
  ffmpeg?: string;
}

function withService<T>(ctx: CliContext, settings: DatasetSettings, fn: (s: DatasetService) => Promise<T>): Promise<T> {
  const store = new Store(ctx.storeDir);
  const service = new DatasetService({
    store,
    log: new Logger(stderrSink, 'warn'),
    settings: () => settings,
    workspaceFolders: [],
    onProgress: (p) => {
      // Under a supervisor (a captioning job) progress goes out as protocol lines: the Jobs view shows it.
      if (SUPERVISED) {
        if (p.phase === 'captioning' && p.total) emit({ progress: { current: p.done, total: p.total }, status: `captioning ${p.current ?? ''}`.trim() });
        else if (p.phase === 'model' && p.download) emit({ status: `downloading ${p.download.file}: ${Math.round((100 * p.download.loaded) / (p.download.total || 1))}%` });
        else if (p.message && p.phase !== 'done') emit({ status: p.message });
        return;
      }
      if (ctx.json) return;
      if (p.phase === 'captioning') process.stderr.write(`[${p.done + 1}/${p.total}] ${p.current}\n`);
      else if (p.phase === 'model' && p.download) process.stderr.write(`downloading ${p.download.file}: ${Math.round((100 * p.download.loaded) / (p.download.total || 1))}%\r`);
      else if (p.message && p.phase !== 'done') process.stderr.write(`${p.message}\n`);
    },
  });
  return fn(service).finally(async () => {
    await service.dispose();
    store.close();
  });
}

function problemLine(p: DatasetProblem): string {
  const where = p.range ? `${p.file}:${p.range.line + 1}:${p.range.character + 1}` : p.file;
  return `${where}: ${p.severity}: ${p.message} [${p.code}]`;
}

function printValidation(ctx: CliContext, r: ValidationReport): void {
  if (ctx.json) {
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return;
  }
  for (const p of r.problems) process.stdout.write(problemLine(p) + '\n');
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  process.stdout.write(`Dataset '${r.name}': ${n(r.samples, 'sample')}, ${n(r.errors, 'error')}, ${n(r.warnings, 'warning')}${r.ok ? ' — OK' : ''}\n`);
}

export function registerDatasetCommands(program: Command, ctx: CliContext): void {
  const dataset = program.command('dataset').description('validate, caption and export ACE-Step dataset folders (audio + _prompt.txt + _lyrics.txt + dataset.json)');
  dataset.exitOverride();

  ctx
    .command(dataset, 'validate', 'check a dataset; prints each problem as FILE:LINE:COL: severity: message; exit 1 when there are errors')
    .argument('<dir>', 'dataset folder (holds dataset.json)')
    .option('--ffmpeg <path>', 'ffmpeg executable (default: ffmpeg on PATH)')
    .action(async (dir: string, o: CommonOptions) => {
      const r = await withService(ctx, { ffmpegPath: o.ffmpeg }, (s) => s.validate(path.resolve(dir)));
      printValidation(ctx, r);
      if (!r.ok) throw new CliError(`dataset '${r.name}' has ${r.errors} error${r.errors === 1 ? '' : 's'}`);
    });

  ctx
    .command(dataset, 'caption', 'tag every sample (or --sample ones) with CLAP zero-shot labels into its _prompt.txt; Ctrl+C stops after the current sample')
    .argument('<dir>', 'dataset folder')
    .option('--sample <stem...>', 'only these samples (file names without extension)')
    .option('--overwrite', 'replace user-written tags too (default: keep them)')
    .option('--model <path>', 'local CLAP model folder (default: Xenova/clap-htsat-unfused, downloaded once)')
    .option('--offline', 'never download the model')
    .option('--ffmpeg <path>', 'ffmpeg executable (default: ffmpeg on PATH)')
    .action(async (dir: string, o: CommonOptions & { sample?: string[]; overwrite?: boolean; model?: string; offline?: boolean }) => {
      const settings: DatasetSettings = { ffmpegPath: o.ffmpeg, captioningModelPath: o.model ? path.resolve(o.model) : undefined, captioningOffline: !!o.offline };
      const r: CaptionResult = await withService(ctx, settings, async (s) => {
        const batchId = `cli-${process.pid}`;
        // Ctrl+C, SIGTERM (a job being cancelled) and a control-channel stop all end the batch after the current sample.
        const onInt = () => s.cancelCaption(batchId);
        process.once('SIGINT', onInt);
        process.once('SIGTERM', onInt);
        const control = process.env[JOB_ENV.control] ? listenForControl({ file: process.env[JOB_ENV.control], stdin: process.stdin }, (c) => c.cmd === 'stop' && onInt()) : null;
        try {
          return await s.caption({ dir: path.resolve(dir), stems: o.sample, overwrite: !!o.overwrite, batchId });
        } finally {
          process.removeListener('SIGINT', onInt);
          process.removeListener('SIGTERM', onInt);
          control?.close();
        }
      });
      if (SUPERVISED) {
        const total = r.captioned.length + r.failed.length;
        // Counts only when samples were tried: a batch that failed before its first sample (no model)
        // has no "0 captioned" to report, only its error.
        if (total) emit({ progress: { current: total, total }, metrics: { 'caption/captioned': r.captioned.length, 'caption/failed': r.failed.length, 'caption/cache_hits': r.cacheHits }, status: `captioned ${r.captioned.length}, failed ${r.failed.length} (${r.status})` });
        else emit({ status: r.status === 'done' ? 'nothing to caption' : `captioning ${r.status}` });
      }
      if (ctx.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else {
        for (const c of r.captioned) process.stdout.write(`${c.stem}: ${c.prompt}${c.cached ? '  (cached)' : ''}\n`);
        for (const f of r.failed) process.stdout.write(`${f.stem}: FAILED: ${f.message}\n`);
        process.stdout.write(`${r.captioned.length} captioned, ${r.failed.length} failed, ${r.status}${r.model ? ` (model ${r.model})` : ''}\n`);
      }
      if (r.status !== 'done') throw new CliError(`captioning ${r.status}${r.message ? `: ${r.message}` : ''}`);
      if (r.failed.length) throw new CliError(`${r.failed.length} sample${r.failed.length === 1 ? '' : 's'} could not be captioned`);
    });

  ctx
    .command(dataset, 'export', 'export a dataset that validates: a Hugging Face datasets Parquet file, or an ACE-Step folder')
    .argument('<dir>', 'dataset folder')
    .requiredOption('--out <path>', 'the .parquet file to write, or a new (or empty) folder for --format folder')
    .option('--format <format>', 'parquet or folder', 'parquet')
    .option('--ffmpeg <path>', 'ffmpeg executable (default: ffmpeg on PATH)')
    .action(async (dir: string, o: CommonOptions & { out: string; format: string }) => {
      if (o.format !== 'parquet' && o.format !== 'folder') throw new CliError(`--format must be 'parquet' or 'folder', not '${o.format}'`, 2);
      const format = o.format;
      const r: ExportResult = await withService(ctx, { ffmpegPath: o.ffmpeg }, (s) => s.export({ dir: path.resolve(dir), format, out: path.resolve(o.out) }));
      if (ctx.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else process.stdout.write(`exported ${r.samples} samples to ${r.out} (${(r.bytes / 1e6).toFixed(1)} MB${r.transcoded ? `, ${r.transcoded} converted to mp3` : ''})\n`);
    });
}
