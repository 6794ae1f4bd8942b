// `tunestudio import tensorboard DIR [--project P]`: an existing TensorBoard
// log folder becomes runs, one per folder that holds event files, named after
// the folder without its date/time stamps. Steps and wall times are the
// events' own; the same reader as a job's tfevents parser (TfeventsTailer),
// read once to the end. Bad records are counted on the run and said.
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNameOfFolder, TfeventsTailer } from '../runtime/ingest/tfevents';
import { Tracker } from '../runtime/tracking/tracker';
import { CliError, type CliContext } from './context';

const EVENT_FILE = /^events\.out\.tfevents\./;

export interface ImportedRun {
  id: string;
  name: string;
  project: string;
  folder: string;
  files: number;
  scalars: number;
  metrics: number;
  first_step: number | null;
  last_step: number | null;
  malformed: number;
  warnings: string[];
}

/** Folders under `root` (relative, '.' for root itself) that directly hold event files, sorted. Symbolic links are not followed. */
export function eventFolders(root: string, maxFolders = 100_000): string[] {
  const out: string[] = [];
  const stack = [''];
  let visited = 0;
  while (stack.length && visited < maxFolders) {
    const rel = stack.pop()!;
    visited++;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    let has = false;
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) stack.push(child);
      else if (e.isFile() && EVENT_FILE.test(e.name)) has = true;
    }
    if (has) out.push(rel || '.');
  }
  return out.sort();
}

export async function importTensorboard(tracker: Tracker, dir: string, o: { project?: string } = {}): Promise<ImportedRun[]> {
  const root = path.resolve(dir);
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new CliError(`TensorBoard folder '${dir}' does not exist; give the log folder you pass to tensorboard --logdir`);
  }
  if (!st.isDirectory()) throw new CliError(`'${dir}' is a file, not a folder; give the log folder that holds events.out.tfevents.* files (or their run folders)`);
  const folders = eventFolders(root);
  if (!folders.length) throw new CliError(`no TensorBoard event files (events.out.tfevents.*) under '${dir}'; nothing to import`);
  const project = (o.project ?? path.basename(root)).trim() || 'tensorboard';
  const base = path.basename(root);
  const out: ImportedRun[] = [];
  for (const folder of folders) {
    const name = (folder === '.' ? runNameOfFolder(base) || base : runNameOfFolder(folder) || folder.split('/').pop()!) || 'run';
    const t = new TfeventsTailer({ dir: path.join(root, folder), prefix: 'none', recursive: false, source: 'tensorboard' });
    const events = await t.poll();
    const run = tracker.createRun({ project, name, config: { imported_from: path.join(root, folder) } });
    const metrics = new Set<string>();
    let scalars = 0;
    let first: number | null = null;
    let last: number | null = null;
    const problems: string[] = [];
    tracker.batch(() => {
      for (const e of events) {
        if (e.type === 'metrics') {
          const r = tracker.log(run.id, e.metrics, e.step, e.wallTime);
          scalars += r.accepted;
          for (const k of Object.keys(e.metrics)) metrics.add(k);
          first = first === null ? r.step : Math.min(first, r.step);
          last = last === null ? r.step : Math.max(last, r.step);
        } else if (e.type === 'malformed') problems.push(`${e.line}: ${e.error}`);
      }
    });
    for (const c of t.incomplete()) problems.push(`${c.file}: its last ${c.bytes} bytes are a record cut off (the writer stopped mid-record); they were not imported`);
    if (problems.length) tracker.countMalformed(run.id, problems.length, problems[problems.length - 1]);
    await t.stop();
    tracker.finishRun(run.id, 'finished', { reason: `imported from TensorBoard files in ${path.join(root, folder)}` });
    out.push({ id: run.id, name: run.name, project, folder, files: t.stats.files, scalars, metrics: metrics.size, first_step: first, last_step: last, malformed: problems.length, warnings: problems });
  }
  tracker.flush();
  return out;
}

export function registerImportCommand(program: Command, ctx: CliContext): void {
  const imp = program.command('import').description('import runs logged elsewhere (TensorBoard event files)');
  ctx
    .command(imp, 'tensorboard', 'import a TensorBoard log folder: one run per folder holding event files, steps and wall times as written')
    .argument('<dir>', 'the log folder (what you pass to tensorboard --logdir)')
    .option('--project <name>', 'project of the new runs (default: the folder name)')
    .action(async (dir: string, o: { project?: string }) => {
      const tracker = new Tracker(ctx.database());
      let runs: ImportedRun[];
      try {
        runs = await importTensorboard(tracker, dir, o);
      } finally {
        tracker.close();
      }
      if (ctx.json) return void process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
      for (const r of runs) {
        const steps = r.first_step === null ? 'no scalars' : `steps ${r.first_step}–${r.last_step}`;
        console.log(`${r.project}/${r.name}  (${r.id})  ${r.scalars} scalars of ${r.metrics} metrics, ${steps}, from ${r.folder}`);
        for (const w of r.warnings.slice(-3)) console.log(`  warning: ${w}`);
        if (r.warnings.length > 3) console.log(`  … ${r.warnings.length - 3} more warnings (tunestudio show ${r.id})`);
      }
      console.log(`Imported ${runs.length} run${runs.length === 1 ? '' : 's'} into project '${runs[0].project}'.`);
    });
}
