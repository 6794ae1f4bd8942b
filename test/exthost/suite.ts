// Entry of the extension-host tests (bundled to out/test/suite.js by
// scripts/build.mjs; run by scripts/exthost.mjs inside a real VS Code).
// VS Code calls run(); it resolves when every test passed and rejects
// otherwise, which the harness turns into the exit code. Test files are
// imported statically (the bundle has no file system to glob) and register
// their suites when called, after mocha has defined its globals.
import Mocha from 'mocha';
import { activationTests } from './activation';
import { datasetTests } from './datasets';
import { firstTenTests } from './firstTen';
import { runtimeTests } from './runtime';
import { statusPanelTests, statusSchedulerTests } from './statusPanel';
import { startupBench } from './startupBench';
import { uiTests } from './ui';
import { lmToolsTests } from './lmTools';
import { runsMetaTests } from './runsMeta';

export function run(): Promise<void> {
  // `npm run bench startup` reuses this entry to time a cold activation.
  if (process.env.TUNESTUDIO_BENCH_OUT) return startupBench(process.env.TUNESTUDIO_BENCH_OUT);

  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 120_000, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'test/exthost', mocha);
  // Activation first: later suites rely on the API it returns.
  activationTests();
  runtimeTests();
  statusPanelTests();
  uiTests();
  datasetTests();
  lmToolsTests();
  firstTenTests();
  statusSchedulerTests();
  runsMetaTests();
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve()));
  });
}
