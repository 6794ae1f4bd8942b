// The runs service: every rule about runs, with no transport. The runtime's
// language-server handlers (service.ts), the `tunestudio` CLI and (later) the
// MCP and HTTP faces are thin adapters over these methods, so a rule — stop
// only a running run, refuse to delete a running one, how a name resolves,
// what an unknown project or metric says — is written once.
import type { HistoryParams, HistoryResult } from '../../protocol/tracking';
import type { BestResult, CompareResult, History, JsonNumber, Run, RunDetail, RunListItem, RunStatus, SummaryResult } from '../../protocol/tracking';
import type { TrackingStore } from '../store/tracking';
import type { Queries } from './queries';
import { TrackingError, type Tracker } from './tracker';

/** A rule refused the request: the message names the run, the cause and the fix. */
export class RunRuleError extends TrackingError {}

export interface RunsServiceDeps {
  /** The read side on the store. */
  queries: () => Queries;
  /** The writer (the runtime's own, or one the CLI opens for the command). */
  tracker: () => Tracker;
  /** The write side (delete goes there, not through the read side). */
  store: () => TrackingStore;
  /** After a delete: a writer that caches the run forgets it. */
  onDeleted?: (runId: string) => void;
}

export class RunsService {
  constructor(private readonly deps: RunsServiceDeps) {}

  private get q(): Queries {
    return this.deps.queries();
  }

  /** A run by id, else by exact name (within a project if given); unknown and ambiguous names are errors that list candidates. */
  resolve(ref: string, project?: string): Run {
    return this.q.resolveRun(ref, project);
  }

  list(o: { project?: string; status?: RunStatus[]; limit?: number } = {}): RunListItem[] {
    this.q.requireProject(o.project);
    return this.q.listRuns(o);
  }

  show(ref: string, project?: string): RunDetail {
    this.q.requireProject(project);
    return this.q.showRun(ref, project);
  }

  /** One metric of one run; a metric the run never logged is an error listing its metrics. */
  history(ref: string, metric: string, range: { from?: number; to?: number; maxPoints?: number } = {}): { run: Run; history: History } {
    const run = this.resolve(ref);
    this.q.requireMetric(metric, { runIds: [run.id], where: `run '${run.name}' (${run.id})` });
    return { run, history: this.q.history(run.id, metric, range) };
  }

  /** Every wanted metric of several runs (a dashboard): metrics a run lacks are simply absent. */
  histories(p: HistoryParams): HistoryResult {
    const q = this.q;
    const ids = p.runIds.map((r) => q.resolveRun(r).id);
    const metrics = q.metricNames(ids);
    const wanted = p.metrics ?? metrics;
    const series = ids.flatMap((id) => wanted.map((m) => q.history(id, m, { from: p.from, to: p.to, maxPoints: p.maxPoints })));
    return { series: series.filter((s) => s.total > 0), metrics };
  }

  /** The best run for a metric, or null when no run qualifies (unknown project or metric are errors). */
  best(o: { metric: string; direction?: 'min' | 'max'; mode?: 'last' | 'min' | 'max'; statuses?: readonly RunStatus[]; includeAll?: boolean; project?: string }): BestResult | null {
    this.q.requireProject(o.project);
    this.q.requireMetric(o.metric, { project: o.project });
    return this.q.best(o);
  }

  /** Runs × metrics summaries, differing config keys, and each run's alert count. */
  compare(refs: string[], metrics?: string[]): CompareResult & { alerts: Record<string, number> } {
    const q = this.q;
    const ids = refs.map((r) => q.resolveRun(r).id);
    for (const m of metrics ?? []) q.requireMetric(m, { runIds: ids, where: `the runs ${refs.join(', ')}` });
    const result = q.compare(ids, metrics);
    return { ...result, alerts: q.alertCounts(ids) };
  }

  summary(o: { project?: string; statuses?: readonly RunStatus[]; includeAll?: boolean } = {}): SummaryResult {
    this.q.requireProject(o.project);
    return this.q.summary(o);
  }

  /** Every point of a run in step order, streamed (export). */
  points(ref: string): { run: Run; points: Iterable<{ step: number; metric: string; value: JsonNumber; wall_time: number }> } {
    const run = this.resolve(ref);
    return { run, points: this.q.points(run.id) };
  }

  /** Asks a running run to stop (its SDK sees shouldStop(); a supervised one gets its control channel). */
  stop(ref: string, o: { reason: string; source?: string }): Run {
    const run = this.resolve(ref);
    if (run.status !== 'running') throw new RunRuleError(`run '${run.name}' (${run.id}) is ${run.status}, not running; nothing to stop`);
    this.deps.tracker().requestStop(run.id, o.source ?? 'user', o.reason);
    return run;
  }

  /**
   * Renames a run. The name is trimmed; an empty one, one with control
   * characters (a newline would break every one-line listing) or one longer
   * than RUN_NAME_MAX is refused. Names need not be unique (same-named runs are
   * told apart by id); a running run can be renamed (its writer never writes
   * the name again).
   */
  rename(ref: string, name: string): Run {
    const run = this.resolve(ref);
    const next = checkRunName(name, `run '${run.name}' (${run.id})`);
    this.deps.store().runs.rename(run.id, next, new Date().toISOString());
    return this.resolve(run.id);
  }

  /** Deletes a run with its metrics and alerts; a running run is refused (its writer would recreate rows). */
  delete(ref: string): Run {
    const run = this.resolve(ref);
    if (run.status === 'running') {
      throw new RunRuleError(`run '${run.name}' (${run.id}) is still running; stop it first (tunestudio stop ${run.id}, or Stop Run in VS Code), then delete it`);
    }
    this.deps.store().runs.delete(run.id);
    this.deps.onDeleted?.(run.id);
    return run;
  }
}

/** The longest run name rename accepts. */
export const RUN_NAME_MAX = 200;

/** A run name as rename stores it (trimmed), or a RunRuleError naming `what`, the cause and the fix. */
export function checkRunName(name: string, what: string): string {
  const n = name.trim();
  if (!n) throw new RunRuleError(`cannot rename ${what}: the new name is empty; give a name with at least one visible character`);
  if (/\p{Cc}/u.test(n)) throw new RunRuleError(`cannot rename ${what}: the new name contains a control character (a newline or tab); use one line of plain text`);
  if (n.length > RUN_NAME_MAX) throw new RunRuleError(`cannot rename ${what}: the new name is ${n.length} characters long; use at most ${RUN_NAME_MAX}`);
  return n;
}
