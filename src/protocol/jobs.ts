// Runtime requests for training jobs: the persistent queue, presets, control.
import { RequestType } from 'vscode-jsonrpc';
import type { ControlCommandName } from './control';
import type { TuneStudioJob } from './jobSpec.generated';

export const JOB_STATES = ['queued', 'starting', 'running', 'completed', 'failed', 'cancelled', 'stopped'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const FINAL_JOB_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled', 'stopped'];

/** What a `*.tunejob.json` file holds: generated from schemas/tunejob.schema.json, the one source. */
export type JobSpec = TuneStudioJob;

/** A parser a job reads its trainer's output with (see docs/parsers.md). */
export type JobParserSpec = NonNullable<JobSpec['parsers']>[number];

/** A watcher as a job spec names it (see the README, Watchers). */
export type JobWatcherSpec = NonNullable<JobSpec['watchers']>[number];

export interface Job {
  id: string;
  state: JobState;
  name: string;
  project: string;
  spec: JobSpec;
  /** The spec file it came from, if any. */
  spec_file: string | null;
  priority: number;
  attempt: number;
  pid: number | null;
  exit_code: number | null;
  signal: string | null;
  reason: string | null;
  error_summary: string | null;
  run_id: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  /** The collapsed log (progress-bar frames folded). */
  log_path: string;
  progress: { current: number; total: number | null; eta_s: number | null } | null;
  status_text: string | null;
  /** Position in the queue (1 = next), for queued jobs. */
  queue_position?: number;
}

export interface PresetField {
  key: string;
  label: string;
  description?: string;
  kind: 'string' | 'number' | 'path' | 'folder' | 'file';
  default?: string | number;
  required?: boolean;
  placeholder?: string;
}

export interface JobPreset {
  id: string;
  label: string;
  description: string;
  fields: PresetField[];
}

export namespace JobsListRequest {
  export const method = 'tunestudio/jobs/list' as const;
  export const type = new RequestType<{ states?: JobState[] } | undefined, Job[], void>(method);
}

export namespace JobGetRequest {
  export const method = 'tunestudio/jobs/get' as const;
  export const type = new RequestType<{ id: string }, Job, void>(method);
}

export namespace JobSubmitRequest {
  export const method = 'tunestudio/jobs/submit' as const;
  /** `specFile`: submit a *.tunejob.json (relative paths inside resolve against its folder). */
  export const type = new RequestType<{ spec?: JobSpec; specFile?: string }, Job, void>(method);
}

export namespace JobCancelRequest {
  export const method = 'tunestudio/jobs/cancel' as const;
  export const type = new RequestType<{ id: string; reason?: string }, Job, void>(method);
}

export namespace JobsClearFinishedRequest {
  export const method = 'tunestudio/jobs/clearFinished' as const;
  /** Removes ended jobs (completed, failed, cancelled, stopped) from the list; their runs, metrics and logs stay. */
  export const type = new RequestType<void, { removed: number }, void>(method);
}

export namespace JobRetryRequest {
  export const method = 'tunestudio/jobs/retry' as const;
  export const type = new RequestType<{ id: string }, Job, void>(method);
}

export namespace JobControlRequest {
  export const method = 'tunestudio/jobs/control' as const;
  export const type = new RequestType<{ id: string; command: ControlCommandName }, { sent: boolean; message: string }, void>(method);
}

export namespace JobPresetsRequest {
  export const method = 'tunestudio/jobs/presets' as const;
  export const type = new RequestType<void, JobPreset[], void>(method);
}

export namespace JobFromPresetRequest {
  export const method = 'tunestudio/jobs/fromPreset' as const;
  /**
   * Builds a spec from a preset's field values (no job is submitted). Problems are thrown as errors.
   * With `check`, the spec is also checked as a submit would (the program on PATH, the script exists),
   * so New Job… can reject a bad command at the step where it was typed.
   */
  export const type = new RequestType<{ preset: string; values: Record<string, string | number>; check?: boolean }, JobSpec, void>(method);
}
