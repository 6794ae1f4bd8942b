// `npm run bench [names...]`: runs bench/*.bench.ts one after another (each
// in its own process) and leaves the figures in bench/results.json.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(dir, '..');
const wanted = process.argv.slice(2);
const all = fs.readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
const chosen = wanted.length ? all.filter((f) => wanted.some((w) => f.startsWith(w))) : all;
if (!fs.existsSync(path.join(root, 'dist', 'runtime.js'))) {
  spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
}
let failed = 0;
for (const f of chosen) {
  console.log(`\n### ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, f)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${f} failed (exit ${r.status ?? r.signal})`);
  }
}
console.log(`\n${chosen.length - failed}/${chosen.length} benchmarks ran; figures in bench/results.json`);
process.exit(failed ? 1 : 0);
