// Entry of dist/demoTrainer.js, which the "Demo trainer" job preset runs
// (src/runtime/jobs/presets.ts): the stand-in trainer of the demo workspace,
// demo/train_demo.js, bundled so that it ships inside dist/ with the
// extension. The script itself stays plain JavaScript so that users read and
// run it as it is (`node train_demo.js`).
import '../../../demo/train_demo.js';
