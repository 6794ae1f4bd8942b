// A team server (tunestudio server) as a real process on the loopback for
// the integration tests: its own store folder, a free port, three tokens
// (read, write, admin) made with the real CLI, stopped when the test ends.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ApiRole } from '../../src/protocol/api';
import { cli, CLI } from './cli';
import { waitFor } from './wait';

export interface Server {
  url: string;
  proc: ChildProcess;
  tokens: Record<ApiRole, string>;
  err: () => string;
}

export function makeToken(dir: string, name: string, role: ApiRole): string {
  // TUNESTUDIO_DIR points elsewhere: the token must land in the store --store names.
  const r = cli(['server', 'token', 'create', name, '--role', role, '--store', `sqlite:${dir}`], { dir, env: { TUNESTUDIO_DIR: path.join(dir, 'not-this-store') } });
  assert.equal(r.code, 0, r.stderr);
  const token = r.stdout.trim();
  assert.match(token, /^tst_[A-Za-z0-9_-]{43}$/);
  return token;
}

export async function startServer(t: { after(fn: () => void | Promise<void>): void }, dir: string, extra: string[] = []): Promise<Server> {
  const tokens = { read: makeToken(dir, 'reader', 'read'), write: makeToken(dir, 'writer', 'write'), admin: makeToken(dir, 'boss', 'admin') };
  const proc = spawn(process.execPath, [CLI, 'server', '--store', `sqlite:${dir}`, '--bind', '127.0.0.1:0', '--json', ...extra], { env: { ...process.env, TUNESTUDIO_DIR: dir } });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  t.after(async () => {
    proc.kill('SIGTERM');
    await exited;
  });
  const line = await waitFor(() => out.split('\n').find((l) => l.startsWith('{')), `the server's first line (stderr: ${err})`);
  return { url: (JSON.parse(line) as { url: string }).url, proc, tokens, err: () => err };
}

export async function raw(url: string, method: string, o: { token?: string; auth?: string; body?: string } = {}): Promise<{ status: number; body: { error?: string; code?: string } & Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (o.auth !== undefined) headers.authorization = o.auth;
  else if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: o.body });
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {} };
}

