// The process boundaries and layers of DESIGN.md, checked on the sources
// (value and type imports alike): only src/extension/ imports `vscode`;
// nothing the extension host loads (followed through every relative import
// from src/extension/) reaches a native module or the runtime's code; the
// protocol imports nothing of the other layers; the runtime, CLI and SDK, the
// extension and the webviews meet only in the protocol; webviews and the
// protocol import no node built-in; no two files import each other, even
// through others. The extension-host suite checks the process boundary at run
// time; this one names the file and the import that broke it. The per-target
// tsconfigs make the same mistakes compile errors (tsconfigs.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { ROOT } from '../../helpers/runtime';

const SRC = path.join(ROOT, 'src');
/** Packages with native code, or that load some, which must stay out of the extension host. */
const NATIVE = ['better-sqlite3', 'onnxruntime-node', '@huggingface/transformers', '@tensorflow/', 'sharp'];

/**
 * Every module specifier a TypeScript file imports, requires or dynamically imports. Type-only
 * imports (`import type …`, `export type … from`) count only with `types: true`: they load
 * nothing at run time but are dependencies all the same.
 */
export function importsOf(source: string, o: { types?: boolean } = {}): string[] {
  const out: string[] = [];
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) if (!m[2] || o.types) out.push(m[3]);
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

type Layer = 'protocol' | 'runtime' | 'cli' | 'sdk' | 'api' | 'mcp' | 'server' | 'extension' | 'webviews';
const LAYERS: Layer[] = ['protocol', 'runtime', 'cli', 'sdk', 'api', 'mcp', 'server', 'extension', 'webviews'];

/**
 * Which layers' files a layer may import (relative imports). Everything meets in the protocol;
 * the CLI and the SDK are faces of the runtime's services in-process; the extension and the
 * webviews reach the runtime only through messages.
 */
const MAY_IMPORT: Record<Layer, Layer[]> = {
  protocol: ['protocol'],
  runtime: ['protocol', 'runtime'],
  // The CLI starts the MCP server (`tunestudio mcp`) and the team server (`tunestudio server`).
  cli: ['protocol', 'runtime', 'cli', 'mcp', 'server'],
  sdk: ['protocol', 'runtime', 'sdk'],
  // The other faces over the same services: the Node read API, the MCP transport, the HTTP server.
  api: ['protocol', 'runtime', 'api'],
  mcp: ['protocol', 'runtime', 'mcp'],
  server: ['protocol', 'runtime', 'server'],
  extension: ['protocol', 'extension'],
  webviews: ['protocol', 'webviews'],
};
/** Packages a layer may import; undefined: any package (the other rules still apply). */
const PACKAGES: Partial<Record<Layer, string[]>> = {
  protocol: ['vscode-jsonrpc'],
};
/** Layers that run in a browser or on every side: no node built-in. */
const NO_NODE: Layer[] = ['protocol', 'webviews'];
const BUILTINS = new Set(builtinModules);

function layerOf(file: string): Layer | undefined {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 && (LAYERS as string[]).includes(rel[0]) ? (rel[0] as Layer) : undefined;
}

function packageOf(spec: string): string {
  return spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
}

/** Imports (value and type) that break the layer rules: [file, import, why]. */
export function layerViolations(files: string[], read: (f: string) => string = (f) => fs.readFileSync(f, 'utf8')): Array<[string, string, string]> {
  const bad: Array<[string, string, string]> = [];
  for (const f of files) {
    const layer = layerOf(f);
    if (!layer) continue;
    const rel = path.relative(ROOT, f);
    for (const spec of importsOf(read(f), { types: true })) {
      if (spec.startsWith('.')) {
        const target = layerOf(path.resolve(path.dirname(f), spec));
        if (target && !MAY_IMPORT[layer].includes(target)) bad.push([rel, spec, `${layer} may import only ${MAY_IMPORT[layer].join(', ')}`]);
        continue;
      }
      if (spec === 'vscode' && layer !== 'extension') bad.push([rel, spec, 'only src/extension/ has the editor API']);
      else if (NO_NODE.includes(layer) && (spec.startsWith('node:') || BUILTINS.has(packageOf(spec)))) bad.push([rel, spec, `${layer} runs where node is not: no node built-ins`]);
      else if (PACKAGES[layer] && spec !== 'vscode' && !PACKAGES[layer]!.includes(packageOf(spec))) bad.push([rel, spec, `${layer} may import only the packages ${PACKAGES[layer]!.join(', ')}`]);
    }
  }
  return bad;
}

/** Import cycles among `files` (value and type imports), each as the files on it. */
export function importCycles(files: string[], read: (f: string) => string = (f) => fs.readFileSync(f, 'utf8'), exists: (f: string) => string | undefined = (f) => resolveFile(f)): string[][] {
  const known = new Set(files);
  const edges = new Map<string, string[]>();
  for (const f of files) {
    const to: string[] = [];
    for (const spec of importsOf(read(f), { types: true })) {
      if (!spec.startsWith('.')) continue;
      const r = exists(path.resolve(path.dirname(f), spec));
      if (r && known.has(r)) to.push(r);
    }
    edges.set(f, to);
  }
  // Tarjan's strongly connected components; a component of two or more files is a cycle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (edges.get(v) ?? []).includes(v)) out.push(comp.map((c) => path.relative(ROOT, c)).sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return out;
}

function resolveFile(base: string): string | undefined {
  for (const c of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  return undefined;
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

test('the layers meet only in the protocol (value and type imports)', () => {
  const files = tsFiles(SRC);
  assert.ok(files.length > 100, 'the sources are found');
  assert.deepEqual(layerViolations(files), [], 'put shared shapes and pure helpers in src/protocol/ and import them from there');
});

test('no import cycle among the sources (value and type imports)', () => {
  assert.deepEqual(importCycles(tsFiles(SRC)), [], 'break the cycle: move what both files need into a third one (for command modules: src/extension/ctx.ts)');
});

test('the layer check finds every kind of bad import, type-only ones included', () => {
  const f = (rel: string) => path.join(SRC, ...rel.split('/'));
  const files: Record<string, string> = {
    [f('protocol/a.ts')]: `import type { Run } from '../runtime/tracking/types';\nimport * as fs from 'node:fs';\nimport { x } from 'chart.js';\nimport { RequestType } from 'vscode-jsonrpc';\nimport { y } from './b';`,
    [f('runtime/a.ts')]: `import type { Panel } from '../extension/panels/p';\nimport * as vscode from 'vscode';\nimport { h } from '../webviews/shared/host';\nimport { Run } from '../protocol/tracking';\nimport * as fs from 'node:fs';`,
    [f('extension/a.ts')]: `import { Tracker } from '../runtime/tracking/tracker';\nimport type { Cell } from '../webviews/shared/format';\nimport { Run } from '../protocol/tracking';\nimport * as vscode from 'vscode';`,
    [f('webviews/a.ts')]: `import type { Alert } from '../runtime/tracking/types';\nimport * as path from 'path';\nimport type * as vscode from 'vscode';\nimport { Chart } from 'chart.js';`,
    [f('cli/a.ts')]: `import { Queries } from '../runtime/tracking/queries';\nimport { activate } from '../extension/extension';`,
    [f('sdk/a.ts')]: `import { Tracker } from '../runtime/tracking/tracker';\nimport { main } from '../cli/main';`,
  };
  const got = layerViolations(Object.keys(files), (x) => files[x]).map(([file, spec]) => `${file} → ${spec}`);
  assert.deepEqual(got, [
    'src/protocol/a.ts → ../runtime/tracking/types',
    'src/protocol/a.ts → node:fs',
    'src/protocol/a.ts → chart.js',
    'src/runtime/a.ts → ../extension/panels/p',
    'src/runtime/a.ts → vscode',
    'src/runtime/a.ts → ../webviews/shared/host',
    'src/extension/a.ts → ../runtime/tracking/tracker',
    'src/extension/a.ts → ../webviews/shared/format',
    'src/webviews/a.ts → ../runtime/tracking/types',
    'src/webviews/a.ts → path',
    'src/webviews/a.ts → vscode',
    'src/cli/a.ts → ../extension/extension',
    'src/sdk/a.ts → ../cli/main',
  ]);
});

test('the cycle check finds cycles through type-only imports and longer rings', () => {
  const f = (rel: string) => path.join(SRC, ...rel.split('/'));
  const files: Record<string, string> = {
    [f('extension/commands/runs.ts')]: `import { openAlert } from './alerts';`,
    [f('extension/commands/alerts.ts')]: `import type { Ui } from './runs';`,
    [f('runtime/a.ts')]: `import { b } from './b';`,
    [f('runtime/b.ts')]: `import { c } from './c';`,
    [f('runtime/c.ts')]: `export type { A } from './a';`,
    [f('runtime/d.ts')]: `import { a } from './a';`,
  };
  const cycles = importCycles(Object.keys(files), (x) => files[x], (x) => (files[`${x}.ts`] !== undefined ? `${x}.ts` : undefined));
  assert.deepEqual(cycles.sort(), [
    ['src/extension/commands/alerts.ts', 'src/extension/commands/runs.ts'],
    ['src/runtime/a.ts', 'src/runtime/b.ts', 'src/runtime/c.ts'],
  ]);
});
