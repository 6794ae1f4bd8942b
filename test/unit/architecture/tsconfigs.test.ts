// The per-target tsconfigs make a wrong import a compile error: the protocol
// has neither DOM nor node types; the runtime, CLI and SDK have node but no
// DOM; webviews have the DOM but no node; only the extension resolves
// `vscode`, and the extension resolves no native module. Each probe is compiled with the target's real compiler options
// (tsconfig.<target>.json), from a temporary folder inside the checkout's
// .cache/ (so packages resolve from node_modules), beside a probe that must
// compile, so each rule is shown to hold and to be able to fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { ROOT } from '../../helpers/runtime';

function optionsOf(target: string): ts.CompilerOptions {
  const file = path.join(ROOT, `tsconfig.${target}.json`);
  const parsed = ts.getParsedCommandLineOfConfigFile(file, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')) });
  assert.ok(parsed, file);
  assert.deepEqual(parsed.errors, [], `${file} parses`);
  // The probes only: the target's own files are type-checked by `npm run typecheck`.
  return { ...parsed.options, incremental: false, tsBuildInfoFile: undefined };
}

/** The compile errors of one probe file under a target's options (with the target's lib and types). */
function errorsOf(dir: string, target: string, name: string, source: string): string[] {
  const file = path.join(dir, `${target}-${name}.ts`);
  fs.writeFileSync(file, source);
  const program = ts.createProgram([file], optionsOf(target));
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}

const CASES: Array<{ target: string; ok: string; bad: Array<[what: string, source: string, message: RegExp]> }> = [
  {
    target: 'protocol',
    ok: `import { RequestType } from 'vscode-jsonrpc';\nexport const t = new RequestType<string, number, void>('x');\nexport const n: number = Math.max(1, 2);`,
    bad: [
      ['node:fs', `import * as fs from 'node:fs';\nexport const f = fs;`, /Cannot find module 'node:fs'/],
      ['process', `export const e = process.env;`, /Cannot find name 'process'/],
      ['the DOM', `export const d = document.title;`, /Cannot find name 'document'/],
      ['vscode', `import type * as vscode from 'vscode';\nexport type W = typeof vscode.window;`, /vscode-only-in-src-extension\.d\.ts' is not a module/],
    ],
  },
  {
    target: 'runtime',
    ok: `import * as fs from 'node:fs';\nexport const e = process.env.HOME ?? fs.realpathSync('.');`,
    bad: [
      ['the DOM', `export const d = document.title;`, /Cannot find name 'document'/],
      ['window', `export const w = window.location;`, /Cannot find name 'window'/],
      ['vscode', `import * as vscode from 'vscode';\nexport const w = vscode.window;`, /vscode-only-in-src-extension\.d\.ts' is not a module/],
    ],
  },
  {
    target: 'extension',
    ok: `import * as vscode from 'vscode';\nimport * as path from 'node:path';\nexport const w: typeof vscode.window = vscode.window;\nexport const j = path.join;`,
    bad: [
      ['the DOM', `export const d = document.title;`, /Cannot find name 'document'/],
      ['better-sqlite3', `import type Database from 'better-sqlite3';\nexport type D = Database.Database;`, /native-modules-only-in-the-runtime\.d\.ts' is not a module/],
      ['tfjs-node', `import * as tf from '@tensorflow/tfjs-node';\nexport const t = tf;`, /native-modules-only-in-the-runtime\.d\.ts' is not a module/],
    ],
  },
  {
    target: 'webviews',
    ok: `export const d: string = document.title;\nexport const els = [...document.querySelectorAll('div')];`,
    bad: [
      ['node:fs', `import * as fs from 'node:fs';\nexport const f = fs;`, /Cannot find module 'node:fs'/],
      ['process', `export const e = process.env;`, /Cannot find name 'process'/],
      ['vscode', `import * as vscode from 'vscode';\nexport const w = vscode.window;`, /vscode-only-in-src-extension\.d\.ts' is not a module/],
    ],
  },
];

for (const c of CASES) {
  test(`tsconfig.${c.target}.json: ${c.bad.map(([w]) => w).join(', ')} ${c.bad.length === 1 ? 'is a compile error' : 'are compile errors'}`, (t) => {
    fs.mkdirSync(path.join(ROOT, '.cache'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(ROOT, '.cache', 'tsprobe-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    assert.deepEqual(errorsOf(dir, c.target, 'ok', c.ok), [], 'what the target may use compiles');
    for (const [what, source, message] of c.bad) {
      const errors = errorsOf(dir, c.target, what.replace(/\W+/g, '-'), source);
      assert.ok(errors.some((e) => message.test(e)), `${what} in ${c.target}: expected ${message}, got ${JSON.stringify(errors)}`);
    }
  });
}

test('npm run typecheck checks every target tsconfig and the one for tests, bench and scripts', () => {
  const testScript = fs.readFileSync(path.join(ROOT, 'scripts', 'test.mjs'), 'utf8');
  for (const target of ['protocol', 'runtime', 'extension', 'webviews']) {
    assert.ok(fs.existsSync(path.join(ROOT, `tsconfig.${target}.json`)), target);
    assert.ok(testScript.includes(`'tsconfig.${target}.json'`), `scripts/test.mjs type-checks tsconfig.${target}.json`);
  }
  assert.ok(testScript.includes(`'tsconfig.json'`));
});
