// A sweep: a grid or random search over a config, each trial a supervised job
// (the spec's command with `${param}` filled in, the spec's watchers), and
// successive halving at given steps — once every live trial has reached the
// step, the worse part is asked to stop through the control channel (the
// run's stop request, as `tunestudio stop` does). The sweep and its trials are
// rows of the sweeps / sweep_trials tables (migration 9); this file is the
// only writer of those tables.
import type Database from 'better-sqlite3';
import * as crypto from 'node:crypto';
import { FINAL_JOB_STATES, type Job } from '../../protocol/jobs';
import { metricDirection } from '../../protocol/metrics';
import type { RunsService } from '../tracking/runs';
import type { Queries } from '../tracking/queries';
import type { JobsService } from '../jobs/jobsService';

export class SweepSpecError extends Error {
  override name = 'SweepSpecError';
}

type Param = { values: unknown[] } | { min: number; max: number; log?: boolean; int?: boolean };

export interface SweepSpec {
  name?: string;
  project?: string;
  command: string[];
  method?: 'grid' | 'random';
  parameters: Record<string, Param>;
  /** Random search: how many trials (default 8). */
  trials?: number;
  seed?: number;
  metric: string;
  direction?: 'min' | 'max';
  watchers?: Array<Record<string, unknown>>;
  /** Successive halving: at each step, keep this fraction (default 0.5) of the trials still running. */
  halving?: { steps: number[]; keep?: number };
  cwd?: string;
  env?: Record<string, string>;
}

export interface SweepTrial {
  index: number;
  params: Record<string, unknown>;
  job: string;
  run: string | null;
  status: string | null;
  reason: string | null;
  value: number | null;
  stopped_by_sweep: boolean;
}

export interface SweepSummary {
  sweep: { id: string; name: string; project: string; metric: string; direction: 'min' | 'max' };
  trials: SweepTrial[];
  best: SweepTrial | null;
  halving: Array<{ step: number; kept: number[]; stopped: number[] }>;
}

/** Checks a spec and lists every problem at once (path: message). */
export function checkSweepSpec(raw: unknown): SweepSpec {
  const problems: string[] = [];
  const s = raw as SweepSpec;
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw new SweepSpecError('the sweep spec must be a JSON object');
  if (!Array.isArray(s.command) || !s.command.length || s.command.some((a) => typeof a !== 'string')) problems.push('command: an argument array, e.g. ["python", "train.py", "--lr", "${lr}"]');
  if (typeof s.metric !== 'string' || !s.metric) problems.push('metric: the metric that ranks trials, e.g. "train/loss"');
  if (s.method !== undefined && s.method !== 'grid' && s.method !== 'random') problems.push('method: "grid" or "random"');
  if (!s.parameters || typeof s.parameters !== 'object' || !Object.keys(s.parameters).length) problems.push('parameters: at least one, e.g. {"lr": {"values": [0.001, 0.003]}}');
  for (const [k, p] of Object.entries(s.parameters ?? {})) {
    if (p && Array.isArray((p as { values?: unknown[] }).values)) {
      if (!(p as { values: unknown[] }).values.length) problems.push(`parameters.${k}.values: at least one value`);
    } else if (p && typeof (p as { min?: number }).min === 'number' && typeof (p as { max?: number }).max === 'number') {
      const r = p as { min: number; max: number; log?: boolean };
      if (!(r.min <= r.max)) problems.push(`parameters.${k}: min must not be above max`);
      if (r.log && r.min <= 0) problems.push(`parameters.${k}: a log range needs min > 0`);
      if ((s.method ?? 'grid') === 'grid') problems.push(`parameters.${k}: a range needs "method": "random" (a grid takes "values")`);
    } else problems.push(`parameters.${k}: {"values": [...]} or {"min": a, "max": b, "log": true}`);
  }
  if (s.halving !== undefined) {
    if (!Array.isArray(s.halving.steps) || s.halving.steps.some((x) => !Number.isInteger(x) || x < 0)) problems.push('halving.steps: whole step numbers, e.g. [10, 20]');
    if (s.halving.keep !== undefined && !(s.halving.keep > 0 && s.halving.keep < 1)) problems.push('halving.keep: a fraction between 0 and 1 (default 0.5)');
  }
  if (s.trials !== undefined && !(Number.isInteger(s.trials) && s.trials > 0)) problems.push('trials: a whole number ≥ 1');
  if (problems.length) throw new SweepSpecError(`the sweep spec has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}`);
  return s;
}

/** The trials' parameter sets: the grid's product, or `trials` random draws (seeded). */
export function expandTrials(s: SweepSpec): Array<Record<string, unknown>> {
  const keys = Object.keys(s.parameters);
  if ((s.method ?? 'grid') === 'grid') {
    let out: Array<Record<string, unknown>> = [{}];
    for (const k of keys) out = out.flatMap((o) => (s.parameters[k] as { values: unknown[] }).values.map((v) => ({ ...o, [k]: v })));
    return out;
  }
  let seed = (s.seed ?? 1) >>> 0 || 1;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  return Array.from({ length: s.trials ?? 8 }, () =>
    Object.fromEntries(
      keys.map((k) => {
        const p = s.parameters[k];
        if ('values' in p) return [k, p.values[Math.floor(random() * p.values.length)]];
        let v = p.log ? Math.exp(Math.log(p.min) + random() * (Math.log(p.max) - Math.log(p.min))) : p.min + random() * (p.max - p.min);
        v = p.int ? Math.round(v) : Number(v.toPrecision(4));
        return [k, v];
      }),
    ),
  );
}

/** `${name}` in an argument becomes the parameter's value; an unknown name is an error. */
export function fillCommand(command: string[], params: Record<string, unknown>): string[] {
  return command.map((a) =>
    a.replace(/\$\{([A-Za-z0-9_.-]+)\}/g, (_m, k: string) => {
      if (!(k in params)) throw new SweepSpecError(`command argument '${a}' names \${${k}}, which is not a parameter (parameters: ${Object.keys(params).join(', ')})`);
      return String(params[k]);
    }),
  );
}

export interface SweepDeps {
  db: Database.Database;
  jobs: JobsService;
  runs: RunsService;
  queries: () => Queries;
  /** Resolves when something may have changed (a store commit, or a short tick). */
  changed: () => Promise<void>;
  log?: (msg: string) => void;
}

export class SweepRunner {
  constructor(private readonly d: SweepDeps) {}

  async run(spec: SweepSpec): Promise<SweepSummary> {
    const { db, jobs, runs } = this.d;
    const direction = spec.direction ?? metricDirection(spec.metric);
    const id = `s${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;
    const name = spec.name ?? 'sweep';
    const project = spec.project ?? name;
    const now = () => new Date().toISOString();
    const sets = expandTrials(spec);
    const commands = sets.map((p) => fillCommand(spec.command, p));
    db.prepare(`INSERT INTO sweeps(id, name, project, spec, state, created_at) VALUES (?, ?, ?, ?, 'running', ?)`).run(id, name, project, JSON.stringify(spec), now());
    const trials: SweepTrial[] = [];
    const insertTrial = db.prepare(`INSERT INTO sweep_trials(sweep_id, idx, job_id, params) VALUES (?, ?, ?, ?)`);
    for (let i = 0; i < sets.length; i++) {
      const job = jobs.submit({
        spec: { command: commands[i], name: `${name}-${i}`, project, config: { ...sets[i], sweep: id, trial: i }, ...(spec.watchers ? { watchers: spec.watchers } : {}), ...(spec.cwd ? { cwd: spec.cwd } : {}), ...(spec.env ? { env: spec.env } : {}) },
      });
      insertTrial.run(id, i, job.id, JSON.stringify(sets[i]));
      trials.push({ index: i, params: sets[i], job: job.id, run: null, status: null, reason: null, value: null, stopped_by_sweep: false });
      this.d.log?.(`trial ${i} ${JSON.stringify(sets[i])}: job ${job.id}`);
    }
    const setRun = db.prepare(`UPDATE sweep_trials SET run_id = ? WHERE sweep_id = ? AND idx = ?`);
    const halvingSteps = [...(spec.halving?.steps ?? [])].sort((a, b) => a - b);
    const keep = spec.halving?.keep ?? 0.5;
    const halving: SweepSummary['halving'] = [];
    const jobOf = new Map<number, Job>();
    const lastStep = (run: string) => this.d.queries().showRun(run).summary[spec.metric]?.last_step ?? -1;
    for (;;) {
      for (const t of trials) {
        const j = jobs.get(t.job);
        jobOf.set(t.index, j);
        if (j.run_id && !t.run) {
          t.run = j.run_id;
          setRun.run(t.run, id, t.index);
        }
      }
      // Trials already asked to stop (a watcher's NaN stop) are ending: they take no part in halving.
      const live = trials.filter((t) => !FINAL_JOB_STATES.includes(jobOf.get(t.index)!.state) && !(t.run && this.d.queries().showRun(t.run).stop_request));
      const next = halvingSteps[halving.length];
      // A halving step is decided once every trial still going has reached it (or ended).
      if (next !== undefined && live.length && live.every((t) => t.run && lastStep(t.run) >= next)) {
        const scored = live
          .map((t) => ({ t, v: this.d.queries().history(t.run!, spec.metric, { from: next, to: next, maxPoints: 1 }).values[0] }))
          .map((x) => ({ ...x, v: typeof x.v === 'number' ? x.v : direction === 'min' ? Infinity : -Infinity }))
          .sort((a, b) => (direction === 'min' ? a.v - b.v : b.v - a.v));
        const kept = Math.max(1, Math.ceil(scored.length * keep));
        const stopped = scored.slice(kept);
        for (const { t, v } of stopped) {
          try {
            runs.stop(t.run!, { reason: `sweep ${name}: halving at step ${next}, ${spec.metric} ${v} not in the best ${kept} of ${scored.length}`, source: 'sweep' });
            t.stopped_by_sweep = true;
          } catch {
            /* it ended meanwhile: nothing to stop */
          }
        }
        halving.push({ step: next, kept: scored.slice(0, kept).map((x) => x.t.index), stopped: stopped.map((x) => x.t.index) });
        this.d.log?.(`halving at step ${next}: kept ${halving[halving.length - 1].kept.join(', ')}; stopped ${halving[halving.length - 1].stopped.join(', ') || 'none'}`);
        continue;
      }
      if (!live.length) break;
      await this.d.changed();
    }
    for (const t of trials) {
      if (!t.run) continue;
      const r = runs.show(t.run);
      t.status = r.status;
      t.reason = r.reason;
      const last = r.summary[spec.metric]?.last;
      t.value = typeof last === 'number' ? last : null;
    }
    // The best trial: among those that finished (a stopped trial did not run its course), by the metric's last value.
    const ranked = trials.filter((t) => t.status === 'finished' && t.value !== null).sort((a, b) => (direction === 'min' ? a.value! - b.value! : b.value! - a.value!));
    const best = ranked[0] ?? null;
    const outcome = db.prepare(`UPDATE sweep_trials SET status = ?, value = ? WHERE sweep_id = ? AND idx = ?`);
    for (const t of trials) outcome.run(t.status, t.value, id, t.index);
    db.prepare(`UPDATE sweeps SET state = 'completed', best_run_id = ?, ended_at = ? WHERE id = ?`).run(best?.run ?? null, now(), id);
    return { sweep: { id, name, project, metric: spec.metric, direction }, trials, best, halving };
  }
}
