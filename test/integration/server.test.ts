// The team server as a real process on the loopback (bin/tunestudio.js
// server, built runtime): tokens and roles on every route of the route
// table, the API as a face over the tracking services (status, config,
// metrics with NaN, alerts with data, watchers, stop, history, best, compare,
// summary), replays applied once, limits with 413/422, the OpenAPI document
// from the same schemas, server-sent events, and the non-loopback refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { API_LIMITS, API_PREFIX, API_ROUTES, type ApiRole } from '../../src/protocol/api';
import { RemoteClient, RemoteError, runPath } from '../../src/runtime/remote/client';
import { cli } from '../helpers/cli';
import { raw, startServer } from '../helpers/teamServer';
import { tmpDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait';

/** A body that passes each route's schema (so the role check, not the schema, decides). */
function sampleBody(name: string): unknown {
  switch (name) {
    case 'createRun': return { project: 'walk' };
    case 'setConfig': return { config: { a: 1 } };
    case 'finishRun': return { status: 'finished' };
    case 'logMetrics': return { points: [{ metrics: { x: 1 } }] };
    case 'raiseAlert': return { title: 't' };
    case 'addWatcher': return { metric: 'x', options: { nan: true } };
    case 'requestStop': return { reason: 'r' };
    case 'acknowledgeAlerts': case 'clearAlerts': return { ids: [] };
    default: return undefined;
  }
}

test('every route of the table: no token or a wrong token → 401; a role below the route → 403; the right role passes auth', async (t) => {
  const dir = tmpDir(t);
  const s = await startServer(t, dir);
  const api = new RemoteClient({ url: s.url, token: s.tokens.write });
  const run = await api.call<{ id: string }>('POST', '/runs', { body: { project: 'walk', name: 'r1' } });
  // The table's own rule: only GET reads; anything that changes state needs write or admin.
  for (const r of API_ROUTES) assert.ok(r.method === 'GET' ? r.role === 'read' : r.role !== 'read', `${r.method} ${r.path} has role ${r.role}`);
  const below: Record<ApiRole, ApiRole[]> = { read: [], write: ['read'], admin: ['read', 'write'] };
  let checked = 0;
  for (const r of API_ROUTES) {
    const url = s.url + API_PREFIX + r.path.replace('{run}', run.id) + (r.name === 'history' || r.name === 'best' ? '?metric=x' : r.name === 'compare' ? `?run=${run.id}` : '');
    const body = sampleBody(r.name);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const what = `${r.method} ${r.path}`;
    assert.equal((await raw(url, r.method, { body: text })).status, 401, `${what} without a token`);
    assert.equal((await raw(url, r.method, { token: 'tst_' + 'A'.repeat(43), body: text })).status, 401, `${what} with an unknown token`);
    assert.equal((await raw(url, r.method, { auth: `Basic ${s.tokens.admin}`, body: text })).status, 401, `${what} with the token not as Bearer`);
    for (const role of below[r.role]) {
      const got = await raw(url, r.method, { token: s.tokens[role], body: text });
      assert.equal(got.status, 403, `${what} with a ${role} token`);
      assert.match(got.body.error!, new RegExp(`needs '${r.role}'`));
    }
    if (r.stream) continue;
    const ok = await raw(url, r.method, { token: s.tokens[r.role], body: text });
    assert.ok(ok.status !== 401 && ok.status !== 403, `${what} with a ${r.role} token passes auth (got ${ok.status}: ${ok.body.error})`);
    checked++;
  }
  assert.equal(checked, API_ROUTES.filter((r) => !r.stream).length);
  // An unknown path is 401 without a token (nothing is told to a stranger), 404 with one.
  assert.equal((await raw(s.url + API_PREFIX + '/nope', 'GET')).status, 401);
  assert.equal((await raw(s.url + API_PREFIX + '/nope', 'GET', { token: s.tokens.read })).status, 404);
  // A revoked token is refused from the next request on, without a restart.
  assert.equal(cli(['server', 'token', 'revoke', 'reader', '--store', `sqlite:${dir}`], { dir }).code, 0);
  assert.equal((await raw(s.url + API_PREFIX + '/projects', 'GET', { token: s.tokens.read })).status, 401);
});

test('the API is the tracking services over HTTP: status, config, NaN points, alert data whole, watchers, stop, history, best, compare, summary; who wrote the run', async (t) => {
  const dir = tmpDir(t);
  const s = await startServer(t, dir);
  const w = new RemoteClient({ url: s.url, token: s.tokens.write });
  const r = new RemoteClient({ url: s.url, token: s.tokens.read });
  const a = await w.call<{ id: string; name: string; project: string }>('POST', '/runs', { body: { project: 'team', name: 'alpha', config: { lr: 0.001 } } });
  const b = await w.call<{ id: string }>('POST', '/runs', { body: { project: 'team', name: 'beta', config: { lr: 0.01 } } });
  await w.call('PATCH', runPath(a.id, '/config'), { body: { config: { batch: 8 } } });
  await w.call('POST', runPath(a.id, '/watchers'), { body: { metric: 'loss', options: { max_value: 100 } } });
  const points = Array.from({ length: 50 }, (_, i) => ({ step: i, metrics: { loss: i === 20 ? 'NaN' : 10 - i * 0.1, acc: i / 50 } }));
  const logged = await w.call<{ accepted: number }>('POST', runPath(a.id, '/metrics'), { body: { points } });
  assert.equal(logged.accepted, 100);
  await w.call('POST', runPath(b.id, '/metrics'), { body: { points: [{ step: 0, metrics: { loss: 3 } }, { step: 1, metrics: { loss: 2 } }] } });
  // B2: alert data arrives whole, nested, NaN kept as the store keeps it.
  const data = { grad_norm: 'NaN', layers: [{ name: 'q"proj', value: 'Infinity' }], note: 'ünïcode ../x' };
  await w.call('POST', runPath(a.id, '/alerts'), { body: { title: 'grad blew up', level: 'error', metric: 'loss', step: 20, data } });
  const alerts = await r.call<Array<{ title: string; data: unknown; run_id: string }>>('GET', '/alerts', { query: { run: a.id } });
  const mine = alerts.find((x) => x.title === 'grad blew up');
  assert.ok(mine, JSON.stringify(alerts));
  assert.deepEqual(mine.data, data);
  // B1: the status is written to the server's store.
  const fin = await w.call<{ status: string }>('POST', runPath(a.id, '/status'), { body: { status: 'finished', exit_code: 0 } });
  assert.equal(fin.status, 'finished');
  await w.call('POST', runPath(b.id, '/stop'), { body: { reason: 'enough' } });
  assert.deepEqual((await r.call<{ stop: unknown }>('GET', runPath(b.id, '/stop'))).stop, { source: 'user:writer', reason: 'enough' });
  await w.call('POST', runPath(b.id, '/status'), { body: { status: 'stopped' } });
  const shown = await r.call<{ status: string; config: Record<string, unknown>; written_by: string; summary: Record<string, { count: number; nan_count: number }>; watchers: unknown[] }>('GET', runPath('alpha'), { query: { project: 'team' } });
  assert.equal(shown.status, 'finished');
  assert.deepEqual(shown.config, { lr: 0.001, batch: 8 });
  assert.equal(shown.written_by, 'writer');
  assert.equal(shown.summary.loss.count, 50);
  assert.equal(shown.summary.loss.nan_count, 1);
  assert.equal(shown.watchers.length, 1);
  const h = await r.call<{ total: number; steps: number[]; downsampled: boolean }>('GET', runPath(a.id, '/history'), { query: { metric: 'loss', max_points: 10 } });
  assert.equal(h.total, 50);
  assert.ok(h.downsampled && h.steps.length <= 10, JSON.stringify(h));
  const best = await r.call<{ run: { id: string } } | null>('GET', '/best', { query: { metric: 'loss', project: 'team' } });
  assert.equal(best?.run.id, b.id, JSON.stringify(best));
  const cmp = await r.call<{ config_diff?: unknown; alerts: Record<string, number> }>('GET', '/compare', { query: { run: [a.id, b.id] } });
  assert.equal(cmp.alerts[a.id], alerts.length, 'the raised alert and the default nan watcher\'s');
  assert.ok(alerts.some((x) => /nan/i.test(x.title)), JSON.stringify(alerts.map((x) => x.title)));
  const sum = await r.call<unknown>('GET', '/summary', { query: { project: 'team' } });
  assert.ok(sum);
  assert.deepEqual(await r.call('GET', '/projects'), ['team']);
  const runs = await r.call<Array<{ name: string }>>('GET', '/runs', { query: { project: 'team' } });
  assert.deepEqual(runs.map((x) => x.name).sort(), ['alpha', 'beta']);
  // The services' rules and errors, not the server's: stopping a finished run, an unknown metric.
  await assert.rejects(w.call('POST', runPath(a.id, '/stop'), { body: { reason: 'x' } }), (e: RemoteError) => e.status === 409 && /not running/.test(e.message));
  await assert.rejects(r.call('GET', runPath(a.id, '/history'), { query: { metric: 'nope' } }), (e: RemoteError) => e.status === 404 && /loss/.test(e.message));
  await assert.rejects(r.call('GET', '/runs', { query: { project: 'nope' } }), (e: RemoteError) => e.status === 404 && /team/.test(e.message));
  // Delete needs admin; a running run is refused by the service.
  const c = await w.call<{ id: string }>('POST', '/runs', { body: { project: 'team', name: 'gamma' } });
  const admin = new RemoteClient({ url: s.url, token: s.tokens.admin });
  await assert.rejects(admin.call('DELETE', runPath(c.id)), (e: RemoteError) => e.status === 409 && /still running/.test(e.message));
  await admin.call('DELETE', runPath(b.id));
  await assert.rejects(r.call('GET', runPath(b.id)), (e: RemoteError) => e.status === 404);
});

test('a batch replayed with the same (client, seq) is applied once; limits answer 413/422 naming the limit; schema errors name the field', async (t) => {
  const dir = tmpDir(t);
  const s = await startServer(t, dir);
  const w = new RemoteClient({ url: s.url, token: s.tokens.write });
  const run = await w.call<{ id: string }>('POST', '/runs', { body: { project: 'p' } });
  const batch = (seq: number) => ({ client: 'host-1:abc', seq, points: [{ step: seq, metrics: { loss: seq } }] });
  assert.equal((await w.call<{ applied: boolean }>('POST', runPath(run.id, '/metrics'), { body: batch(1) })).applied, true);
  const again = await w.call<{ applied: boolean; duplicate: boolean; watermark: number }>('POST', runPath(run.id, '/metrics'), { body: batch(1) });
  assert.deepEqual([again.applied, again.duplicate, again.watermark], [false, true, 1]);
  await w.call('POST', runPath(run.id, '/metrics'), { body: batch(2) });
  await w.call('POST', runPath(run.id, '/metrics'), { body: batch(2) });
  await w.call('POST', runPath(run.id, '/metrics'), { body: batch(1) });
  const shown = await w.call<{ summary: Record<string, { count: number }> }>('GET', runPath(run.id));
  assert.equal(shown.summary.loss.count, 2);

  const big = 'x'.repeat(API_LIMITS.maxBodyBytes + 10);
  const tooBig = await raw(s.url + API_PREFIX + runPath(run.id, '/metrics'), 'POST', { token: s.tokens.write, body: big });
  assert.equal(tooBig.status, 413);
  assert.match(tooBig.body.error!, new RegExp(`${API_LIMITS.maxBodyBytes} bytes`));
  const many = { points: [{ step: 0, metrics: Object.fromEntries(Array.from({ length: API_LIMITS.maxBatchPoints + 1 }, (_, i) => [`m${i}`, 1])) }] };
  await assert.rejects(w.call('POST', runPath(run.id, '/metrics'), { body: many }), (e: RemoteError) => e.status === 422 && new RegExp(`limit is ${API_LIMITS.maxBatchPoints}`).test(e.message));
  await assert.rejects(w.call('POST', runPath(run.id, '/metrics'), { body: { points: [{ metrics: { loss: 'high' } }] } }), (e: RemoteError) => e.status === 422 && /metrics\/loss/.test(e.message));
  await assert.rejects(w.call('POST', '/runs', { body: { project: 'p', colour: 'red' } }), (e: RemoteError) => e.status === 422 && /colour/.test(e.message));
  const notJson = await raw(s.url + API_PREFIX + '/runs', 'POST', { token: s.tokens.write, body: '{"project": ' });
  assert.equal(notJson.status, 400);
  // Nothing of the refused batches landed.
  assert.equal((await w.call<{ summary: Record<string, { count: number }> }>('GET', runPath(run.id))).summary.loss.count, 2);
});

test('names with quotes, ../, slashes, unicode round-trip; a 10 kB name is refused with the rule, not stored cut', async (t) => {
  const dir = tmpDir(t);
  const s = await startServer(t, dir);
  const w = new RemoteClient({ url: s.url, token: s.tokens.write });
  for (const name of [`it's "quoted"`, '../../etc/passwd', 'a/b/c', 'ünïcødé 🚀 名前', '%2e%2e', 'x?y#z&w=1']) {
    const run = await w.call<{ id: string; name: string }>('POST', '/runs', { body: { project: `proj ${name}`, name } });
    assert.equal(run.name, name);
    const byName = await w.call<{ id: string; name: string; project: string }>('GET', runPath(name), { query: { project: `proj ${name}` } });
    assert.deepEqual([byName.id, byName.name, byName.project], [run.id, name, `proj ${name}`]);
    await w.call('POST', runPath(name, '/metrics'), { body: { points: [{ step: 0, metrics: { [`m ${name}`]: 1 } }] } });
    const h = await w.call<{ total: number }>('GET', runPath(run.id, '/history'), { query: { metric: `m ${name}` } });
    assert.equal(h.total, 1);
  }
  await assert.rejects(w.call('POST', '/runs', { body: { name: 'n'.repeat(10_000) } }), (e: RemoteError) => e.status === 422 && /longer than 200/.test(e.message));
  const cfg = { ['k'.repeat(10_000)]: 'v'.repeat(10_000) };
  const run = await w.call<{ id: string }>('POST', '/runs', { body: { config: cfg } });
  assert.deepEqual((await w.call<{ config: unknown }>('GET', runPath(run.id))).config, cfg);
});

test('the OpenAPI document is generated from the schemas that validate, and lists every route with its role', async (t) => {
  const dir = tmpDir(t);
  const s = await startServer(t, dir);
  const doc = await new RemoteClient({ url: s.url, token: s.tokens.read }).call<{ openapi: string; paths: Record<string, Record<string, { 'x-role': string; requestBody?: { content: { 'application/json': { schema: unknown } } } }>> }>('GET', '/openapi.json');
  assert.equal(doc.openapi, '3.1.0');
  for (const r of API_ROUTES) {
    const op = doc.paths[API_PREFIX + r.path]?.[r.method.toLowerCase()];
    assert.ok(op, `${r.method} ${r.path} is in the document`);
    assert.equal(op['x-role'], r.role);
    assert.deepEqual(op.requestBody?.content['application/json'].schema, r.body);
  }
});

test('server-sent events carry committed points and run changes', async (t) => {
  const dir = tmpDir(t);
  const s = await startServer(t, dir);
  const w = new RemoteClient({ url: s.url, token: s.tokens.write });
  let text = '';
  const req = http.get(s.url + API_PREFIX + '/events', { headers: { authorization: `Bearer ${s.tokens.read}` } });
  const res = await new Promise<http.IncomingMessage>((r) => req.on('response', r));
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /text\/event-stream/);
  res.setEncoding('utf8');
  res.on('data', (d: string) => (text += d));
  t.after(() => req.destroy());
  await waitFor(() => text.includes(': tunestudio events'), 'the stream to open');
  const run = await w.call<{ id: string }>('POST', '/runs', { body: { project: 'live' } });
  await w.call('POST', runPath(run.id, '/metrics'), { body: { points: [{ step: 0, metrics: { loss: 1, acc: 0.5 } }] } });
  await waitFor(() => text.includes('event: points'), `a points event (got ${text})`);
  const ev = text.split('\n\n').find((e) => e.startsWith('event: points'))!;
  const data = JSON.parse(ev.split('\ndata: ')[1]) as { runs: string[]; points: number };
  assert.deepEqual(data, { ...data, runs: [run.id], points: 2 });
  assert.ok(text.includes(`event: run\ndata: {"id":"${run.id}","status":"running"}`), text);
});

test('a non-loopback bind refuses to start without TLS or --insecure-behind-proxy; no token means every request is refused', async (t) => {
  const dir = tmpDir(t);
  const r = cli(['server', '--store', `sqlite:${dir}`, '--bind', '0.0.0.0:0'], { dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /refusing to serve plain HTTP on 0\.0\.0\.0.*--tls-cert FILE --tls-key FILE.*--insecure-behind-proxy/);
  const pg = cli(['server', '--store', 'postgresql://localhost/x'], { dir });
  assert.equal(pg.code, 2);
  assert.match(pg.stderr, /only the SQLite backend/);
  const dup = cli(['server', 'token', 'create', 'same', '--role', 'read', '--store', `sqlite:${dir}`], { dir });
  assert.equal(dup.code, 0);
  const again = cli(['server', 'token', 'create', 'same', '--role', 'read', '--store', `sqlite:${dir}`], { dir });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists/);
  // Only the hash is stored.
  const list = cli(['server', 'token', 'list', '--json', '--store', `sqlite:${dir}`], { dir });
  assert.ok(!list.stdout.includes(dup.stdout.trim()));
  assert.ok(path.isAbsolute(dir));
});
