#!/usr/bin/env node
// The `tunestudio` command: the bundled CLI in dist/cli.js.
require('../dist/cli.js').main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`tunestudio: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; },
);
