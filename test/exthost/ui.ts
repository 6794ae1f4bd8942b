// In the real extension host: the runs UI. Every panel's HTML has a nonce
// CSP without unsafe-inline/eval and loads nothing remote (checked for every
// page under src/webviews and every panel in src/extension/panels, and for
// the real Runtime Status, Run Dashboard and Compare Runs panels); the
// dashboard page finishes its ready handshake; the Runs, Alerts and Jobs
// trees, the status bar and the alert toasts follow runs made with the CLI.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { renderPage, webviewOptions } from '../../src/extension/panels/webviewHtml';
import type { AlertNode } from '../../src/extension/views/alertsTree';
import type { JobNode } from '../../src/extension/views/jobsTree';
import type { RunNode } from '../../src/extension/views/runsTree';
import type { Alert } from '../../src/protocol/tracking';
import { api, extension, waitUntil } from './util';

/** Problems of a webview page's HTML: CSP, scripts, remote URLs, inline handlers and styles. */
export function htmlProblems(html: string, cspSource: string): string[] {
  const problems: string[] = [];
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(html);
  if (!meta) return ['no Content-Security-Policy meta tag'];
  const csp = meta[1];
  const directives = new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([k, ...v]) => [k, v]),
  );
  if (directives.get('default-src')?.join(' ') !== "'none'") problems.push(`default-src is not 'none': ${csp}`);
  const script = directives.get('script-src') ?? [];
  const nonce = /^'nonce-([A-Za-z0-9+/=]{16,})'$/.exec(script[0] ?? '')?.[1];
  if (!nonce || script.length !== 1) problems.push(`script-src must be exactly one nonce: ${script.join(' ')}`);
  if (/unsafe-inline|unsafe-eval|unsafe-hashes|strict-dynamic/.test(csp)) problems.push(`unsafe source in the CSP: ${csp}`);
  const allowed = cspSource.split(/\s+/).filter(Boolean);
  for (const [k, v] of directives) {
    for (const src of v) {
      if (src.startsWith("'") || src === 'data:' || src === 'blob:' || allowed.includes(src)) continue;
      problems.push(`${k} allows ${src}, which is not the webview's own resource origin`);
    }
  }
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!new RegExp(`nonce="${nonce}"`).test(m[1])) problems.push(`a script without the page's nonce: ${m[0].slice(0, 120)}`);
    if (!/\bsrc="/.test(m[1]) || m[2].trim()) problems.push(`an inline script: ${m[0].slice(0, 120)}`);
  }
  const origins = allowed.map((a) => new RegExp('^' + a.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')));
  for (const m of html.matchAll(/\b(?:src|href|action)\s*=\s*"([^"]*)"/gi)) {
    const url = m[1];
    if (/^(https?:)?\/\//i.test(url) && !origins.some((o) => o.test(url))) problems.push(`remote URL ${url}`);
    if (/^(javascript|data):/i.test(url)) problems.push(`${url.slice(0, 30)} URL`);
  }
  for (const m of html.matchAll(/https?:\/\/[^\s"'<>)]+/gi)) {
    if (!origins.some((o) => o.test(m[0]))) problems.push(`remote URL in the page: ${m[0]}`);
  }
  if (/\son[a-z]+\s*=/i.test(html)) problems.push('an inline event handler');
  if (/\sstyle\s*=/i.test(html)) problems.push('an inline style attribute');
  if (/<style\b/i.test(html)) problems.push('an inline <style> element');
  return problems;
}

/** Runs the repo's CLI on the workspace's store (the extension under test is the repo). */
function cli(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(extension().extensionPath, 'bin', 'tunestudio.js'), ...args], {
    cwd,
    env: { ...process.env, TUNESTUDIO_DIR: path.join(cwd, '.tunestudio'), ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function workspace(): string {
  const f = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(f, 'the extension-host tests run with a workspace folder');
  return f;
}

export function uiTests(): void {
  suite('runs UI: webview pages', () => {
    test('every page and panel has a nonce CSP without unsafe-inline/eval and no remote URL', async () => {
      const a = await api();
      const root = extension().extensionPath;
      // Pages: every src/webviews/<name>/main.ts, and every page a panel host renders.
      const pages = new Set(
        fs
          .readdirSync(path.join(root, 'src', 'webviews'), { withFileTypes: true })
          .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, 'src', 'webviews', d.name, 'main.ts')))
          .map((d) => d.name),
      );
      const panelsDir = path.join(root, 'src', 'extension', 'panels');
      for (const f of fs.readdirSync(panelsDir).filter((x) => x.endsWith('.ts') && x !== 'webviewHtml.ts')) {
        const src = fs.readFileSync(path.join(panelsDir, f), 'utf8');
        const sets = [...src.matchAll(/webview\.html\s*=\s*([^;]+);/g)].map((m) => m[1]);
        assert.ok(sets.length, `${f} sets a webview's html`);
        for (const s of sets) {
          const m = /^renderPage\([^,]+,[^,]+,\s*'([\w-]+)'/.exec(s.trim());
          assert.ok(m, `${f} builds its page with renderPage(), the strict-CSP builder: ${s}`);
          pages.add(m[1]);
        }
      }
      assert.ok(['status', 'dashboard', 'compare'].every((p) => pages.has(p)), `pages found: ${[...pages].join(', ')}`);
      const probe = vscode.window.createWebviewPanel('tuneStudio.cspProbe', 'CSP probe', vscode.ViewColumn.Active, webviewOptions(extension().extensionUri));
      try {
        for (const name of pages) {
          assert.ok(fs.existsSync(path.join(root, 'dist', 'webviews', `${name}.js`)), `dist/webviews/${name}.js is built`);
          const html = renderPage(probe.webview, extension().extensionUri, name, `Page ${name}`);
          assert.deepEqual(htmlProblems(html, probe.webview.cspSource), [], `page ${name}`);
          const second = renderPage(probe.webview, extension().extensionUri, name, `Page ${name}`);
          assert.notEqual(/nonce-([^']+)/.exec(html)![1], /nonce-([^']+)/.exec(second)![1], 'a fresh nonce for each render');
        }
      } finally {
        probe.dispose();
      }
      // The real panels, as their commands open them.
      await vscode.commands.executeCommand('tuneStudio.showRuntimeStatus');
      const status = await waitUntil(() => a.statusPanel(), 'the status panel');
      assert.deepEqual(htmlProblems(status.panel.webview.html, status.panel.webview.cspSource), [], 'Runtime Status panel');
      status.dispose();
      await vscode.commands.executeCommand('tuneStudio.openDashboard', ['no-such-run']);
      const dash = await waitUntil(() => a.ui.dashboards()[0], 'a dashboard panel');
      assert.deepEqual(htmlProblems(dash.panel.webview.html, dash.panel.webview.cspSource), [], 'Run Dashboard panel');
      // The page loads under that CSP and says ready; the host answers with init.
      await waitUntil(() => dash.sent.init, 'the dashboard page to say ready and get init');
      dash.dispose();
      await vscode.commands.executeCommand('tuneStudio.compareRuns', ['no-such-run', 'nor-this']);
      const cmp = await waitUntil(() => a.ui.comparePanel(), 'the compare panel');
      assert.deepEqual(htmlProblems(cmp.panel.webview.html, cmp.panel.webview.cspSource), [], 'Compare Runs panel');
      await waitUntil(() => cmp.lastSent, 'the compare page to say ready and get its data');
      cmp.dispose();
    });

    test('the CSP check itself finds what it must', () => {
      const src = 'https://*.vscode-cdn.net';
      const good = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-abcdefghijklmnop1234'; style-src ${src}"><script nonce="abcdefghijklmnop1234" src="https://file+.vscode-resource.vscode-cdn.net/x.js"></script>`;
      assert.deepEqual(htmlProblems(good, src), []);
      assert.ok(htmlProblems(good.replace("script-src 'nonce", "script-src 'unsafe-inline' 'nonce"), src).length);
      assert.ok(htmlProblems(good.replace("'none'", "'none' 'unsafe-eval'"), src).length);
      assert.ok(htmlProblems(good + '<script src="https://cdn.example.com/chart.js"></script>', src).length);
      assert.ok(htmlProblems(good + '<img src="http://example.com/x.png">', src).length);
      assert.ok(htmlProblems(good + '<div onclick="x()"></div>', src).length);
      assert.ok(htmlProblems(good.replace(/<meta[^>]*>/, ''), src).length);
    });
  });

  suite('runs UI: trees, status bar, toasts', () => {
    test('the Runs tree shows projects and runs with status, headline and tooltip; the filter hides the others', async () => {
      const a = await api();
      await a.runtime.whenRunning(60_000);
      const ws = workspace();
      const emit = `for (let s = 1; s <= 50; s++) console.log('@tunestudio ' + JSON.stringify({ step: s, metrics: { 'train/loss': 1 / s } })); process.exit(Number(process.argv[1] || 0))`;
      assert.equal(cli(['run', '--project', 'exthost', '--name', 'ok-run', '--config', '{"lr":0.1}', '--', process.execPath, '-e', emit, '0'], ws).code, 0);
      assert.equal(cli(['run', '--project', 'exthost', '--name', 'bad-run', '--', process.execPath, '-e', emit, '2'], ws).code, 2);
      const tree = a.ui.runsTree;
      const project = await waitUntil(async () => {
        tree.refreshNow();
        const roots = await tree.getChildren();
        const p = roots.find((r) => r.kind === 'project' && r.name === 'exthost');
        return p && p.kind === 'project' && p.runs.length === 2 ? p : undefined;
      }, 'the exthost project with two runs');
      const children = (await tree.getChildren(project)) as Array<Extract<RunNode, { kind: 'run' }>>;
      const item = (name: string) => tree.getTreeItem(children.find((c) => c.run.name === name)!);
      const ok = item('ok-run');
      assert.equal(ok.contextValue, 'run.finished');
      assert.equal((ok.iconPath as vscode.ThemeIcon).id, 'pass');
      assert.match(String(ok.description), /^train\/loss 0\.02 · \d+s$/, 'headline last value (= best) and duration');
      assert.match((ok.tooltip as vscode.MarkdownString).value, /\| lr \| 0\.1 \|/, 'config summary in the tooltip');
      const bad = item('bad-run');
      assert.equal(bad.contextValue, 'run.failed');
      assert.equal((bad.iconPath as vscode.ThemeIcon).id, 'error');
      assert.equal(ok.command?.command, 'tuneStudio.openDashboard');

      await tree.setFilter(['failed']);
      const filtered = await tree.getChildren();
      const names = filtered.flatMap((p) => (p.kind === 'project' ? p.runs.map((r) => r.name) : []));
      assert.ok(names.includes('bad-run') && !names.includes('ok-run'), `only failed runs: ${names.join(', ')}`);
      assert.equal(tree.view?.description, 'only failed');
      await tree.setFilter([]);
      assert.equal(tree.view?.description, undefined);
    });

    test('a running run: spinning icon, status bar with its step and loss, an alert in the Alerts tree, Stop Run', async () => {
      const a = await api();
      await a.runtime.whenRunning(60_000);
      const ws = workspace();
      fs.writeFileSync(
        path.join(ws, 'loop.js'),
        `let s = 0; const t = setInterval(() => { s++; const l = s === 30 ? 'NaN' : (1 / s).toFixed(4); console.log('@tunestudio {"step":' + s + ',"metrics":{"train/loss":' + l + '}}'); }, 40);
process.on('SIGTERM', () => { clearInterval(t); process.exit(0); });`,
      );
      const child = spawn(
        process.execPath,
        [path.join(extension().extensionPath, 'bin', 'tunestudio.js'), 'run', '--project', 'exthost', '--name', 'looping', '--grace', '2', '--watch', '{"metric":"train/loss","nan":true,"stop":false}', '--', process.execPath, 'loop.js'],
        { cwd: ws, env: { ...process.env, TUNESTUDIO_DIR: path.join(ws, '.tunestudio'), ELECTRON_RUN_AS_NODE: '1' }, stdio: 'ignore' },
      );
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      try {
        const tree = a.ui.runsTree;
        const run = await waitUntil(async () => {
          tree.refreshNow();
          const roots = await tree.getChildren();
          return roots.flatMap((p) => (p.kind === 'project' ? p.runs : [])).find((r) => r.name === 'looping' && r.status === 'running');
        }, 'the looping run in the Runs tree');
        const item = tree.getTreeItem({ kind: 'run', run });
        assert.equal((item.iconPath as vscode.ThemeIcon).id, 'sync~spin');
        assert.equal(item.contextValue, 'run.running');
        // The status bar: the running run, its step and last loss; a click opens its dashboard.
        await waitUntil(() => a.ui.statusBar.runId === run.id && /looping .*step \d+ · loss [\d.]+/.test(a.ui.statusBar.item.text) && a.ui.statusBar.item.text, 'the status bar to show the run');
        assert.deepEqual(a.ui.statusBar.item.command && (a.ui.statusBar.item.command as vscode.Command).arguments, [run.id]);
        // The NaN at step 30: an alert under the run in the Alerts tree, and one toast.
        const alerts = a.ui.alertsTree;
        const alertNode = await waitUntil(async () => {
          alerts.refresh();
          const roots = await alerts.getChildren();
          const group = roots.find((g) => g.kind === 'alertRun' && g.runId === run.id);
          if (!group) return undefined;
          const kids = await alerts.getChildren(group);
          return kids.find((k): k is Extract<AlertNode, { kind: 'alert' }> => k.kind === 'alert' && k.alert.reason === 'nan');
        }, 'the NaN alert in the Alerts tree');
        const ai = alerts.getTreeItem(alertNode);
        assert.equal(ai.description, 'nan · train/loss @ step 30');
        assert.equal(ai.command?.command, 'tuneStudio.openAlert');
        assert.equal(alerts.view?.badge?.value !== undefined && alerts.view.badge.value >= 1, true, 'the badge counts it');
        await waitUntil(() => a.ui.notifications.shown.some((s) => s.alertIds.includes(alertNode.alert.id)), 'the alert toast');
        // Stop Run (the toast's action runs the same request).
        await vscode.commands.executeCommand('tuneStudio.stopRun', run.id);
        assert.equal(await exited, 0, 'tunestudio run exits 0 after a graceful stop');
        await waitUntil(async () => {
          tree.refreshNow();
          const roots = await tree.getChildren();
          return roots.flatMap((p) => (p.kind === 'project' ? p.runs : [])).find((r) => r.id === run.id && r.status === 'stopped');
        }, 'the run to be stopped');
        await waitUntil(() => !a.ui.statusBar.runId, 'the status bar to hide when nothing runs');
        // Acknowledge from the tree.
        await vscode.commands.executeCommand('tuneStudio.acknowledgeAlert', alertNode);
        await waitUntil(async () => {
          await alerts.getChildren();
          return alerts.items.find((x) => x.id === alertNode.alert.id)?.acknowledged;
        }, 'the alert to be acknowledged');
        assert.equal(alerts.getTreeItem({ kind: 'alert', alert: alerts.items.find((x) => x.id === alertNode.alert.id)! }).contextValue, 'alert.acknowledged');
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });

    test('alert toasts coalesce a burst into one per run and respect the level setting', async () => {
      const a = await api();
      const n = a.ui.notifications;
      const base: Alert = {
        id: 0,
        run_id: 'burst-run',
        run_name: 'burst',
        project: 'p',
        level: 'warn',
        reason: 'spike',
        metric: 'train/loss',
        step: 1,
        title: 'spike',
        text: '',
        data: {},
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
        acknowledged: false,
      };
      const start = n.shown.length;
      for (let i = 1; i <= 50; i++) n.onAlert({ ...base, id: 1_000_000 + i, step: i });
      n.onAlert({ ...base, id: 2_000_000, level: 'info', run_id: 'info-run' });
      await waitUntil(() => n.shown.length > start, 'a toast for the burst');
      // Later alerts of a run whose toast is still open only go to the Alerts view.
      for (let i = 51; i <= 60; i++) n.onAlert({ ...base, id: 1_000_000 + i, step: i });
      await new Promise((r) => setTimeout(r, 1000));
      const mine = n.shown.slice(start);
      assert.equal(mine.filter((s) => s.runId === 'burst-run').length, 1, 'one toast for 60 alerts of one run');
      assert.equal(mine[0].alertIds.length, 50);
      assert.match(mine[0].message, /50 alerts on run 'burst'/);
      assert.equal(mine.filter((s) => s.runId === 'info-run').length, 0, 'info is below the default level (warn)');
      await vscode.commands.executeCommand('notifications.clearAll');
    });

    test('Submit Job File queues *.tunejob.json files; the Jobs tree groups them; Cancel; the log follows the file; CSV export', async () => {
      const a = await api();
      await a.runtime.whenRunning(60_000);
      const ws = workspace();
      fs.writeFileSync(
        path.join(ws, 'slow.js'),
        `let s = 0; const t = setInterval(() => { s++; console.log('line ' + s); console.log('@tunestudio {"step":' + s + ',"metrics":{"train/loss":' + 1 / s + '}}'); console.log('@tunestudio {"progress":{"current":' + s + ',"total":60}}'); if (s >= 60) clearInterval(t); }, 60);`,
      );
      const write = (name: string, spec: object) => {
        const f = path.join(ws, `${name}.tunejob.json`);
        fs.writeFileSync(f, JSON.stringify(spec, null, 2));
        return vscode.Uri.file(f);
      };
      await vscode.commands.executeCommand('tuneStudio.submitJobFile', write('slow', { name: 'slow', project: 'exthost-jobs', command: [process.execPath, 'slow.js'] }));
      await vscode.commands.executeCommand('tuneStudio.submitJobFile', write('later', { name: 'later', project: 'exthost-jobs', command: [process.execPath, '-e', '0'] }));
      const tree = a.ui.jobsTree;
      const find = async (name: string, group: string) => {
        const roots = await tree.getChildren();
        const g = roots.find((r) => r.kind === 'group' && r.group === group);
        if (!g) return undefined;
        return ((await tree.getChildren(g)) as Array<Extract<JobNode, { kind: 'job' }>>).find((k) => k.job.name === name);
      };
      // One slot: the second job waits in the queue behind the first.
      const running = await waitUntil(() => find('slow', 'running'), 'the slow job under Running');
      const queued = await waitUntil(() => find('later', 'queued'), 'the later job under Queued');
      assert.match(String(tree.getTreeItem(queued).description), /^#1 in queue$/);
      assert.equal(tree.getTreeItem(queued).contextValue, 'job.queued');
      await vscode.commands.executeCommand('tuneStudio.cancelJob', queued);
      await waitUntil(() => find('later', 'finished').then((n) => n?.job.state === 'cancelled' && n), 'the queued job cancelled');
      // Show Job Log: a read-only document that grows with the file.
      await vscode.commands.executeCommand('tuneStudio.showJobLog', running);
      const doc = await waitUntil(() => vscode.window.activeTextEditor?.document.uri.scheme === 'tunestudio-log' && vscode.window.activeTextEditor.document, 'the log document');
      await waitUntil(() => doc.getText().includes('line 40'), 'the log to follow the file to line 40');
      const done = await waitUntil(() => find('slow', 'finished').then((n) => n?.job.state === 'completed' && n), 'the slow job to complete', 90_000);
      const item = tree.getTreeItem(done);
      assert.match(String(item.description), /^finished · \d+s$/, 'a completed job reads "finished", as its run does');
      assert.equal(item.contextValue, 'job.completed.withRun');
      assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass');
      // The run's dashboard exports its series as CSV, every point, NaN-aware.
      await vscode.commands.executeCommand('tuneStudio.openJobRun', done);
      const dash = await waitUntil(() => a.ui.dashboards().find((d) => d.ids.length === 1 && d.ids[0] === done.job.run_id), 'the job run dashboard');
      await waitUntil(() => dash.sent.init, 'the dashboard page ready');
      const csv = (await dash.csv('train/loss')).trim().split('\n');
      assert.equal(csv[0], 'run_id,run_name,metric,step,value,wall_time');
      assert.equal(csv.length, 61);
      assert.match(csv[1], new RegExp(`^${done.job.run_id},slow,train/loss,1,1,\\d+(\\.\\d+)?$`));
      dash.dispose();
    });
  });
}
