// Reading and writing a job's control channel (see src/protocol/control.ts):
// the supervisor side appends commands; the trainer side receives each new
// command once, from control.json or from stdin.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { writeFileAtomic } from '../os/fs';
import { isControlCommand, type ControlCommand, type ControlCommandName, type ControlFile } from '../../protocol/control';

export function readControlFile(file: string): ControlFile {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as ControlFile;
    if (parsed && Array.isArray(parsed.commands)) return { version: 1, commands: parsed.commands.filter(isControlCommand) };
  } catch {
    /* missing or half-written by a foreign tool: treat as empty */
  }
  return { version: 1, commands: [] };
}

/** Appends a command to control.json and returns it (with its seq). */
export function appendControlCommand(file: string, cmd: ControlCommandName, reason?: string): ControlCommand {
  const current = readControlFile(file);
  const seq = current.commands.reduce((m, c) => Math.max(m, c.seq), 0) + 1;
  const command: ControlCommand = { seq, cmd, at: new Date().toISOString(), ...(reason ? { reason } : {}) };
  current.commands.push(command);
  writeFileAtomic(file, JSON.stringify(current, null, 1));
  return command;
}

/**
 * Trainer side: calls `onCommand` once per new command, from the control file
 * (checked every `pollMs`, and on fs.watch events) and from stdin JSON lines.
 * Commands present when listening starts are treated as already seen, unless
 * `replay` is set.
 */
export function listenForControl(
  opts: { file?: string; stdin?: NodeJS.ReadableStream | null; pollMs?: number; replay?: boolean },
  onCommand: (c: ControlCommand) => void,
): { close(): void; lastSeq(): number } {
  let last = 0;
  const seen = new Set<number>();
  const deliver = (c: ControlCommand) => {
    if (seen.has(c.seq)) return;
    seen.add(c.seq);
    last = Math.max(last, c.seq);
    onCommand(c);
  };
  const check = () => {
    if (!opts.file) return;
    for (const c of readControlFile(opts.file).commands) if (c.seq > 0) deliver(c);
  };
  if (opts.file && !opts.replay) for (const c of readControlFile(opts.file).commands) seen.add(c.seq);
  const timers: Array<() => void> = [];
  if (opts.file) {
    const t = setInterval(check, opts.pollMs ?? 500);
    t.unref();
    timers.push(() => clearInterval(t));
    try {
      const w = fs.watch(path.dirname(opts.file), (_e, name) => {
        if (!name || name === path.basename(opts.file!)) check();
      });
      w.unref();
      timers.push(() => w.close());
    } catch {
      /* polling alone */
    }
  }
  if (opts.stdin) {
    const rl = readline.createInterface({ input: opts.stdin });
    rl.on('line', (line) => {
      try {
        const v = JSON.parse(line);
        if (isControlCommand(v)) deliver(v);
      } catch {
        /* not a control line */
      }
    });
    timers.push(() => rl.close());
  }
  return { close: () => timers.forEach((f) => f()), lastSeq: () => last };
}
