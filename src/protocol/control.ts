// The control channel from Tune Studio to a running trainer. The supervisor
// appends commands to `control.json` in the job folder (written atomically:
// temp file + rename) and also writes each command as one JSON line on the
// trainer's stdin. Commands carry increasing `seq` numbers: a trainer acts on
// each seq once, whichever way it arrived. Browser-safe: no node imports.
//
//   control.json: {"version": 1, "commands": [{"seq": 1, "cmd": "save", "at": "2026-11-24T10:00:00.000Z"}]}
//   stdin line:   {"seq": 1, "cmd": "save", "at": "2026-11-24T10:00:00.000Z"}
//
// Commands: `stop` (checkpoint if you can, then exit 0), `save` (write a
// checkpoint now), `sample` (generate samples now).

export type ControlCommandName = 'stop' | 'save' | 'sample';
export const CONTROL_COMMANDS: readonly ControlCommandName[] = ['stop', 'save', 'sample'];

export interface ControlCommand {
  seq: number;
  cmd: ControlCommandName;
  at: string;
  reason?: string;
}

export interface ControlFile {
  version: 1;
  commands: ControlCommand[];
}

/** Environment variables the supervisor sets for every job it starts. */
export const JOB_ENV = {
  /** "1" when a Tune Studio supervisor runs this process (the SDK then prints protocol lines instead of writing the store). */
  supervised: 'TUNESTUDIO_SUPERVISED',
  jobId: 'TUNESTUDIO_JOB_ID',
  runId: 'TUNESTUDIO_RUN_ID',
  jobDir: 'TUNESTUDIO_JOB_DIR',
  /** Path of control.json. */
  control: 'TUNESTUDIO_CONTROL',
  /** Path of progress.json: a trainer may write {"current", "total", "updated_at"} there as a heartbeat. */
  progress: 'TUNESTUDIO_PROGRESS',
} as const;

export function isControlCommand(v: unknown): v is ControlCommand {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return typeof c.seq === 'number' && typeof c.cmd === 'string' && (CONTROL_COMMANDS as readonly string[]).includes(c.cmd);
}
