// What the workspace's terminals get from Tune Studio (see terminalEnv.ts,
// which applies it through VS Code): pure data and one launcher file, with no
// VS Code import, so it is tested with a plain Node test runner.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TerminalEnvironment {
  prepend: Record<string, string>;
  replace: Record<string, string>;
  launcher: { file: string; content: string; mode: number };
}

/** What terminals get, from where things are. Pure: no VS Code, no files. */
export function terminalEnvironment(o: { extensionPath: string; nodePath: string; storeDir: string; binDir: string; platform?: NodeJS.Platform }): TerminalEnvironment {
  const win = (o.platform ?? process.platform) === 'win32';
  const cli = path.join(o.extensionPath, 'bin', 'tunestudio.js');
  const file = path.join(o.binDir, win ? 'tunestudio.cmd' : 'tunestudio');
  // The launcher only execs Node on the CLI with the user's arguments, quoted: no expansion of them.
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const content = win ? `@echo off\r\n"${o.nodePath}" "${cli}" %*\r\n` : `#!/bin/sh\nexec ${q(o.nodePath)} ${q(cli)} "$@"\n`;
  const sep = win ? ';' : ':';
  return {
    prepend: { PATH: o.binDir + sep, PYTHONPATH: path.join(o.extensionPath, 'python') + sep },
    replace: { TUNESTUDIO_DIR: o.storeDir, TUNESTUDIO_CLI: file, TUNESTUDIO_NODE: o.nodePath },
    launcher: { file, content, mode: 0o755 },
  };
}

/** Writes the `tunestudio` launcher (0755). */
export function writeLauncher(env: TerminalEnvironment): void {
  fs.mkdirSync(path.dirname(env.launcher.file), { recursive: true });
  fs.writeFileSync(env.launcher.file, env.launcher.content, { mode: env.launcher.mode });
  fs.chmodSync(env.launcher.file, env.launcher.mode);
}
