// The words of Tune Studio's toasts, as pure functions (no vscode import, so
// plain unit tests check them): an alert toast says what the watcher did and
// what is happening now, and offers only actions that still mean something;
// a job's end says how it ended and why.
import type { Alert, RunStatus } from '../protocol/tracking';
import type { Job, JobState } from '../protocol/jobs';
import { fmtDuration, secondsBetween } from '../protocol/format';

/** What is known of the alert's run when its toast is shown. */
export interface RunNow {
  status: RunStatus;
  stop_request: { source: string; reason: string } | null;
}

export type AlertAction = 'Open Dashboard' | 'Stop Run' | 'Acknowledge' | 'Show Log';

/** "train/loss is NaN at step 60": the metric and step only where the title does not say them already. */
export function alertHeadline(a: Pick<Alert, 'title' | 'metric' | 'step'>): string {
  const title = a.title.trim();
  const metric = a.metric && !title.includes(a.metric) ? ` (${a.metric})` : '';
  const step = a.step !== null && !/\bstep\b/i.test(title) ? ` at step ${a.step}` : '';
  return `${title}${metric}${step}`;
}

/** How a stop under way proceeds: the supervisor asks the trainer, then signals after the job's grace period. */
export function stopProgressText(graceS: number | null): string {
  return graceS === null ? 'asked the trainer to stop' : `asked the trainer, SIGTERM in ${graceS} s`;
}

/**
 * The toast for alerts of one run. `run` is the run as it is now (null when
 * it could not be read); `graceS` the grace period of the job that runs it
 * (null when no Tune Studio job supervises it).
 */
export function alertToast(alerts: Alert[], run: RunNow | null, graceS: number | null): { message: string; actions: AlertAction[] } {
  const first = alerts[0];
  // Two watchers of the same rule raise the same alert: one headline says it.
  const headlines = [...new Set(alerts.map((a) => alertHeadline(a)))];
  const what =
    headlines.length === 1
      ? `run '${first.run_name}': ${headlines[0]}`
      : `${headlines.length} alerts on run '${first.run_name}': ${headlines.slice(0, 3).join('; ')}${headlines.length > 3 ? '; …' : ''}`;
  const base = `Tune Studio: ${what}`;
  if (run && run.status !== 'running') {
    // A trainer that honours the stop is often gone before the toast shows: say who ended it.
    const ended =
      run.status === 'stopped' && run.stop_request?.source === 'watcher'
        ? 'the watcher stopped the run'
        : run.status === 'finished'
          ? 'the run has finished'
          : `the run has ended (${run.status})`;
    return { message: `${base} — ${ended}.`, actions: ['Open Dashboard', 'Acknowledge'] };
  }
  if (run?.stop_request) {
    const who = run.stop_request.source === 'watcher' ? 'the watcher is stopping the run' : run.stop_request.source === 'user' ? 'the run is being stopped (you asked)' : 'the run is being stopped';
    // No "Stop Run" or "Ignore": the stop is already under way and acknowledging would not prevent it.
    return { message: `${base} — ${who}: ${stopProgressText(graceS)}.`, actions: ['Open Dashboard', ...(graceS !== null ? (['Show Log'] as const) : [])] };
  }
  return { message: base, actions: run ? ['Open Dashboard', 'Stop Run', 'Acknowledge'] : ['Open Dashboard', 'Acknowledge'] };
}

/** The outcomes `tuneStudio.notifications.jobEnd` can name. */
export const JOB_END_OUTCOMES = ['completed', 'failed', 'stopped', 'cancelled'] as const;
export type JobEndOutcome = (typeof JOB_END_OUTCOMES)[number];

/**
 * A job state in the words the Runs view uses for runs: a job that "completed" made a run that
 * "finished", and users saw both words for one thing; the protocol keeps 'completed'.
 */
export function jobStateWord(state: JobState): string {
  return state === 'completed' ? 'finished' : state;
}

/** "stopped: stopped: NaN" → "NaN": a reason without the state it repeats. */
export function reasonWithoutState(state: JobState, reason: string | null): string {
  if (!reason) return '';
  let r = reason.trim();
  const prefix = new RegExp(`^(${state}|${state === 'completed' ? 'finished' : state})\\s*[:—-]\\s*`, 'i');
  while (prefix.test(r)) r = r.replace(prefix, '');
  return r;
}

/** The toast for a job that has just ended, or null when its outcome is not one the user asked for. */
export function jobEndToast(job: Job, outcomes: readonly string[]): { level: 'info' | 'warn' | 'error'; message: string; actions: string[] } | null {
  if (!(JOB_END_OUTCOMES as readonly string[]).includes(job.state) || !outcomes.includes(job.state)) return null;
  const d = job.started_at ? fmtDuration(secondsBetween(job.started_at, job.ended_at)) : '';
  const took = d ? ` after ${d}` : '';
  const why = reasonWithoutState(job.state, job.reason);
  // A failure's reason is how it ended ("exit code 1"); the last line of its output usually says why.
  const lastError = job.state === 'failed' && job.error_summary ? (job.error_summary.trim().split('\n').pop() ?? '').trim().slice(0, 200) : '';
  const detail = [why, lastError].filter(Boolean).join(' — ');
  const message = `Tune Studio: job '${job.name}' ${jobStateWord(job.state)}${took}${detail ? `: ${detail}` : ''}`.replace(/\.?$/, '.');
  const actions = ['Show Log', ...(job.run_id ? ['Open Dashboard'] : [])];
  return { level: job.state === 'failed' ? 'error' : job.state === 'completed' ? 'info' : 'warn', message, actions };
}
