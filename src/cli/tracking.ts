// Tracking commands of the `tunestudio` CLI: runs, show, history, best,
// compare, summary, alerts, stop, delete, export. A thin face over the same
// RunsService and AlertsService the runtime's requests use (every rule lives
// there), in-process on the same store, or on a team server (--server /
// TUNESTUDIO_SERVER) whose API returns the same shapes. `--json` output shapes are stable and
// documented in the README.
import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import type { AlertLevel } from '../protocol/lines';
import { csvField } from '../protocol/csv';
import { Tracker } from '../runtime/tracking/tracker';
import { ProjectNotFoundError, Queries, RANKED_STATUSES } from '../runtime/tracking/queries';
import { RunsService } from '../runtime/tracking/runs';
import { AlertsService } from '../runtime/tracking/alerts';
import { RUN_STATUSES, type RunDetail, type RunListItem, type RunStatus, type SummaryResult } from '../protocol/tracking';
import { metricDirection as guessDirection } from '../protocol/metrics';
import { trainerMetricCount, unreadableNote } from '../protocol/unreadable';
import { duration, durationOf, num, table, when } from './format';
import { CliError, type CliContext } from './context';

function jsonOut(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}

function parseIntOpt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new CliError(`${name} must be a whole number, got '${v}'`, 2);
    return n;
  };
}

/** The services on the command's store (the CLI writes with its own Tracker, in-process). */
function servicesOf(q: Queries): { runs: RunsService; alerts: AlertsService } {
  let tracker: Tracker | null = null;
  const writer = () => (tracker ??= new Tracker(q.db));
  return {
    runs: new RunsService({ queries: () => q, tracker: writer, store: () => writer().store }),
    alerts: new AlertsService({ queries: () => q, store: () => writer().store }),
  };
}

export function registerTrackingCommands(program: Command, ctx: CliContext): void {
  const cmd = (name: string, description: string) => ctx.command(program, name, description);

  cmd('runs', 'list runs (newest first), including runs that logged nothing')
    .option('--project <name>', 'only this project')
    .addOption(new Option('--status <status...>', 'only these statuses').choices([...RUN_STATUSES]))
    .option('--limit <n>', 'at most n runs', parseIntOpt('--limit'))
    .action(async (o: { project?: string; status?: RunStatus[]; limit?: number }) => {
      const remote = ctx.remote();
      let runs: RunListItem[];
      if (remote) runs = await remote.listRuns(o);
      else {
        const q = ctx.queries({ ifMissing: 'empty' });
        if (!q && o.project) throw new ProjectNotFoundError(o.project, []);
        if (!q) return o && ctx.json ? jsonOut([]) : console.log(`No runs yet (store: ${ctx.storeDir}).`);
        ctx.reap();
        runs = servicesOf(q).runs.list({ project: o.project, status: o.status, limit: o.limit });
      }
      if (ctx.json) return jsonOut(runs.map(({ config_summary: _c, ...r }) => r));
      if (!runs.length) return console.log(o.project || o.status ? 'No runs match.' : `No runs yet (${remote ? `server ${ctx.serverUrl}` : `store: ${ctx.storeDir}`}).`);
      console.log(
        table(
          [{ title: 'ID' }, { title: 'NAME', flex: true }, { title: 'PROJECT', flex: true }, { title: 'STATUS' }, { title: 'HEADLINE', flex: true }, { title: 'STARTED' }, { title: 'TIME', align: 'right' }],
          runs.map((r) => [
            r.id,
            r.name,
            r.project,
            r.status,
            r.headline ? `${r.headline.metric} ${num(r.headline.last)}` : '–',
            when(r.created_at),
            duration(durationOf(r.created_at, r.ended_at, r.status)),
          ]),
        ),
      );
    });

  cmd('show', 'show one run: status, config, metric summary, alerts, watchers')
    .argument('<run>', 'run id or name')
    .option('--project <name>', 'resolve the name within this project')
    .action(async (ref: string, o: { project?: string }) => {
      const remote = ctx.remote();
      let d: RunDetail;
      if (remote) d = await remote.showRun(ref, o.project);
      else {
        const q = ctx.queries();
        ctx.reap();
        d = servicesOf(q).runs.show(ref, o.project);
      }
      if (ctx.json) return jsonOut(d);
      const unreadable = unreadableNote(d, trainerMetricCount(Object.keys(d.summary)));
      const lines = [
        `${d.project}/${d.name}  (${d.id})`,
        `status     ${d.status}${d.exit_code !== null ? `  exit code ${d.exit_code}` : ''}${d.signal ? `  signal ${d.signal}` : ''}`,
        ...(d.reason ? [`reason     ${d.reason}`] : []),
        `started    ${when(d.created_at)}   ended ${when(d.ended_at)}   duration ${duration(d.duration_s)}`,
        ...(d.progress ? [`progress   ${d.progress.current}${d.progress.total ? ` / ${d.progress.total}` : ''}`] : []),
        ...(d.malformed_lines || d.rejected_values ? [`warnings   ${d.malformed_lines} malformed lines, ${d.rejected_values} rejected values; last: ${d.last_warning ?? ''}`] : []),
        ...(unreadable ? [`note       ${unreadable}`] : []),
        ...(d.stop_request ? [`stop       requested by ${d.stop_request.source}: ${d.stop_request.reason}`] : []),
        `alerts     ${d.alerts.total}${d.alerts.total ? ' (' + Object.entries(d.alerts.by_level).map(([k, v]) => `${v} ${k}`).join(', ') + ')' : ''}`,
      ];
      console.log(lines.join('\n'));
      const cfg = Object.entries(d.config);
      if (cfg.length) {
        console.log('\nconfig');
        for (const [k, v] of cfg) console.log(`  ${k} = ${JSON.stringify(v)}`.slice(0, 100));
      }
      const metrics = Object.entries(d.summary);
      if (metrics.length) {
        console.log('');
        console.log(
          table(
            [{ title: 'METRIC', flex: true, min: 10 }, { title: 'LAST', align: 'right' }, { title: 'STEP', align: 'right' }, { title: 'MIN', align: 'right' }, { title: 'MAX', align: 'right' }, { title: 'COUNT', align: 'right' }, { title: 'NAN/INF', align: 'right' }],
            metrics.map(([m, s]) => [m, num(s.last), String(s.last_step), num(s.min), num(s.max), String(s.count), `${s.nan_count}/${s.inf_count}`]),
          ),
        );
      } else console.log('\nno metrics logged');
      if (d.watchers.length) {
        console.log('\nwatchers');
        for (const w of d.watchers) console.log(`  ${w.metric}: ${JSON.stringify(w.spec)}`.slice(0, 100));
      }
    });

  cmd('history', "print a metric's history (downsampled with min/max buckets that keep spikes)")
    .argument('<run>', 'run id or name')
    .argument('<metric>', 'metric name, e.g. train/loss')
    .option('--from <step>', 'first step', parseIntOpt('--from'))
    .option('--to <step>', 'last step', parseIntOpt('--to'))
    .option('--max-points <n>', 'at most n points (default 500; 0 = all)', parseIntOpt('--max-points'))
    .action(async (ref: string, metric: string, o: { from?: number; to?: number; maxPoints?: number }) => {
      const range = { from: o.from, to: o.to, maxPoints: o.maxPoints === 0 ? Number.MAX_SAFE_INTEGER : (o.maxPoints ?? 500) };
      const remote = ctx.remote();
      const { run, history: h } = remote ? await remote.history(ref, metric, range) : servicesOf(ctx.queries()).runs.history(ref, metric, range);
      if (ctx.json) return jsonOut({ run: { id: run.id, name: run.name }, ...h });
      if (!h.total) throw new CliError(`run '${run.name}' has no points of '${metric}' between steps ${o.from ?? 'the first'} and ${o.to ?? 'the last'}`);
      console.log(`${metric} of ${run.name} (${run.id}): ${h.steps.length} of ${h.total} points${h.downsampled ? ' (min/max per bucket)' : ''}`);
      const nf = new Map<number, string>();
      for (const r of h.non_finite) nf.set(r.from, `${r.kind} from step ${r.from} to ${r.to} (${r.count} points)`);
      for (let i = 0; i < h.steps.length; i++) console.log(`${String(h.steps[i]).padStart(10)}  ${h.values[i] === null ? 'NaN/Inf' : num(h.values[i])}`);
      for (const r of h.non_finite) console.log(`non-finite: ${r.kind} from step ${r.from} to ${r.to} (${r.count} points)`);
    });

  cmd('best', 'the best run for a metric')
    .requiredOption('--metric <name>', 'metric name')
    .addOption(new Option('--direction <dir>', 'lower or higher is better (default: min for loss-like names, max for acc/f1/reward…)').choices(['min', 'max']))
    .addOption(new Option('--mode <mode>', "which value of each run: its last, min or max").choices(['last', 'min', 'max']).default('last'))
    .addOption(new Option('--status <status...>', `rank runs with these statuses (default: ${RANKED_STATUSES.join(' ')}, the runs that ended on purpose)`).choices([...RUN_STATUSES]))
    .option('--include-all', 'rank runs of every status (running, failed, crashed … too)')
    .option('--project <name>', 'only this project')
    .action(async (o: { metric: string; direction?: 'min' | 'max'; mode: 'last' | 'min' | 'max'; includeAll?: boolean; status?: RunStatus[]; project?: string }) => {
      const p = { metric: o.metric, direction: o.direction, mode: o.mode, includeAll: o.includeAll, statuses: o.status, project: o.project };
      const remote = ctx.remote();
      const b = remote ? await remote.best(p) : servicesOf(ctx.queries()).runs.best(p);
      if (!b) {
        const statuses = o.includeAll ? null : (o.status ?? RANKED_STATUSES);
        // "No run qualifies" is an answer, not an error: the same shape with nulls.
        if (ctx.json) {
          return jsonOut({ run: null, metric: o.metric, value: null, step: null, mode: o.mode, direction: o.direction ?? guessDirection(o.metric), candidates: 0 });
        }
        throw new CliError(
          `no ${statuses ? statuses.join(' or ') + ' ' : ''}run has a finite ${o.mode} value of '${o.metric}'${statuses ? ' (choose statuses with --status, or --include-all for every run)' : ''}`,
        );
      }
      if (ctx.json) return jsonOut(b);
      console.log(`best ${o.metric} (${b.direction}, ${b.mode}): ${num(b.value)} at step ${b.step}`);
      console.log(`run ${b.run.name} (${b.run.id}) in ${b.run.project}, ${b.run.status}; ${b.candidates} runs considered`);
    });

  cmd('compare', 'compare runs: last/min/max of metrics side by side, differing config keys')
    .argument('<runs...>', 'run ids or names')
    .option('--metric <name...>', 'only these metrics')
    .action(async (refs: string[], o: { metric?: string[] }) => {
      const remote = ctx.remote();
      const c = remote ? await remote.compare(refs, o.metric) : servicesOf(ctx.queries()).runs.compare(refs, o.metric);
      if (ctx.json) return jsonOut(c);
      const cols = [{ title: 'METRIC', flex: true, min: 10 }, ...c.runs.map((r) => ({ title: r.name, flex: true, align: 'right' as const }))];
      console.log(
        table(
          cols,
          [
            ['status', ...c.runs.map((r) => r.status)],
            ...c.metrics.map((m) => [m, ...c.runs.map((r) => {
              const s = c.values[r.id]?.[m];
              return s ? `${num(s.last)} (min ${num(s.min)})` : '–';
            })]),
            ...(c.config_diff ?? []).map((k) => [`config.${k}`, ...c.runs.map((r) => JSON.stringify(getPath(c.configs?.[r.id] ?? {}, k)) ?? '–')]),
          ],
        ),
      );
    });

  cmd('summary', 'runs by status, alerts by level and reason, the best run per metric')
    .option('--project <name>', 'only this project')
    .addOption(new Option('--status <status...>', `the best run per metric among these statuses (default: ${RANKED_STATUSES.join(' ')})`).choices([...RUN_STATUSES]))
    .option('--include-all', 'the best run per metric among runs of every status')
    .action(async (o: { project?: string; status?: RunStatus[]; includeAll?: boolean }) => {
      const remote = ctx.remote();
      const q = remote ? null : ctx.queries({ ifMissing: 'empty' });
      if (!remote && !q && o.project) throw new ProjectNotFoundError(o.project, []);
      if (q) ctx.reap();
      const p = { project: o.project, statuses: o.status, includeAll: o.includeAll };
      const s: SummaryResult = remote ? await remote.summary(p) : q ? servicesOf(q).runs.summary(p) : { project: o.project ?? null, runs: { total: 0, by_status: {} }, alerts: { total: 0, by_level: {}, by_reason: {} }, metrics: [] };
      if (ctx.json) return jsonOut(s);
      console.log(`runs: ${s.runs.total}${s.runs.total ? ' (' + Object.entries(s.runs.by_status).map(([k, v]) => `${v} ${k}`).join(', ') + ')' : ''}`);
      console.log(`alerts: ${s.alerts.total}${s.alerts.total ? ' (' + Object.entries(s.alerts.by_level).map(([k, v]) => `${v} ${k}`).join(', ') + '; ' + Object.entries(s.alerts.by_reason).map(([k, v]) => `${v} ${k}`).join(', ') + ')' : ''}`);
      if (s.metrics.length) {
        console.log('');
        console.log(
          table(
            [{ title: 'METRIC', flex: true, min: 10 }, { title: 'RUNS', align: 'right' }, { title: 'DIR' }, { title: 'BEST', align: 'right' }, { title: 'RUN', flex: true }],
            s.metrics.map((m) => [m.metric, String(m.runs), m.direction, m.best ? num(m.best.value) : '–', m.best ? `${m.best.run_name} (${m.best.run_id})` : `no ${o.includeAll ? '' : (o.status ?? RANKED_STATUSES).join('/') + ' '}run`]),
          ),
        );
      }
    });

  cmd('alerts', 'list alerts (oldest first)')
    .option('--since <iso>', 'created at or after this time, e.g. 2026-11-24T10:00:00Z; a time without an offset is UTC (as stored), not local time')
    .option('--after <id>', 'with an id greater than this (poll without missing or repeating any)', parseIntOpt('--after'))
    .addOption(new Option('--level <level>', 'only this level').choices(['info', 'warn', 'error']))
    .option('--run <run>', 'only this run (id or name)')
    .option('--project <name>', 'only this project')
    .action(async (o: { since?: string; after?: number; level?: AlertLevel; run?: string; project?: string }) => {
      const remote = ctx.remote();
      const q = remote ? null : ctx.queries({ ifMissing: 'empty' });
      if (!remote && !q && o.project) throw new ProjectNotFoundError(o.project, []);
      if (!remote && !q && o.run) throw new CliError(`no run with id or name '${o.run}': nothing has been tracked in ${ctx.storeDir} yet`);
      if (q) ctx.reap();
      const list = remote ? await remote.alerts(o) : q ? servicesOf(q).alerts.list(o) : [];
      if (ctx.json) return jsonOut(list);
      if (!list.length) return console.log('No alerts.');
      console.log(
        table(
          [{ title: 'ID', align: 'right' }, { title: 'LEVEL' }, { title: 'REASON' }, { title: 'RUN', flex: true }, { title: 'METRIC', flex: true }, { title: 'STEP', align: 'right' }, { title: 'TITLE', flex: true, min: 12 }],
          list.map((a) => [String(a.id), a.level, a.reason, a.run_name, a.metric ?? '–', a.step === null ? '–' : String(a.step), a.title + (Number(a.data.count) > 1 ? ` (×${a.data.count})` : '')]),
        ),
      );
    });

  cmd('stop', 'ask a run to stop: its SDK sees shouldStop(); a supervised run is stopped after a grace period')
    .argument('<run>', 'run id or name')
    .option('--reason <text>', 'why', 'stopped from the command line')
    .action(async (ref: string, o: { reason: string }) => {
      const remote = ctx.remote();
      const run = remote ? await remote.stop(ref, o.reason) : servicesOf(ctx.queries()).runs.stop(ref, { reason: o.reason });
      if (ctx.json) return jsonOut({ run: { id: run.id, name: run.name }, stop_requested: true, reason: o.reason });
      console.log(`stop requested for ${run.name} (${run.id})`);
    });

  cmd('rename', 'give a run a new name (trimmed; not empty, one line)')
    .argument('<run>', 'run id or name')
    .argument('<name>', 'the new name')
    .action((ref: string, name: string) => {
      // Written straight to the store (SQLite takes a second writer); a serving runtime sees it on its next read.
      const runs = servicesOf(ctx.queries()).runs;
      const before = runs.resolve(ref);
      const run = runs.rename(before.id, name);
      if (ctx.json) return jsonOut({ run: { id: run.id, name: run.name }, previous_name: before.name });
      console.log(`renamed ${before.name} (${run.id}) to ${run.name}`);
    });

  cmd('delete', 'delete a run and all its metrics and alerts')
    .argument('<run>', 'run id or name')
    .option('--yes', 'really delete (required)')
    .action(async (ref: string, o: { yes?: boolean }) => {
      const remote = ctx.remote();
      const runs = remote ? null : servicesOf(ctx.queries()).runs;
      const target = remote ? await remote.resolve(ref) : runs!.resolve(ref);
      // Confirmation is this face's own concern; the rule (not while running) is the service's.
      if (!o.yes) throw new CliError(`this deletes run '${target.name}' (${target.id}) and all its data; add --yes to confirm`, 2);
      const run = remote ? (await remote.delete(target.id), target) : runs!.delete(target.id);
      if (ctx.json) return jsonOut({ deleted: { id: run.id, name: run.name } });
      console.log(`deleted ${run.name} (${run.id})`);
    });

  cmd('export', "write a run's metrics as CSV or JSON lines (step, metric, value, wall_time)")
    .argument('<run>', 'run id or name')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'jsonl']).default('csv'))
    .option('--output <file>', 'write to a file instead of stdout')
    .action((ref: string, o: { format: 'csv' | 'jsonl'; output?: string }) => {
      const { run, points } = servicesOf(ctx.queries()).runs.points(ref);
      const fd = o.output ? fs.openSync(o.output, 'w') : 1;
      let buf = o.format === 'csv' ? 'step,metric,value,wall_time\n' : '';
      let n = 0;
      const flush = () => {
        fs.writeSync(fd, buf);
        buf = '';
      };
      for (const p of points) {
        buf += o.format === 'csv' ? `${p.step},${csvField(p.metric)},${p.value},${p.wall_time}\n` : JSON.stringify(p) + '\n';
        if (++n % 5000 === 0) flush();
      }
      flush();
      if (o.output) {
        fs.closeSync(fd);
        if (!ctx.json) process.stderr.write(`wrote ${n} points of ${run.name} to ${o.output}\n`);
        else jsonOut({ run: run.id, points: n, output: o.output });
      }
    });
}

function getPath(o: Record<string, unknown>, dotted: string): unknown {
  let v: unknown = o;
  for (const k of dotted.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

