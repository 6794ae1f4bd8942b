// The agent tool catalogue is defined once (src/protocol/tools.ts): package.json's
// contributes.languageModelTools must be exactly what it makes, every schema must
// compile, and the hints must follow each tool's permission.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { LM_TOOL_PREFIX, TOOLS, languageModelToolContributions, toolByLmName } from '../../../src/protocol/tools';

const ROOT = path.resolve(__dirname, '..', '..', '..');

test("package.json's languageModelTools are the catalogue's (names, descriptions, input schemas)", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { languageModelTools?: unknown[] } };
  assert.deepEqual(
    pkg.contributes.languageModelTools,
    languageModelToolContributions(),
    'package.json contributes.languageModelTools differs from src/protocol/tools.ts: regenerate it from languageModelToolContributions()',
  );
});

test('every tool: a unique name, a real description, schemas that compile, hints that follow its permission', () => {
  const ajv = new Ajv({ strict: false });
  assert.equal(new Set(TOOLS.map((t) => t.name)).size, TOOLS.length);
  for (const t of TOOLS) {
    assert.match(t.name, /^[a-z_]+$/);
    assert.ok(t.description.length > 40, t.name);
    ajv.compile(t.inputSchema);
    ajv.compile(t.outputSchema);
    assert.equal(t.inputSchema.additionalProperties, false, `${t.name}: unknown arguments are refused, not ignored`);
    assert.equal(t.annotations.readOnlyHint, t.permission === 'read', t.name);
    assert.equal(t.annotations.destructiveHint, t.permission === 'stop', t.name);
    assert.equal(toolByLmName(LM_TOOL_PREFIX + t.name), t);
  }
  assert.deepEqual(TOOLS.filter((t) => t.permission !== 'read').map((t) => t.name).sort(), ['cancel_job', 'stop_run', 'submit_job', 'train']);
});
