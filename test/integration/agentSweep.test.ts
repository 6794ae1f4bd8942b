// The example agent (examples/agent-sweep/agent.mjs) end to end: it drives
// `tunestudio mcp` through the MCP SDK's client over stdio, with only the
// tools, against the seeded trainer (examples/agent-sweep/trainer.js, best
// lr 0.003, diverging to NaN at lr ≥ 0.1). Its claims are checked against the
// store through the CLI. Needs the build (node scripts/build.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { cliJson, ROOT } from '../helpers/cli';
import { tmpDir } from '../helpers/tmp';

const AGENT = path.join(ROOT, 'examples', 'agent-sweep', 'agent.mjs');
const STEPS = 60;

interface Trial { lr: number; job: string; run: string; status: string; reason: string | null; stoppedByAgent: boolean }

test('the example agent finds the known best lr; the diverging trial is stopped by its NaN watcher; every status is truthful; each alert read once', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const r = spawnSync(process.execPath, [AGENT, '--dir', store, '--json', '--steps', String(STEPS)], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `agent failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { best: { lr: number; run: string } | null; trials: Trial[]; alerts_read: number[] };
  assert.equal(out.best?.lr, 0.003, `best lr; agent said:\n${r.stderr}`);
  assert.match(r.stderr, /best: lr=0\.003/, 'the agent prints its reasoning');

  const diverging = out.trials.find((x) => x.lr === 0.3)!;
  assert.equal(diverging.status, 'stopped');
  assert.match(diverging.reason ?? '', /train\/loss is NaN/);
  assert.equal(diverging.stoppedByAgent, false, 'the watcher stopped it, not the agent');

  for (const trial of out.trials) {
    const shown = cliJson<{ status: string; exit_code: number | null; progress: { current: number } | null; stop_request: { source: string } | null }>(['show', trial.run], { dir: store });
    assert.equal(shown.status, trial.status, `lr=${trial.lr}: the agent reports the recorded status`);
    const ranAll = shown.progress?.current === STEPS;
    if (shown.status === 'finished') assert.ok(ranAll, `lr=${trial.lr} finished after all ${STEPS} steps`);
    else {
      assert.equal(shown.status, 'stopped', `lr=${trial.lr} ended finished or stopped, got ${shown.status}`);
      assert.ok(!ranAll && shown.stop_request, `lr=${trial.lr}: stopped early, on a stop request`);
      assert.equal(shown.stop_request!.source, trial.stoppedByAgent ? 'agent' : 'watcher');
    }
    assert.equal(shown.exit_code, 0, `lr=${trial.lr}: the trainer exited cleanly`);
  }

  const alerts = cliJson<Array<{ id: number; run_id: string; metric: string }>>(['alerts', '--project', 'agent-sweep'], { dir: store });
  assert.ok(alerts.some((a) => a.run_id === diverging.run && a.metric === 'train/loss'), 'the NaN alert is in the store');
  assert.deepEqual([...out.alerts_read].sort((a, b) => a - b), alerts.map((a) => a.id).sort((a, b) => a - b), 'every alert read, none missed');
  assert.equal(new Set(out.alerts_read).size, out.alerts_read.length, 'no alert read twice');
});
