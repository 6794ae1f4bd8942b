// Types shared by the job supervisor and the metric parsers: what a parser
// emits for a line of trainer output, the parser interface, and the parser
// specs a job (or a *.tunejob.json file) names.
import type { JobParserSpec } from '../../protocol/jobs';
import type { ProtocolMessage } from '../../protocol/lines';

/**
 * One thing learned from a trainer's output.
 * - `metrics`: numbers by metric name (names may contain `/`). `step` undefined
 *   means "the parser could not tell": the supervisor auto-increments.
 *   `wallTime` is seconds since the Unix epoch (TensorBoard's unit), only set
 *   when the source carries one (tfevents); otherwise the receiver stamps it.
 *   Values may be NaN or ±Infinity: they are reported, never dropped.
 * - `protocol`: a well-formed `@tunestudio ` line, for the supervisor to apply.
 * - `progress`: a progress bar frame (`current` of `total`).
 * - `malformed`: a line meant for a parser that it could not read; counted and
 *   shown on the run, never fatal.
 * - `notice`: something skipped on purpose that the user should hear about
 *   (event files older than the job); shown on the run as an info alert.
 */
export type IngestEvent =
  | { type: 'metrics'; metrics: Record<string, number>; step?: number; wallTime?: number; source: string }
  | { type: 'protocol'; message: ProtocolMessage }
  | { type: 'progress'; current: number; total?: number; source: string }
  | { type: 'malformed'; line: string; error: string; source: string }
  | { type: 'notice'; text: string; source: string };

/**
 * Reads lines of trainer output. `final` is false for a progress-bar frame
 * (text ended by a lone `\r`) and true for a line ended by `\n`, `\r\n` or EOF.
 * Returns null when the line is not this parser's; an empty array when it is
 * but carries nothing new. Never throws. Parsers may keep state between lines
 * (the Hugging Face parser remembers the latest progress-bar step).
 */
export interface LineParser {
  readonly name: string;
  parse(line: string, final: boolean): IngestEvent[] | null;
  /** At the end of the output: what the parser still holds (dicts waiting for their step). */
  flush?(): IngestEvent[];
}

/** Names of the shipped regex presets. */
export type RegexPresetName = 'lightning' | 'ace-step';

/**
 * A user regex. `pattern` is a JavaScript regular expression with named
 * groups. `step` names the group holding the step. `metrics` maps metric names
 * (which may contain `/`, unlike group names) to group names; without it every
 * named group except the step becomes a metric named after the group.
 * `prefix` is prepended to metric names taken from group names.
 */
export interface RegexParserSpec {
  pattern: string;
  flags?: string;
  step?: string;
  metrics?: Record<string, string>;
  prefix?: string;
  /** Shown as the source of events and in problems; default "regex". */
  name?: string;
}

/**
 * A TensorBoard log folder to tail, relative to the job's cwd (or absolute
 * inside it). `prefix: "subfolder"` (default) puts each file's folder, relative
 * to `path`, before its tags, as TensorBoard names runs; `"none"` keeps the tags
 * as they are.
 */
export interface TfeventsParserSpec {
  path: string;
  prefix?: 'subfolder' | 'none';
}

/** One entry of a job's `parsers` list: the job spec's own type, generated from schemas/tunejob.schema.json. */
export type ParserSpec = JobParserSpec;

/**
 * A problem in a job's `parsers` list. `path` points into the spec
 * (`parsers[2].regex.pattern`) so it can become a diagnostic on the right
 * range of a *.tunejob.json file.
 */
export interface SpecProblem {
  path: string;
  message: string;
}
