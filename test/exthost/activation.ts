// In the real extension host: Tune Studio activates, returns its API, has
// every command of its manifest registered, and loads no native module.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, extension } from './util';

export function activationTests(): void {
  suite('activation', () => {
    test('Tune Studio is installed, activates and returns its API', async () => {
      const ext = extension();
      const a = await api();
      assert.equal(ext.isActive, true, 'extension is active after activate()');
      assert.equal(typeof a.runtime.request, 'function', 'API exposes the runtime');
      assert.equal(typeof a.restarts, 'function');
      assert.equal(typeof a.statusPanel, 'function');
    });

    test('every tuneStudio.* command of package.json is registered', async () => {
      await api();
      const contributed = (extension().packageJSON.contributes.commands as Array<{ command: string }>).map((c) => c.command);
      assert.ok(contributed.length >= 4, 'the manifest contributes commands');
      for (const c of contributed) assert.match(c, /^tuneStudio\./, `${c} is in the tuneStudio namespace`);
      const registered = new Set(await vscode.commands.getCommands(true));
      const missing = contributed.filter((c) => !registered.has(c));
      assert.deepEqual(missing, [], `commands contributed but not registered: ${missing.join(', ')}`);
    });

    test('the extension host loaded no native module and nothing from the runtime', async () => {
      await api();
      const root = extension().extensionPath;
      // Every module the extension host has loaded from Tune Studio's folder (VS Code's own
      // native modules are not ours, even when VS Code is installed under the repo's .cache).
      const ours = Object.keys(require.cache).filter((f) => f.startsWith(root) && !f.startsWith(vscode.env.appRoot));
      assert.ok(ours.some((f) => f.endsWith('extension.js')), 'the check sees the extension bundle itself');
      const native = ours.filter((f) => f.endsWith('.node') || /node_modules[\\/](better-sqlite3|onnxruntime-node|@tensorflow|sharp)[\\/]/.test(f));
      assert.deepEqual(native, [], 'native modules belong to the runtime process');
      assert.ok(!ours.some((f) => f.endsWith('runtime.js')), 'dist/runtime.js runs in its own process, not here');
    });
  });
}
