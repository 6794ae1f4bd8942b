// The job spec's TypeScript types are generated from schemas/tunejob.schema.json
// (json-schema-to-typescript) and committed: this test regenerates them and
// fails when the committed file differs, so the schema stays the one source.
// After changing the schema: UPDATE_GENERATED=1 node --import tsx --test test/unit/jobs/specTypes.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compile } from 'json-schema-to-typescript';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SCHEMA = path.join(ROOT, 'schemas', 'tunejob.schema.json');
const GENERATED = path.join(ROOT, 'src', 'protocol', 'jobSpec.generated.ts');

const BANNER = `// Generated from schemas/tunejob.schema.json by json-schema-to-typescript — do not edit.
// The schema is the one source of the job spec: ajv validates *.tunejob.json
// files against it (src/runtime/jobs/spec.ts) and these are its types.
// Regenerate: UPDATE_GENERATED=1 node --import tsx --test test/unit/jobs/specTypes.test.ts`;

export async function generateJobSpecTypes(): Promise<string> {
  const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf8'));
  const body = await compile(schema, 'JobSpec', { bannerComment: '', ignoreMinAndMaxItems: true, unknownAny: true, format: true });
  return `${BANNER}\n${body}`;
}

test('src/protocol/jobSpec.generated.ts is what the schema generates', async () => {
  const want = await generateJobSpecTypes();
  if (process.env.UPDATE_GENERATED) fs.writeFileSync(GENERATED, want);
  const have = fs.existsSync(GENERATED) ? fs.readFileSync(GENERATED, 'utf8') : '';
  assert.equal(have, want, 'the job spec types are stale: regenerate them (see the header of this test)');
});
