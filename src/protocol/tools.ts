// The agent tool catalogue, defined once: names, descriptions, input and
// output JSON schemas and annotations. The MCP server (src/mcp/) lists these
// as they are, VS Code's language-model tools (package.json
// contributes.languageModelTools, src/extension/lmTools.ts) are the same list
// (a test holds package.json equal to it), and the handlers behind both are
// one module (src/runtime/agents/tools.ts). Pure data: no node or vscode imports.

import { RequestType } from 'vscode-jsonrpc';
import { JOB_STATES } from './jobs';
import { RUN_STATUSES } from './tracking';

/** What a tool may do: read the store, start work, or stop work (the last two are off unless allowed). */
export type ToolPermission = 'read' | 'submit' | 'stop';

export interface ToolAnnotations {
  title: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolDefinition {
  name: string;
  /** Shown to people (confirmation dialogs, tool pickers). */
  title: string;
  /** Read by the model: what the tool does, when to use it, what comes back. */
  description: string;
  permission: ToolPermission;
  inputSchema: JsonSchemaObject;
  outputSchema: JsonSchemaObject;
  annotations: ToolAnnotations;
}

export interface JsonSchemaObject {
  type: 'object';
  properties: Record<string, unknown>;
  required?: string[];
  additionalProperties?: boolean;
  [k: string]: unknown;
}

/** The prefix of VS Code's language-model tool names (`tunestudio_list_runs`), and the tool set reference. */
export const LM_TOOL_PREFIX = 'tunestudio_';
export const TOOL_SET_REFERENCE = 'tunestudio';

/** Replies are cut to about this many characters of JSON (≈ 5k tokens); a cut list says so with `total` and `cursor`. */
export const DEFAULT_REPLY_BUDGET_CHARS = 20_000;
export const WAIT_MAX_S = 300;


// ------------------------------------------------------------ schema pieces

const str = (description: string, extra: Record<string, unknown> = {}) => ({ type: 'string', description, ...extra });
const int = (description: string, extra: Record<string, unknown> = {}) => ({ type: 'integer', description, ...extra });
const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });
const obj = (properties: Record<string, unknown>, required: string[] = [], extra: Record<string, unknown> = {}): JsonSchemaObject => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
  ...extra,
});
const input = (properties: Record<string, unknown>, required: string[] = []): JsonSchemaObject => obj(properties, required, { additionalProperties: false });

const runRef = str('A run id (exact) or a run name (must be unique; an ambiguous name is an error that lists the candidates).', { minLength: 1 });
const jobRef = str('A job id (or a unique prefix, or its name).', { minLength: 1 });
const cursorIn = str('The `cursor` of the previous reply, to read the next page.');
const cursorOut = { ...nullable({ type: 'string' }), description: 'Pass as `cursor` to read the next page; null when this reply holds the rest.' };
const totalOut = int('How many items match in all (this reply may hold fewer: see cursor).');
const runStatus = { type: 'string', enum: [...RUN_STATUSES] };
const jobState = { type: 'string', enum: [...JOB_STATES] };
const number = { anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }, { type: 'null' }] };

const runOut = obj(
  {
    id: { type: 'string' },
    name: { type: 'string' },
    project: { type: 'string' },
    status: runStatus,
    exit_code: nullable({ type: 'integer' }),
    signal: nullable({ type: 'string' }),
    reason: nullable({ type: 'string' }),
    created_at: { type: 'string' },
    ended_at: nullable({ type: 'string' }),
  },
  ['id', 'name', 'project', 'status', 'created_at'],
);
const jobOut = obj(
  {
    id: { type: 'string' },
    name: { type: 'string' },
    project: { type: 'string' },
    state: jobState,
    run_id: nullable({ type: 'string' }),
    exit_code: nullable({ type: 'integer' }),
    reason: nullable({ type: 'string' }),
    created_at: { type: 'string' },
  },
  ['id', 'name', 'state', 'run_id'],
);
const alertOut = obj(
  {
    id: { type: 'integer' },
    run_id: { type: 'string' },
    run_name: { type: 'string' },
    level: { type: 'string', enum: ['info', 'warn', 'error'] },
    reason: { type: 'string' },
    metric: nullable({ type: 'string' }),
    step: nullable({ type: 'integer' }),
    title: { type: 'string' },
    text: { type: 'string' },
    created_at: { type: 'string' },
  },
  ['id', 'run_id', 'level', 'title'],
);
const watcherIn = obj(
  {
    metric: str('The metric to watch, e.g. train/loss.'),
    nan: { type: 'boolean', description: 'Alert (and stop) when the value is NaN or ±Infinity.' },
    max_value: { type: 'number', description: 'Alert (and stop) when the value goes above this.' },
    min_value: { type: 'number', description: 'Alert when the value goes below this.' },
    patience: int('Alert when the metric has not improved for this many steps.', { minimum: 1 }),
    stop: { type: 'boolean', description: 'Whether the alert stops the run (defaults per kind).' },
  },
  ['metric'],
  // The rest of a watcher (spike_factor, window, min_delta, mode, level) is checked by the job spec's schema.
  { additionalProperties: true },
);
const metricName = str('A metric name, e.g. train/loss or eval/accuracy.', { minLength: 1 });
const direction = { type: 'string', enum: ['min', 'max'], description: 'Lower or higher is better (default: min for loss-like names, max for accuracy/f1/reward…).' };

// ------------------------------------------------------------ the tools

function tool(
  name: string,
  title: string,
  permission: ToolPermission,
  description: string,
  inputSchema: JsonSchemaObject,
  outputSchema: JsonSchemaObject,
  hints: { destructive?: boolean; idempotent?: boolean } = {},
): ToolDefinition {
  return {
    name,
    title,
    description,
    permission,
    inputSchema,
    outputSchema,
    annotations: {
      title,
      readOnlyHint: permission === 'read',
      destructiveHint: permission === 'stop' || !!hints.destructive,
      idempotentHint: permission === 'read' || !!hints.idempotent,
      openWorldHint: false,
    },
  };
}

export const TOOLS: readonly ToolDefinition[] = [
  tool(
    'list_projects',
    'List projects',
    'read',
    'List the projects in the Tune Studio store with how many runs each has. Start here to learn what has been tracked.',
    input({}),
    obj({ projects: { type: 'array', items: obj({ name: { type: 'string' }, runs: { type: 'integer' } }, ['name', 'runs']) }, total: totalOut }, ['projects', 'total']),
  ),
  tool(
    'list_runs',
    'List runs',
    'read',
    'List runs, newest first, with status, headline metric and a config summary. Filter by project, status, name (substring) and config values (every key given must be equal; dotted keys reach into nested config). Paged: when `cursor` is not null there are more runs (`total` says how many match) — pass it back to read on. Never assume the first page is everything.',
    input({
      project: str('Only runs of this project.'),
      status: { type: 'array', items: runStatus, description: 'Only runs with these statuses.' },
      name: str('Only runs whose name contains this text.'),
      config: { type: 'object', description: 'Only runs whose config has these values, e.g. {"lr": 0.001}.' },
      limit: int('At most this many runs in this reply (default 50).', { minimum: 1, maximum: 500 }),
      cursor: cursorIn,
    }),
    obj(
      {
        runs: {
          type: 'array',
          items: obj(
            {
              ...runOut.properties,
              headline: nullable(obj({ metric: { type: 'string' }, last: number, last_step: { type: 'integer' } }, ['metric'])),
              metric_count: { type: 'integer' },
              alert_count: { type: 'integer' },
              config: { type: 'object' },
            },
            [...(runOut.required ?? []), 'metric_count', 'alert_count'],
          ),
        },
        total: totalOut,
        cursor: cursorOut,
      },
      ['runs', 'total', 'cursor'],
    ),
  ),
  tool(
    'get_run',
    'Get a run',
    'read',
    "One run in full: status with its reason, exit code and signal, config, every metric's summary (last, min, max, counts of NaN/Inf), alert counts, watchers, a pending stop request, and the job that made it. Give `run`, or `job` to follow a job handle from submit_job/train (its run appears once the job starts).",
    input({ run: runRef, job: jobRef }),
    obj(
      {
        run: nullable(obj({ ...runOut.properties, config: { type: 'object' }, summary: { type: 'object' }, alerts: { type: 'object' }, watchers: { type: 'array' } }, [...(runOut.required ?? []), 'config', 'summary'])),
        job: nullable(jobOut),
        truncated: { type: 'boolean', description: 'Whether config, samples or artifacts were cut to fit the reply budget.' },
      },
      ['run', 'job'],
    ),
  ),
  tool(
    'get_history',
    'Get metric history',
    'read',
    "A metric's history for one run, downsampled with min/max buckets that keep spikes (never millions of raw points): steps and values (null where NaN/Inf; non_finite lists those ranges). `total` is the number of points before downsampling.",
    input(
      {
        run: runRef,
        metric: metricName,
        from: int('First step.'),
        to: int('Last step.'),
        max_points: int('At most this many points (default 200, at most 2000).', { minimum: 2, maximum: 2000 }),
      },
      ['run', 'metric'],
    ),
    obj(
      {
        run: obj({ id: { type: 'string' }, name: { type: 'string' } }, ['id', 'name']),
        metric: { type: 'string' },
        total: { type: 'integer' },
        downsampled: { type: 'boolean' },
        steps: { type: 'array', items: { type: 'integer' } },
        values: { type: 'array', items: nullable({ type: 'number' }) },
        non_finite: { type: 'array', items: obj({ from: { type: 'integer' }, to: { type: 'integer' }, kind: { type: 'string' }, count: { type: 'integer' } }) },
      },
      ['run', 'metric', 'total', 'downsampled', 'steps', 'values', 'non_finite'],
    ),
  ),
  tool(
    'best',
    'Best run',
    'read',
    "The best run for a metric. By default only runs that ended on purpose (finished, stopped) are ranked, on each run's last value; `run` is null when no run qualifies (say so rather than guessing).",
    input(
      {
        metric: metricName,
        direction,
        mode: { type: 'string', enum: ['last', 'min', 'max'], description: "Which value of each run: its last (default), min or max." },
        status: { type: 'array', items: runStatus, description: 'Rank runs with these statuses.' },
        include_all: { type: 'boolean', description: 'Rank runs of every status (running, failed, crashed too).' },
        project: str('Only this project.'),
      },
      ['metric'],
    ),
    obj(
      {
        run: nullable(runOut),
        metric: { type: 'string' },
        value: nullable({ type: 'number' }),
        step: nullable({ type: 'integer' }),
        mode: { type: 'string' },
        direction: { type: 'string', enum: ['min', 'max'] },
        candidates: { type: 'integer', description: 'How many runs were ranked.' },
      },
      ['run', 'metric', 'value', 'direction', 'candidates'],
    ),
  ),
  tool(
    'compare',
    'Compare runs',
    'read',
    'Compare runs side by side: each metric\'s summary per run, the config keys whose values differ, and each run\'s alert count.',
    input({ runs: { type: 'array', items: runRef, minItems: 1, maxItems: 20, description: 'Run ids or names.' }, metrics: { type: 'array', items: metricName, description: 'Only these metrics.' } }, ['runs']),
    obj(
      {
        runs: { type: 'array', items: runOut },
        metrics: { type: 'array', items: { type: 'string' } },
        values: { type: 'object', description: 'run id → metric → summary' },
        config_diff: { type: 'array', items: { type: 'string' } },
        configs: { type: 'object' },
        alerts: { type: 'object', description: 'run id → alert count' },
      },
      ['runs', 'metrics', 'values'],
    ),
  ),
  tool(
    'summary',
    'Summary',
    'read',
    'An overview: runs by status, alerts by level and reason, and the best run per metric (among finished/stopped runs unless told otherwise).',
    input({ project: str('Only this project.'), status: { type: 'array', items: runStatus }, include_all: { type: 'boolean' } }),
    obj(
      {
        project: nullable({ type: 'string' }),
        runs: obj({ total: { type: 'integer' }, by_status: { type: 'object' } }, ['total', 'by_status']),
        alerts: obj({ total: { type: 'integer' }, by_level: { type: 'object' }, by_reason: { type: 'object' } }, ['total']),
        metrics: { type: 'array', items: obj({ metric: { type: 'string' }, runs: { type: 'integer' }, direction: { type: 'string' }, best: nullable({ type: 'object' }) }, ['metric']) },
        total: totalOut,
        cursor: cursorOut,
      },
      ['runs', 'alerts', 'metrics'],
    ),
  ),
  tool(
    'list_alerts',
    'List alerts',
    'read',
    'Alerts raised by watchers (NaN loss, thresholds, stalls…), oldest first, paged by alert id: pass `after` = the `next_after` of your last reply to get only alerts you have not seen — no alert is missed or repeated, whatever the clocks say. `total` counts the alerts after `after` that match.',
    input({
      after: int('Only alerts with an id greater than this (the `next_after` of the previous reply). Default 0: from the first.', { minimum: 0 }),
      run: runRef,
      project: str('Only this project.'),
      level: { type: 'string', enum: ['info', 'warn', 'error'], description: 'Only this level and above.' },
      limit: int('At most this many alerts (default 100).', { minimum: 1, maximum: 1000 }),
    }),
    obj(
      {
        alerts: { type: 'array', items: alertOut },
        total: totalOut,
        next_after: { type: 'integer', description: 'Pass as `after` next time.' },
        cursor: cursorOut,
      },
      ['alerts', 'total', 'next_after', 'cursor'],
    ),
  ),
  tool(
    'submit_job',
    'Submit a job',
    'submit',
    'Queue a supervised training job and return its handle at once (it does not wait): give exactly one of `command` (an argument array, run without a shell), `preset` with `values`, or `spec_file` (a *.tunejob.json inside the workspace). Watchers (e.g. {"metric":"train/loss","nan":true}) raise alerts and stop the run. Follow it with wait or get_run {job}. Needs the server started with --allow submit.',
    input({
      command: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'The command and its arguments, e.g. ["python","train.py","--lr","0.001"].' },
      preset: str('A job preset id (e.g. ace-step-lora).'),
      values: { type: 'object', description: "The preset's field values." },
      spec_file: str('A *.tunejob.json file (relative to the workspace).'),
      name: str('Run name.'),
      project: str('Project.'),
      config: { type: 'object', description: 'The run config (hyperparameters), shown in get_run and compared by compare.' },
      watchers: { type: 'array', items: watcherIn },
      cwd: str('Working folder, relative to the workspace.'),
      env: { type: 'object', additionalProperties: { type: 'string' } },
      priority: int('Higher runs first (default 0).'),
    }),
    obj({ job: jobOut, scheduler_running: { type: 'boolean' }, message: { type: 'string' } }, ['job', 'scheduler_running', 'message']),
  ),
  tool(
    'train',
    'Train with the built-in trainer',
    'submit',
    "Queue the built-in LoRA trainer on a *.tunetrain.json config (inside the workspace) as a supervised job with a NaN watcher on train/loss, and return its handle at once. Needs --allow submit.",
    input({ config: str('A *.tunetrain.json file (relative to the workspace).', { minLength: 1 }), name: str('Run name.'), project: str('Project (default training).') }, ['config']),
    obj({ job: jobOut, scheduler_running: { type: 'boolean' }, message: { type: 'string' } }, ['job', 'scheduler_running', 'message']),
  ),
  tool(
    'stop_run',
    'Stop a run',
    'stop',
    'Ask a running run to stop (its trainer sees the request through the control channel, then SIGTERM, then SIGKILL); it ends `stopped`. Only a running run can be stopped. Needs --allow stop.',
    input({ run: runRef, reason: str('Why (kept with the run).') }, ['run']),
    obj({ run: runOut, stop_requested: { type: 'boolean' }, message: { type: 'string' } }, ['run', 'stop_requested', 'message']),
  ),
  tool(
    'cancel_job',
    'Cancel a job',
    'stop',
    'Cancel a job: a queued one never starts; a running one is asked to stop, then SIGTERM, then SIGKILL. A finished job cannot be cancelled. Needs --allow stop.',
    input({ job: jobRef, reason: str('Why.') }, ['job']),
    obj({ job: jobOut, immediate: { type: 'boolean' }, message: { type: 'string' } }, ['job', 'immediate', 'message']),
  ),
  tool(
    'job_logs',
    'Job logs',
    'read',
    "The end of a job's log (progress-bar frames collapsed): the last `tail` lines, or with `grep` (a regular expression) the last matching lines. `total_lines` and `matched` say how much there is.",
    input({ job: jobRef, tail: int('How many lines from the end (default 50, at most 1000).', { minimum: 1, maximum: 1000 }), grep: str('Only lines matching this regular expression (case-insensitive).') }, ['job']),
    obj(
      {
        job: jobOut,
        lines: { type: 'array', items: { type: 'string' } },
        total_lines: { type: 'integer' },
        matched: { type: 'integer' },
        truncated: { type: 'boolean', description: 'Whether lines were cut (to fit `tail` or the reply budget).' },
      },
      ['job', 'lines', 'total_lines', 'matched', 'truncated'],
    ),
  ),
  tool(
    'wait',
    'Wait for a run or job',
    'read',
    'Wait — one call instead of a polling loop — until a run or job changes status (or has ended), raises an alert, or reaches a step, or until `timeout_s` passes. Give `run` or `job`. Returns what happened (`event`), the current status, and the new alerts (ids after `after_alert`; pass back `next_after`). It wakes on store changes, not on a timer of yours.',
    input({
      run: runRef,
      job: jobRef,
      until: { type: 'array', items: { type: 'string', enum: ['status', 'alert', 'step'] }, description: 'What ends the wait (default: status and alert).' },
      step: int('With until "step": the step to reach.', { minimum: 0 }),
      metric: str('With until "step": the metric whose step counts (default: any).'),
      after_alert: int('Alerts with ids above this count as new (default: the newest alert when the call starts).', { minimum: 0 }),
      timeout_s: { type: 'number', minimum: 0, maximum: WAIT_MAX_S, description: `Give up after this many seconds (default 30, at most ${WAIT_MAX_S}; keep it under your client's request timeout).` },
    }),
    obj(
      {
        event: { type: 'string', enum: ['status', 'ended', 'alert', 'step', 'timeout'], description: 'status: it changed; ended: it was already over; alert: a new alert; step: the step was reached; timeout: nothing happened in time.' },
        run: nullable(runOut),
        job: nullable(jobOut),
        alerts: { type: 'array', items: alertOut },
        step: nullable({ type: 'integer' }),
        next_after: { type: 'integer' },
        waited_ms: { type: 'integer' },
      },
      ['event', 'run', 'job', 'alerts', 'next_after', 'waited_ms'],
    ),
  ),
];

export function toolByName(name: string): ToolDefinition | undefined {
  return TOOLS.find((t) => t.name === name);
}

/** The tool named in VS Code (`tunestudio_list_runs`) → its definition. */
export function toolByLmName(name: string): ToolDefinition | undefined {
  return name.startsWith(LM_TOOL_PREFIX) ? toolByName(name.slice(LM_TOOL_PREFIX.length)) : undefined;
}

/** The package.json contributes.languageModelTools entries these definitions make (a test holds package.json equal to this). */
export function languageModelToolContributions(): Array<Record<string, unknown>> {
  return TOOLS.map((t) => ({
    name: LM_TOOL_PREFIX + t.name,
    displayName: t.title,
    toolReferenceName: LM_TOOL_PREFIX + t.name,
    modelDescription: t.description,
    userDescription: t.title,
    canBeReferencedInPrompt: true,
    icon: '$(beaker)',
    tags: [TOOL_SET_REFERENCE, ...(t.permission === 'read' ? ['read'] : [t.permission])],
    inputSchema: t.inputSchema,
  }));
}

// ------------------------------------------------------------ runtime request

export interface ToolCallParams {
  /** A catalogue name (list_runs), not the VS Code name. */
  name: string;
  arguments: Record<string, unknown>;
}

/** A tool's result, or its error (cause and fix) as a value: a refused call is an answer, not a failed request. */
export type ToolCallResult = { ok: true; result: Record<string, unknown> } | { ok: false; error: string };

/** The extension's language-model tools run the catalogue's handlers in the runtime through this request. */
export namespace ToolCallRequest {
  export const method = 'tunestudio/tools/call' as const;
  export const type = new RequestType<ToolCallParams, ToolCallResult, void>(method);
}
