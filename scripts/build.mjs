// Builds every bundle with esbuild: extension (node, cjs, vscode external),
// runtime, cli, sdk, job entry points (node; native modules external), one
// browser bundle per webview, and — in development builds, not --production —
// the in-extension-host test suite (out/test/suite.js). A listed entry point
// that does not exist is an error, not a bundle silently left out.
// Usage: node scripts/build.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Native or heavy modules loaded from node_modules at run time, never bundled. */
export const NODE_EXTERNALS = [
  'vscode',
  'better-sqlite3',
  'onnxruntime-node',
  'onnxruntime-web',
  'onnxruntime-common',
  '@huggingface/transformers',
  'sharp',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-cpu',
  'playwright-core',
];

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  // Test hooks in the webviews (window.__tuneStudio, ChartView.info): off in the packaged build unless the test build asks.
  define: { TUNESTUDIO_VERSION: JSON.stringify(pkg.version), TUNESTUDIO_TEST_HOOKS: JSON.stringify(!production || process.env.TUNESTUDIO_TEST_HOOKS === '1') },
  absWorkingDir: root,
};

// 'module' first: some packages (jsonc-parser) ship a UMD main that esbuild cannot follow.
const node = { ...common, platform: 'node', format: 'cjs', target: 'node20', external: NODE_EXTERNALS, mainFields: ['module', 'main'] };

const nodeEntries = [
  ['src/extension/extension.ts', 'dist/extension.js'],
  ['src/runtime/server.ts', 'dist/runtime.js'],
  ['src/runtime/jobs/launcher.ts', 'dist/launcher.js'],
  ['src/cli/main.ts', 'dist/cli.js'],
  ['src/sdk/index.ts', 'dist/sdk.js'],
  ['src/api/index.ts', 'dist/api.js'],
  ['src/runtime/training/job.ts', 'dist/trainer.js'],
  // The "Demo trainer" job preset runs it (src/runtime/jobs/presets.ts).
  ['src/runtime/training/demoTrainer.ts', 'dist/demoTrainer.js'],
  ['src/runtime/projection/worker.ts', 'dist/projectionWorker.js'],
  // Test code never ships: the packaged (production) build leaves the suite out.
  ...(production ? [] : [['test/exthost/suite.ts', 'out/test/suite.js']]),
];

const missingEntries = nodeEntries.filter(([src]) => !fs.existsSync(path.join(root, src)));
if (missingEntries.length) {
  console.error(
    `build: ${missingEntries.map(([src, out]) => `${src} (for ${out})`).join(', ')} ${missingEntries.length === 1 ? 'does' : 'do'} not exist. ` +
      'Restore the file, or remove its line from nodeEntries in scripts/build.mjs (and whatever loads the bundle).',
  );
  process.exit(1);
}

const webviewDir = path.join(root, 'src/webviews');
const webviews = fs
  .readdirSync(webviewDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(webviewDir, d.name, 'main.ts')))
  .map((d) => d.name);

const configs = [
  ...nodeEntries.map(([entry, outfile]) => ({
    ...node,
    entryPoints: [entry],
    outfile,
    // mocha's parallel mode (unused in the extension host) resolves worker files at run time.
    ...(entry.startsWith('test/') ? { logOverride: { 'require-resolve-not-external': 'silent' } } : {}),
  })),
  {
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: Object.fromEntries(webviews.map((w) => [w, `src/webviews/${w}/main.ts`])),
    outdir: 'dist/webviews',
  },
];

function copyAssets() {
  const out = path.join(root, 'dist/webviews');
  fs.mkdirSync(path.join(out, 'codicons'), { recursive: true });
  fs.copyFileSync(path.join(root, 'media/webview.css'), path.join(out, 'webview.css'));
  const codicons = path.join(root, 'node_modules/@vscode/codicons/dist');
  for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join(codicons, f), path.join(out, 'codicons', f));
}

if (watch) {
  const contexts = await Promise.all(configs.map((c) => esbuild.context(c)));
  copyAssets();
  await Promise.all(contexts.map((c) => c.watch()));
  console.log(`watching ${configs.length} bundles…`);
} else {
  const t0 = Date.now();
  await Promise.all(configs.map((c) => esbuild.build(c)));
  copyAssets();
  console.log(`built ${nodeEntries.length} node bundles and ${webviews.length} webviews in ${Date.now() - t0} ms`);
}
