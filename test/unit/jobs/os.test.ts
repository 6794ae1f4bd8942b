// The OS layer's file rules: one durable writeFileAtomic (O_EXCL temp file,
// data fsynced before the rename, nothing left behind on failure, a symlink
// at the target replaced rather than followed), used by every writer that
// needs it; and the one PATH lookup.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../../src/runtime/os/fs';
import { findOnPath } from '../../../src/runtime/os/path';
import { tmpDir } from '../../helpers/tmp';

const ROOT = path.resolve(__dirname, '..', '..', '..');

test('writeFileAtomic replaces the whole file, and a symlink at the target is replaced, not written through', (t) => {
  const dir = tmpDir(t);
  const target = path.join(dir, 'control.json');
  writeFileAtomic(target, 'old');
  writeFileAtomic(target, Buffer.from('new content'));
  assert.equal(fs.readFileSync(target, 'utf8'), 'new content');
  const elsewhere = path.join(dir, 'precious.txt');
  fs.writeFileSync(elsewhere, 'keep me');
  const link = path.join(dir, 'link.json');
  fs.symlinkSync(elsewhere, link);
  writeFileAtomic(link, 'written');
  assert.equal(fs.readFileSync(elsewhere, 'utf8'), 'keep me');
  assert.equal(fs.lstatSync(link).isSymbolicLink(), false);
  assert.equal(fs.readFileSync(link, 'utf8'), 'written');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['control.json', 'link.json', 'precious.txt']);
});

test('writeFileAtomic that cannot rename leaves the target as it was and no temporary file behind', (t) => {
  const dir = tmpDir(t);
  const target = path.join(dir, 'checkpoint');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'weights.bin'), 'w');
  assert.throws(() => writeFileAtomic(target, 'x'));
  assert.deepEqual(fs.readdirSync(dir), ['checkpoint']);
  assert.deepEqual(fs.readdirSync(target), ['weights.bin']);
});

test('writeFileAtomic is durable: a fresh O_EXCL temporary file, its data fsynced before the rename makes it the target', (t) => {
  const dir = tmpDir(t);
  const target = path.join(dir, 'trainer_state.json');
  const calls: string[] = [];
  // Spies on the real calls (they still run): the order is the durability rule, and nothing else can observe it.
  const spy = (name: 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'writeFileSync', describe: (args: unknown[]) => string) => {
    const real = fs[name] as (...a: unknown[]) => unknown;
    mock.method(fs, name, (...args: unknown[]) => {
      calls.push(describe(args));
      return real.apply(fs, args);
    });
  };
  spy('openSync', (a) => `open ${path.basename(String(a[0])) === 'trainer_state.json' ? 'target' : 'temp'} ${String(a[1])}`);
  spy('writeSync', () => 'write');
  spy('writeFileSync', () => 'writeFile');
  spy('fsyncSync', () => 'fsync');
  spy('closeSync', () => 'close');
  spy('renameSync', (a) => `rename → ${path.basename(String(a[1]))}`);
  t.after(() => mock.restoreAll());
  writeFileAtomic(target, '{"step": 3}');
  mock.restoreAll();
  assert.deepEqual(calls, ['open temp wx', 'write', 'fsync', 'close', 'rename → trainer_state.json']);
  assert.equal(fs.readFileSync(target, 'utf8'), '{"step": 3}');
});

test('one writeFileAtomic: checkpoints, control files, the launcher and datasets all use the OS layer\'s', () => {
  const src = path.join(ROOT, 'src');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) files.push(p);
    }
  };
  walk(src);
  const defines = files.filter((f) => /function writeFileAtomic\b/.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(ROOT, f));
  assert.deepEqual(defines, [path.join('src', 'runtime', 'os', 'fs.ts')]);
  for (const f of ['training/train.ts', 'training/peft.ts', 'training/trainerMain.ts', 'jobs/control.ts', 'jobs/launcher.ts', 'datasets/service.ts']) {
    assert.match(fs.readFileSync(path.join(src, 'runtime', f), 'utf8'), /import \{[^}]*\bwriteFileAtomic\b[^}]*\} from '\.\.\/os\/fs'/, f);
  }
});

test('findOnPath finds an executable file, skips a non-executable one and folders, and never runs a shell', (t) => {
  const dir = tmpDir(t);
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  fs.writeFileSync(path.join(a, 'tool'), 'not executable', { mode: 0o644 });
  fs.mkdirSync(path.join(a, 'sub'));
  fs.writeFileSync(path.join(b, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
  const envPath = [a, '', b].join(path.delimiter);
  assert.equal(findOnPath('tool', envPath), path.join(b, 'tool'));
  assert.equal(findOnPath('sub', envPath), null);
  assert.equal(findOnPath('$(touch pwned)', envPath), null);
  assert.equal(fs.existsSync(path.join(dir, 'pwned')), false);
});
