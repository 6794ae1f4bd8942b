// A DatasetService on a real store in a temp folder, with published
// diagnostics and progress captured for assertions.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver/node';
import type { CaptionProgress } from '../../src/protocol/datasets';
import { defaultManifest } from '../../src/runtime/datasets/manifest';
import { DatasetService, type DatasetSettings } from '../../src/runtime/datasets/service';
import { Logger, silentSink } from '../../src/runtime/log';
import { Store } from '../../src/runtime/store/store';
import { tmpDir } from './tmp';

export interface TestService {
  service: DatasetService;
  workspace: string;
  store: Store;
  settings: DatasetSettings;
  diagnostics: Map<string, Diagnostic[]>;
  progress: CaptionProgress[];
  /** Called on each progress notification, after it is recorded. */
  onProgress: Array<(p: CaptionProgress) => void>;
  changes: { count: number };
}

export function makeService(t: { after(fn: () => void | Promise<void>): void }, settings: DatasetSettings = {}, extra: { modelCacheDir?: string; modelEndpoint?: string } = {}): TestService {
  const root = tmpDir(t);
  const workspace = path.join(root, 'ws');
  fs.mkdirSync(workspace);
  const store = new Store(path.join(root, 'store'));
  const diagnostics = new Map<string, Diagnostic[]>();
  const progress: CaptionProgress[] = [];
  const changes = { count: 0 };
  const onProgress: Array<(p: CaptionProgress) => void> = [];
  const service = new DatasetService({
    store,
    log: new Logger(silentSink),
    settings: () => settings,
    workspaceFolders: [workspace],
    publish: (uri, d) => (d.length ? diagnostics.set(uri, d) : diagnostics.delete(uri)),
    onChanged: () => changes.count++,
    onProgress: (p) => {
      progress.push(p);
      onProgress.forEach((fn) => fn(p));
    },
    modelCacheDir: extra.modelCacheDir ?? path.join(root, 'model-cache'),
    modelEndpoint: extra.modelEndpoint ?? 'http://127.0.0.1:9/unreachable',
  });
  t.after(async () => {
    await service.dispose();
    store.close();
  });
  return { service, workspace, store, settings, diagnostics, progress, onProgress, changes };
}

/** A dataset folder with a dataset.json (no samples). */
export function makeDataset(parent: string, name: string, manifest: Record<string, unknown> = {}): string {
  const dir = path.join(parent, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify({ ...defaultManifest(name), ...manifest }, null, 2));
  return fs.realpathSync(dir);
}
