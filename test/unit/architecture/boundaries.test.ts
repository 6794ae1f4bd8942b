// The process boundaries of DESIGN.md, checked on the sources: only
// src/extension/ imports `vscode`, and nothing the extension host loads
// (followed through every relative import from src/extension/) reaches a
// native module or the runtime's code. The extension-host suite checks the
// same at run time; this one names the file and the import that broke it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../../helpers/runtime';

const SRC = path.join(ROOT, 'src');
/** Packages with native code, or that load some, which must stay out of the extension host. */
const NATIVE = ['better-sqlite3', 'onnxruntime-node', '@huggingface/transformers', '@tensorflow/', 'sharp'];

/** Every module specifier a TypeScript file imports, requires or dynamically imports (type-only imports excluded). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) if (!m[2]) out.push(m[3]);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push(m[1]);
  for (const m of text.matchAll(/\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]);
  return out;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveRelative(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  return undefined;
}

/** What the extension host would load from `entries`: [file, bad import] pairs. */
export function hostViolations(entries: string[], read: (f: string) => string = (f) => fs.readFileSync(f, 'utf8')): Array<[string, string]> {
  const seen = new Set<string>();
  const bad: Array<[string, string]> = [];
  const queue = [...entries];
  while (queue.length) {
    const f = queue.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const spec of importsOf(read(f))) {
      if (spec.startsWith('.')) {
        const r = resolveRelative(f, spec);
        if (!r) continue;
        if (r.startsWith(path.join(SRC, 'runtime') + path.sep)) bad.push([path.relative(ROOT, f), spec]);
        else queue.push(r);
      } else if (NATIVE.some((n) => spec === n || spec.startsWith(n.endsWith('/') ? n : `${n}/`))) {
        bad.push([path.relative(ROOT, f), spec]);
      }
    }
  }
  return bad;
}

test('only src/extension/ imports vscode', () => {
  const offenders = tsFiles(SRC)
    .filter((f) => !f.startsWith(path.join(SRC, 'extension') + path.sep))
    .filter((f) => importsOf(fs.readFileSync(f, 'utf8')).includes('vscode'))
    .map((f) => path.relative(ROOT, f));
  assert.deepEqual(offenders, [], 'move editor code under src/extension/ and talk to it through src/protocol/');
});

test('nothing the extension host loads reaches a native module or the runtime', () => {
  const entries = tsFiles(path.join(SRC, 'extension'));
  assert.ok(entries.length > 10, 'the extension sources are found');
  assert.deepEqual(hostViolations(entries), [], 'the extension host must reach these only through the runtime process');
});

test('the checks find what they must: value imports, requires, dynamic imports, transitive runtime code', () => {
  assert.deepEqual(importsOf(`import * as vscode from 'vscode';\nimport type { X } from 'vscode';\nconst a = require("better-sqlite3");\nawait import('onnxruntime-node');\n// import 'commented';\nexport { y } from './y';`), [
    'vscode',
    './y',
    'better-sqlite3',
    'onnxruntime-node',
  ]);
  const ext = path.join(SRC, 'extension', 'fake.ts');
  const proto = path.join(SRC, 'protocol', 'tracking.ts');
  const files: Record<string, string> = {
    [ext]: `import { A } from '../protocol/tracking';`,
    [proto]: `import { Tracker } from '../runtime/tracking/tracker';\nimport Database from 'better-sqlite3';`,
  };
  assert.deepEqual(hostViolations([ext], (f) => files[f] ?? ''), [
    ['src/protocol/tracking.ts', '../runtime/tracking/tracker'],
    ['src/protocol/tracking.ts', 'better-sqlite3'],
  ]);
});
