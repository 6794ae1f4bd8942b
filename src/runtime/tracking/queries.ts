// The read side of tracking, one object for the faces (runtime, CLI, tests):
// run queries (runQueries.ts), history (history.ts, beside lod.ts), best /
// compare / summary (compare.ts) and alert queries (alertQueries.ts), sharing
// one cache of prepared statements. None writes (writes are the store's,
// store/tracking/) and none scans metric history for a summary.
import type Database from 'better-sqlite3';
import { AlertQueries } from './alertQueries';
import { CompareQueries } from './compare';
import { HistoryQueries } from './history';
import { RunQueries } from './runQueries';
import { statementCache } from './statements';

export { AmbiguousRunError, MetricNotFoundError, ProjectNotFoundError, RunNotFoundError, configSummary, safeJson } from './runQueries';
export { RANKED_STATUSES, configDiff } from './compare';
export { parseSince } from './alertQueries';

export class Queries {
  readonly runs: RunQueries;
  readonly histories: HistoryQueries;
  readonly ranking: CompareQueries;
  readonly alertList: AlertQueries;

  constructor(readonly db: Database.Database) {
    const sql = statementCache(db);
    this.runs = new RunQueries(sql);
    this.histories = new HistoryQueries(sql);
    this.ranking = new CompareQueries(sql, this.runs);
    this.alertList = new AlertQueries(sql, this.runs);
  }

  listRuns: RunQueries['listRuns'] = (o) => this.runs.listRuns(o);
  resolveRun: RunQueries['resolveRun'] = (ref, project) => this.runs.resolveRun(ref, project);
  projectNames: RunQueries['projectNames'] = () => this.runs.projectNames();
  requireProject: RunQueries['requireProject'] = (project) => this.runs.requireProject(project);
  requireMetric: RunQueries['requireMetric'] = (metric, o) => this.runs.requireMetric(metric, o);
  projectMetricNames: RunQueries['projectMetricNames'] = (project) => this.runs.projectMetricNames(project);
  showRun: RunQueries['showRun'] = (ref, project) => this.runs.showRun(ref, project);
  metricNames: RunQueries['metricNames'] = (runIds) => this.runs.metricNames(runIds);
  points: RunQueries['points'] = (runId) => this.runs.points(runId);
  history: HistoryQueries['history'] = (runId, metric, o) => this.histories.history(runId, metric, o);
  best: CompareQueries['best'] = (o) => this.ranking.best(o);
  compare: CompareQueries['compare'] = (runIds, metrics) => this.ranking.compare(runIds, metrics);
  summary: CompareQueries['summary'] = (o) => this.ranking.summary(o);
  alerts: AlertQueries['alerts'] = (o) => this.alertList.alerts(o);
  alertCounts: AlertQueries['alertCounts'] = (runIds) => this.alertList.alertCounts(runIds);
}
