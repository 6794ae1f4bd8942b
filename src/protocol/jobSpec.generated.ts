// Generated from schemas/tunejob.schema.json by json-schema-to-typescript — do not edit.
// The schema is the one source of the job spec: ajv validates *.tunejob.json
// files against it (src/runtime/jobs/spec.ts) and these are its types.
// Regenerate: UPDATE_GENERATED=1 node --import tsx --test test/unit/jobs/specTypes.test.ts
/**
 * A training job Tune Studio queues, supervises and tracks. Submit it from the Jobs view (Submit Job File) or with `tunestudio submit FILE.tunejob.json`. Relative paths resolve against this file's folder.
 */
export interface TuneStudioJob {
  $schema?: string;
  /**
   * Name of the run this job makes (need not be unique). Default: the file name.
   */
  name?: string;
  /**
   * Project the run belongs to.
   */
  project?: string;
  kind?: "command" | "builtin";
  /**
   * @minItems 1
   */
  command?: string[];
  train_config?: string;
  /**
   * Working folder (relative to this file). Default: this file's folder.
   */
  cwd?: string;
  /**
   * Environment variables added for the job.
   */
  env?: {
    [k: string]: string;
  };
  parsers?: (
    | ("protocol" | "hf")
    | {
        regex:
          | ("lightning" | "ace-step")
          | {
              /**
               * A JavaScript regular expression with named groups, e.g. step (?<step>\d+) loss=(?<loss>[\d.e+-]+)
               */
              pattern: string;
              flags?: string;
              /**
               * Name of the group that holds the step.
               */
              step?: string;
              /**
               * Metric name → group name (metric names may contain /).
               */
              metrics?: {
                [k: string]: string;
              };
              /**
               * Prepended to metric names taken from group names, e.g. train/.
               */
              prefix?: string;
              name?: string;
            };
      }
    | {
        tfevents:
          | string
          | {
              path: string;
              prefix?: "subfolder" | "none";
            };
      }
  )[];
  watchers?: {
    metric: string;
    /**
     * Alert when the value is NaN or ±Infinity (on unless false, as in trackio; stops by default).
     */
    nan?: boolean;
    /**
     * Alert when the value is above this (stops by default).
     */
    max_value?: number;
    /**
     * Alert when the value is below this (does not stop by default).
     */
    min_value?: number;
    /**
     * Alert when the value deviates from the window's mean by more than (spike_factor − 1) × the window's mean |value|.
     */
    spike_factor?: number;
    window?: number;
    /**
     * Alert on the patience-th value in a row that does not improve on the best (stops by default).
     */
    patience?: number;
    min_delta?: number;
    mode?: "min" | "max";
    /**
     * Override whether these conditions stop the run.
     */
    stop?: boolean;
    level?: "info" | "warn" | "error";
  }[];
  /**
   * Recorded with the run (hyperparameters you want to compare).
   */
  config?: {
    [k: string]: unknown;
  };
  /**
   * Seconds without output, metrics or progress.json updates before the job is stopped as stalled.
   */
  stall_timeout_s?: number;
  /**
   * Seconds between asking the trainer to stop, SIGTERM, and SIGKILL.
   */
  grace_s?: number;
  /**
   * Higher runs first; equal priorities run in submission order.
   */
  priority?: number;
  backend?: "local" | "slurm";
  slurm?: {
    /**
     * sbatch --partition
     */
    partition?: string;
    /**
     * sbatch --gpus, e.g. "1" or "a100:2"
     */
    gpus?: string;
    /**
     * sbatch --gres, e.g. "gpu:1"
     */
    gres?: string;
    /**
     * sbatch --cpus-per-task
     */
    cpus?: number;
    /**
     * sbatch --mem, e.g. "16G"
     */
    mem?: string;
    /**
     * sbatch --time, e.g. "4:00:00" or "30" (minutes)
     */
    time?: string;
    /**
     * sbatch --account
     */
    account?: string;
    /**
     * sbatch --qos
     */
    qos?: string;
    /**
     * sbatch --constraint
     */
    constraint?: string;
    /**
     * Seconds before the time limit at which the job is sent USR2 (saves a checkpoint and exits): sbatch --signal=B:USR2@LEAD.
     */
    signal_lead_s?: number;
    /**
     * More sbatch arguments, one per item, e.g. ["--exclusive"].
     */
    extra_args?: string[];
  };
}
