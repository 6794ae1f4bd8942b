// The handlers behind the agent tool catalogue (src/protocol/tools.ts): each
// checks its arguments against the tool's input schema, asks the services
// (through services.ts) and shapes a bounded reply — a list cut to the reply
// budget says `total` and gives a `cursor`. Every failure is a ToolError whose
// message names the cause and the fix; the MCP server and the runtime's
// language-model tool request turn it into a tool error, never a crash.
import Ajv, { type ValidateFunction } from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_REPLY_BUDGET_CHARS, TOOLS, WAIT_MAX_S, toolByName, type ToolDefinition, type ToolPermission } from '../../protocol/tools';
import type { Alert, Run, RunListItem, RunStatus } from '../../protocol/tracking';
import { FINAL_JOB_STATES, type Job, type JobState } from '../../protocol/jobs';
import type { AlertLevel } from '../../protocol/lines';
import { RANKED_STATUSES } from '../tracking/queries';
import { metricDirection } from '../../protocol/metrics';
import { builtinArgv } from '../jobs/paths';
import { resolveJobSpec } from '../jobs/spec';
import type { AgentServices } from './services';

/** A refused or failed tool call: the message is for the agent (cause and fix). */
export class ToolError extends Error {
  override name = 'ToolError';
}

export interface ToolContext {
  services: AgentServices;
  /** Actions this face allows (the MCP server: --allow submit,stop). */
  allow: ReadonlySet<Exclude<ToolPermission, 'read'>>;
  /** How to allow an action, for the refusal (differs by face). */
  howToAllow: (permission: Exclude<ToolPermission, 'read'>) => string;
  budgetChars?: number;
  /** Aborts a wait when the client cancels the call. */
  signal?: AbortSignal;
}

type Args = Record<string, unknown>;
type Handler = (a: Args, c: ToolContext) => unknown | Promise<unknown>;

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<string, ValidateFunction>();

function validateArgs(t: ToolDefinition, args: unknown): Args {
  let v = validators.get(t.name);
  if (!v) validators.set(t.name, (v = ajv.compile(t.inputSchema)));
  const a = args ?? {};
  if (!v(a)) {
    const problems = (v.errors ?? []).map((e) => `${e.instancePath || '(arguments)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` '${String(e.params.additionalProperty)}'` : ''}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`);
    throw new ToolError(`${t.name}: invalid arguments: ${problems.join('; ')}. Fix them to match the tool's input schema and call again.`);
  }
  return a as Args;
}

/** Runs a tool by name; throws ToolError for anything the caller should hear about. */
export async function callTool(name: string, args: unknown, c: ToolContext): Promise<Record<string, unknown>> {
  const t = toolByName(name);
  if (!t) throw new ToolError(`unknown tool '${name}'; the tools are: ${TOOLS.map((x) => x.name).join(', ')}`);
  const a = validateArgs(t, args);
  if (t.permission !== 'read' && !c.allow.has(t.permission)) {
    throw new ToolError(`${t.name} is not allowed here: it ${t.permission === 'submit' ? 'starts work' : 'stops work'}, and this server was started without permission to ${t.permission}. ${c.howToAllow(t.permission)}`);
  }
  try {
    return (await HANDLERS[t.name](a, c)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof ToolError) throw e;
    // The services' errors already name the thing, the cause and the fix (unknown run, ambiguous name, bad spec …).
    throw new ToolError(`${t.name}: ${(e as Error)?.message ?? String(e)}`);
  }
}

// ------------------------------------------------------------ shaping

function runBrief(r: Run): Record<string, unknown> {
  return { id: r.id, name: r.name, project: r.project, status: r.status, exit_code: r.exit_code, signal: r.signal, reason: r.reason, created_at: r.created_at, ended_at: r.ended_at };
}

function jobBrief(j: Job): Record<string, unknown> {
  return { id: j.id, name: j.name, project: j.project, state: j.state, run_id: j.run_id, exit_code: j.exit_code, reason: j.reason, created_at: j.created_at };
}

function alertBrief(a: Alert): Record<string, unknown> {
  return { id: a.id, run_id: a.run_id, run_name: a.run_name, level: a.level, reason: String(a.reason), metric: a.metric, step: a.step, title: a.title, text: a.text.length > 500 ? a.text.slice(0, 500) + '…' : a.text, created_at: a.created_at };
}

const size = (v: unknown) => JSON.stringify(v).length;

/** Takes items while the reply stays within the budget (at least one, so a page always moves on). */
function fit<T>(items: T[], limit: number, budget: number, reserve = 400): T[] {
  const out: T[] = [];
  let used = reserve;
  for (const it of items) {
    if (out.length >= limit) break;
    const n = size(it) + 1;
    if (out.length && used + n > budget) break;
    out.push(it);
    used += n;
  }
  return out;
}

function encodeCursor(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

function decodeCursor<T>(tool: string, s: string): T {
  try {
    return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as T;
  } catch {
    throw new ToolError(`${tool}: the cursor '${s.slice(0, 40)}' is not one this server gave; pass the \`cursor\` of the previous reply unchanged, or leave it out to start from the first page`);
  }
}

function getPath(o: unknown, key: string): unknown {
  if (o && typeof o === 'object' && key in (o as object)) return (o as Record<string, unknown>)[key];
  let cur: unknown = o;
  for (const part of key.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A path an agent gave, resolved against the workspace and kept inside it. */
function insideRoot(c: ToolContext, tool: string, what: string, p: string, o: { file?: RegExp } = {}): string {
  const root = c.services.root;
  const abs = path.resolve(root, p);
  const rel = path.relative(root, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new ToolError(`${tool}: ${what} '${p}' is outside the workspace ${root}; refused. Give a path inside it.`);
  if (o.file && !o.file.test(abs)) throw new ToolError(`${tool}: ${what} '${p}' must be a ${o.file.source.replace(/\\|\$/g, '').replace('.', '*.')} file`);
  return abs;
}

// ------------------------------------------------------------ handlers

const HANDLERS: Record<string, Handler> = {
  list_projects(_a, c) {
    const counts = new Map<string, number>();
    for (const name of c.services.queries.projectNames()) counts.set(name, 0);
    for (const r of c.services.runs.list({})) counts.set(r.project, (counts.get(r.project) ?? 0) + 1);
    const projects = [...counts].map(([name, runs]) => ({ name, runs }));
    return { projects, total: projects.length };
  },

  list_runs(a, c) {
    const budget = c.budgetChars ?? DEFAULT_REPLY_BUDGET_CHARS;
    c.services.reap();
    let all: RunListItem[] = c.services.runs.list({ project: a.project as string | undefined, status: a.status as RunStatus[] | undefined });
    if (typeof a.name === 'string') all = all.filter((r) => r.name.includes(a.name as string));
    const cfg = a.config as Record<string, unknown> | undefined;
    if (cfg && Object.keys(cfg).length) {
      all = all.filter((r) => {
        const full = c.services.queries.showRun(r.id).config;
        return Object.entries(cfg).every(([k, v]) => JSON.stringify(getPath(full, k)) === JSON.stringify(v));
      });
    }
    // Keyset cursor on (created_at, id), the list's own order: runs created meanwhile never shift a page.
    let rest = all;
    if (typeof a.cursor === 'string') {
      const k = decodeCursor<{ t: string; id: string }>('list_runs', a.cursor);
      rest = all.filter((r) => r.created_at < k.t || (r.created_at === k.t && r.id < k.id));
    }
    const items = rest.map(({ config_summary, headline, ...r }) => ({
      ...runBrief(r as Run),
      headline: headline ? { metric: headline.metric, last: headline.last, last_step: headline.last_step } : null,
      metric_count: r.metric_count,
      alert_count: r.alert_count,
      config: config_summary,
    }));
    const page = fit(items, (a.limit as number | undefined) ?? 50, budget);
    const last = rest[page.length - 1];
    return { runs: page, total: all.length, cursor: page.length < rest.length && last ? encodeCursor({ t: last.created_at, id: last.id }) : null };
  },

  get_run(a, c) {
    if ((a.run === undefined) === (a.job === undefined)) throw new ToolError('get_run: give exactly one of `run` (a run id or name) or `job` (a job id from submit_job/train)');
    c.services.reap();
    let job: Job | null = null;
    let runRef = a.run as string | undefined;
    if (a.job !== undefined) {
      job = c.services.jobs.get(a.job as string);
      runRef = job.run_id ?? undefined;
    }
    if (runRef === undefined) return { run: null, job: job && jobBrief(job), truncated: false };
    const d = c.services.runs.show(runRef);
    if (!job) job = c.services.jobs.list({}).find((j) => j.run_id === d.id) ?? null;
    const budget = c.budgetChars ?? DEFAULT_REPLY_BUDGET_CHARS;
    const run: Record<string, unknown> = { ...d, samples: d.samples.slice(-5), artifacts: d.artifacts.slice(-10) };
    let truncated = d.samples.length > 5 || d.artifacts.length > 10;
    if (size(run) > budget) {
      run.config = Object.fromEntries(Object.entries(d.config).filter(([, v]) => v === null || typeof v !== 'object'));
      run.samples = [];
      truncated = true;
    }
    return { run, job: job && jobBrief(job), truncated };
  },

  get_history(a, c) {
    const max = (a.max_points as number | undefined) ?? 200;
    const { run, history: h } = c.services.runs.history(a.run as string, a.metric as string, { from: a.from as number | undefined, to: a.to as number | undefined, maxPoints: max });
    return { run: { id: run.id, name: run.name }, metric: h.metric, total: h.total, downsampled: h.downsampled, steps: h.steps, values: h.values, non_finite: h.non_finite };
  },

  best(a, c) {
    const o = {
      metric: a.metric as string,
      direction: a.direction as 'min' | 'max' | undefined,
      mode: (a.mode as 'last' | 'min' | 'max' | undefined) ?? 'last',
      statuses: a.status as RunStatus[] | undefined,
      includeAll: a.include_all as boolean | undefined,
      project: a.project as string | undefined,
    };
    c.services.reap();
    const b = c.services.runs.best(o);
    if (!b) {
      const statuses = o.includeAll ? null : (o.statuses ?? RANKED_STATUSES);
      return { run: null, metric: o.metric, value: null, step: null, mode: o.mode, direction: o.direction ?? metricDirection(o.metric), candidates: 0, note: `no ${statuses ? statuses.join(' or ') + ' ' : ''}run has a finite ${o.mode} value of '${o.metric}'` };
    }
    return { ...b, run: runBrief(b.run) };
  },

  compare(a, c) {
    const r = c.services.runs.compare(a.runs as string[], a.metrics as string[] | undefined);
    return { ...r, runs: r.runs.map(runBrief) };
  },

  summary(a, c) {
    c.services.reap();
    const s = c.services.runs.summary({ project: a.project as string | undefined, statuses: a.status as RunStatus[] | undefined, includeAll: a.include_all as boolean | undefined });
    const budget = c.budgetChars ?? DEFAULT_REPLY_BUDGET_CHARS;
    const metrics = fit(s.metrics, Number.MAX_SAFE_INTEGER, budget, size({ ...s, metrics: [] }) + 200);
    return { ...s, metrics, total: s.metrics.length, cursor: null };
  },

  list_alerts(a, c) {
    const after = (a.after as number | undefined) ?? 0;
    const all = c.services.alerts.list({ after, run: a.run as string | undefined, project: a.project as string | undefined, minLevel: a.level as AlertLevel | undefined });
    all.sort((x, y) => x.id - y.id);
    const page = fit(all.map(alertBrief), (a.limit as number | undefined) ?? 100, c.budgetChars ?? DEFAULT_REPLY_BUDGET_CHARS);
    const nextAfter = page.length ? (page[page.length - 1].id as number) : after;
    return { alerts: page, total: all.length, next_after: nextAfter, cursor: page.length < all.length ? String(nextAfter) : null };
  },

  submit_job(a, c) {
    const ways = ['command', 'preset', 'spec_file'].filter((k) => a[k] !== undefined);
    if (ways.length !== 1) throw new ToolError(`submit_job: give exactly one of \`command\`, \`preset\` or \`spec_file\` (got ${ways.length ? ways.join(' and ') : 'none'})`);
    const over: Record<string, unknown> = {};
    for (const k of ['name', 'project', 'config', 'watchers', 'env', 'priority'] as const) if (a[k] !== undefined) over[k] = a[k];
    if (typeof a.cwd === 'string') over.cwd = insideRoot(c, 'submit_job', 'cwd', a.cwd);
    const jobs = c.services.jobs;
    let job: Job;
    if (a.spec_file !== undefined) {
      job = jobs.submit({ specFile: insideRoot(c, 'submit_job', 'spec_file', a.spec_file as string, { file: /\.tunejob\.json$/i }), overrides: over });
    } else if (a.preset !== undefined) {
      let spec;
      try {
        spec = c.services.presets.spec(a.preset as string, (a.values ?? {}) as Record<string, string | number>);
      } catch (e) {
        throw new ToolError(`submit_job: preset '${String(a.preset)}': ${(e as Error).message} (presets: ${c.services.presets.list().map((p) => p.id).join(', ')})`);
      }
      job = jobs.submit({ spec: { ...spec, ...over } });
    } else {
      job = jobs.submit({ spec: { command: a.command as string[], ...over } });
    }
    return submitted(c, job);
  },

  train(a, c) {
    const config = insideRoot(c, 'train', 'config', a.config as string, { file: /\.tunetrain\.json$/i });
    if (!fs.existsSync(config)) throw new ToolError(`train: config '${String(a.config)}' does not exist (looked at ${config})`);
    const name = (a.name as string | undefined) ?? path.basename(config).replace(/\.tunetrain\.json$/i, '');
    const spec = resolveJobSpec(
      { name, project: (a.project as string | undefined) ?? 'training', kind: 'builtin', train_config: config, parsers: ['protocol'], watchers: [{ metric: 'train/loss', nan: true }] },
      { baseDir: path.dirname(config), builtinArgv },
    );
    return submitted(c, c.services.jobs.enqueue(spec));
  },

  stop_run(a, c) {
    const run = c.services.runs.stop(a.run as string, { reason: (a.reason as string | undefined) ?? 'stopped by an agent', source: 'agent' });
    return { run: runBrief(run), stop_requested: true, message: `stop requested for '${run.name}' (${run.id}); wait {run} to see it end` };
  },

  cancel_job(a, c) {
    const r = c.services.jobs.cancel(a.job as string, (a.reason as string | undefined) ?? 'cancelled by an agent');
    return {
      job: jobBrief(r.job),
      immediate: r.immediate,
      message: r.immediate ? `cancelled ${r.job.id} (${r.job.name}) before it started` : `cancel requested for ${r.job.id} (${r.job.name}); wait {job} to see it end`,
    };
  },

  job_logs(a, c) {
    const job = c.services.jobs.get(a.job as string);
    const tail = (a.tail as number | undefined) ?? 50;
    let text = '';
    try {
      text = fs.readFileSync(job.log_path, 'utf8');
    } catch {
      /* no output yet */
    }
    const all = text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    let lines = all;
    if (typeof a.grep === 'string') {
      let re: RegExp;
      try {
        re = new RegExp(a.grep, 'i');
      } catch (e) {
        throw new ToolError(`job_logs: grep '${a.grep}' is not a valid regular expression: ${(e as Error).message}`);
      }
      lines = all.filter((l) => re.test(l));
    }
    const budget = (c.budgetChars ?? DEFAULT_REPLY_BUDGET_CHARS) - 600;
    const out: string[] = [];
    let used = 0;
    for (let i = lines.length - 1; i >= 0 && out.length < tail; i--) {
      const l = lines[i].length > 2000 ? lines[i].slice(0, 2000) + '…' : lines[i];
      if (out.length && used + l.length + 4 > budget) break;
      out.unshift(l);
      used += l.length + 4;
    }
    return { job: jobBrief(job), lines: out, total_lines: all.length, matched: lines.length, truncated: out.length < lines.length };
  },

  wait: (a, c) => waitFor(a, c),
};

function submitted(c: ToolContext, job: Job): Record<string, unknown> {
  const scheduled = c.services.jobs.scheduled();
  return {
    job: jobBrief(job),
    scheduler_running: scheduled,
    message: `queued job ${job.id} (${job.name}); follow it with wait {"job":"${job.id}"} or get_run {"job":"${job.id}"}` +
      (scheduled ? '' : '. No scheduler is running for this store, so it will not start yet: open the workspace in VS Code with Tune Studio, or run `tunestudio serve`'),
  };
}

// ------------------------------------------------------------ wait

/** How often the store is asked whether anything committed (one cheap PRAGMA; no query runs until it changes). */
export const WAIT_POLL_MS = 100;

interface Target {
  run: Run | null;
  job: Job | null;
}

async function waitFor(a: Args, c: ToolContext): Promise<Record<string, unknown>> {
  if ((a.run === undefined) === (a.job === undefined)) throw new ToolError('wait: give exactly one of `run` (a run id or name) or `job` (a job id from submit_job/train)');
  const until = new Set((a.until as string[] | undefined) ?? ['status', 'alert']);
  if (until.has('step') && typeof a.step !== 'number') throw new ToolError('wait: until "step" needs `step`, the step to reach');
  const timeoutMs = Math.min(WAIT_MAX_S, (a.timeout_s as number | undefined) ?? 30) * 1000;
  const s = c.services;
  const t0 = Date.now();
  const look = (): Target => {
    const job = a.job !== undefined ? s.jobs.get(a.job as string) : null;
    const ref = job ? job.run_id : (a.run as string);
    return { job, run: ref ? s.runs.resolve(ref) : null };
  };
  const start = look();
  const startRunId = start.run?.id;
  let afterAlert = (a.after_alert as number | undefined) ?? maxAlertId(s, start.run);
  const statusOf = (x: Target) => `${x.job?.state ?? ''}/${x.run?.status ?? ''}`;
  const startStatus = statusOf(start);
  const ended = (x: Target) => (x.job ? FINAL_JOB_STATES.includes(x.job.state as JobState) : false) || (!x.job && !!x.run && x.run.status !== 'running');
  const reply = (event: string, x: Target, alerts: Alert[], step: number | null) => ({
    event,
    run: x.run && runBrief(x.run),
    job: x.job && jobBrief(x.job),
    alerts: alerts.map(alertBrief),
    step,
    next_after: alerts.length ? alerts[alerts.length - 1].id : afterAlert,
    waited_ms: Date.now() - t0,
  });
  const check = (first: boolean): Record<string, unknown> | null => {
    const x = first ? start : look();
    // A job's run appears when it starts: alerts of that run count from its first.
    if (x.run && x.run.id !== startRunId && a.after_alert === undefined) afterAlert = 0;
    const alerts = x.run && until.has('alert') ? s.alerts.list({ run: x.run.id, after: afterAlert }).sort((p, q) => p.id - q.id) : [];
    const step = x.run ? lastStep(s, x.run.id, a.metric as string | undefined) : null;
    if (alerts.length) return reply('alert', x, alerts, step);
    if (until.has('step') && step !== null && step >= (a.step as number)) return reply('step', x, [], step);
    // Something that has ended will not change again: say so, whatever was asked.
    if (first && ended(x)) return reply('ended', x, [], step);
    if (!first && until.has('status') && statusOf(x) !== startStatus) return reply('status', x, [], step);
    if (!first && ended(x)) return reply('ended', x, [], step);
    return null;
  };
  const now = check(true);
  if (now) return now;
  let version = s.dataVersion();
  let lastReap = Date.now();
  for (;;) {
    const left = timeoutMs - (Date.now() - t0);
    if (left <= 0 || c.signal?.aborted) return reply('timeout', look(), [], start.run ? lastStep(s, start.run.id, a.metric as string | undefined) : null);
    await sleep(Math.min(WAIT_POLL_MS, left), c.signal);
    // A vanished process writes nothing: the reaper's heartbeat check turns it into a commit.
    if (Date.now() - lastReap > 5000) {
      s.reap();
      lastReap = Date.now();
    }
    const v = s.dataVersion();
    if (v === version) continue;
    version = v;
    const hit = check(false);
    if (hit) return hit;
  }
}

function maxAlertId(s: AgentServices, run: Run | null): number {
  if (!run) return 0;
  const list = s.alerts.list({ run: run.id, limit: 1 });
  return list.length ? list[0].id : 0;
}

function lastStep(s: AgentServices, runId: string, metric?: string): number | null {
  const summary = s.queries.showRun(runId).summary;
  const steps = Object.entries(summary)
    .filter(([m]) => metric === undefined || m === metric)
    .map(([, v]) => v.last_step);
  return steps.length ? Math.max(...steps) : null;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
