// PEFT adapter folders: the exact keys, shapes and adapter_config.json that
// `PeftModel.from_pretrained` expects for GPT-2, a save → load round trip,
// and refusal of adapters the trainer cannot represent.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectTrainingBackend } from '../../../src/runtime/training/backend';
import { Gpt2Model, normaliseTargetModules } from '../../../src/runtime/training/gpt2';
import { loadAdapterInto, readAdapter, saveAdapter } from '../../../src/runtime/training/peft';
import { Rng } from '../../../src/runtime/training/rng';
import { readSafetensors, writeSafetensors } from '../../../src/runtime/training/safetensors';
import { writeTinyGpt2 } from '../../helpers/tinyGpt2';
import { tmpDir } from '../../helpers/tmp';

before(async () => {
  await selectTrainingBackend({ prefer: 'wasm', wasmThreads: 1 }); // one thread is fastest for tiny models; threads are tested in backend.test and job.test
});

function trainedModel(dir: string, targets: string[], rslora = false): Gpt2Model {
  const model = Gpt2Model.fromFolder(dir);
  model.addLora({ settings: { r: 4, alpha: 16, dropout: 0.05, rslora }, targets: normaliseTargetModules(targets) }, 21);
  const rng = new Rng(22);
  for (const m of model.loraModules()) m.setLoraWeights(m.loraA!.dataSync() as Float32Array, new Float32Array(m.loraB!.size).map(() => rng.uniform(-0.2, 0.2)));
  return model;
}

const logits = (m: Gpt2Model) => tf.tidy(() => m.logits(tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32')).dataSync() as Float32Array);

test("adapter files have PEFT's keys, shapes and config for GPT-2", (t) => {
  const dir = tmpDir(t);
  const fx = writeTinyGpt2(path.join(dir, 'base'));
  const model = trainedModel(fx.dir, ['c_attn', 'c_proj', 'c_fc', 'mlp.c_proj'], true);
  t.after(() => model.dispose());
  const out = path.join(dir, 'adapter');
  saveAdapter(out, model, { baseModel: 'openai-community/gpt2' });
  assert.deepEqual(fs.readdirSync(out).sort(), ['adapter_config.json', 'adapter_model.safetensors']);

  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'adapter_config.json'), 'utf8'));
  assert.equal(cfg.peft_type, 'LORA');
  assert.equal(cfg.task_type, 'CAUSAL_LM');
  assert.equal(cfg.r, 4);
  assert.equal(cfg.lora_alpha, 16);
  assert.equal(cfg.lora_dropout, 0.05);
  assert.equal(cfg.fan_in_fan_out, true);
  assert.equal(cfg.use_rslora, true);
  assert.equal(cfg.bias, 'none');
  assert.equal(cfg.inference_mode, true);
  assert.equal(cfg.base_model_name_or_path, 'openai-community/gpt2');
  assert.deepEqual(cfg.target_modules, ['c_attn', 'attn.c_proj', 'c_fc', 'mlp.c_proj']);
  assert.equal(cfg.modules_to_save, null);

  const st = readSafetensors(path.join(out, 'adapter_model.safetensors'));
  assert.equal(st.metadata.format, 'pt');
  const D = 32;
  const expected = new Map<string, number[]>();
  for (let i = 0; i < 2; i++) {
    for (const [mod, inF, outF] of [
      ['attn.c_attn', D, 3 * D],
      ['attn.c_proj', D, D],
      ['mlp.c_fc', D, 4 * D],
      ['mlp.c_proj', 4 * D, D],
    ] as const) {
      expected.set(`base_model.model.transformer.h.${i}.${mod}.lora_A.weight`, [4, inF]);
      expected.set(`base_model.model.transformer.h.${i}.${mod}.lora_B.weight`, [outF, 4]);
    }
  }
  assert.deepEqual([...st.tensors.keys()].sort(), [...expected.keys()].sort());
  for (const [k, shape] of expected) {
    assert.deepEqual(st.tensors.get(k)!.shape, shape, k);
    assert.equal(st.tensors.get(k)!.dtype, 'F32');
  }
  // values are the model's variables
  const m0 = model.loraModules()[0];
  assert.deepEqual(Array.from(st.tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.data as Float32Array), Array.from(m0.loraB!.dataSync()));
});

test('save → load into a fresh base model gives the same outputs', (t) => {
  const dir = tmpDir(t);
  const fx = writeTinyGpt2(path.join(dir, 'base'));
  const model = trainedModel(fx.dir, ['c_attn', 'mlp.c_proj']);
  const fresh = Gpt2Model.fromFolder(fx.dir);
  t.after(() => [model, fresh].forEach((m) => m.dispose()));
  saveAdapter(path.join(dir, 'a'), model, { baseModel: fx.dir });
  const baseOut = logits(fresh);
  const loaded = loadAdapterInto(fresh, path.join(dir, 'a'));
  assert.deepEqual(loaded.targets, ['attn.c_attn', 'mlp.c_proj']);
  assert.deepEqual(loaded.settings, { r: 4, alpha: 16, dropout: 0.05, rslora: false });
  assert.deepEqual(logits(fresh), logits(model));
  assert.notDeepEqual(logits(fresh), baseOut);
});

test('an adapter saved by PEFT with the adapter name in its keys still loads', (t) => {
  const dir = tmpDir(t);
  const fx = writeTinyGpt2(path.join(dir, 'base'));
  const model = trainedModel(fx.dir, ['c_attn']);
  t.after(() => model.dispose());
  saveAdapter(path.join(dir, 'a'), model, { baseModel: null });
  const st = readSafetensors(path.join(dir, 'a', 'adapter_model.safetensors'));
  const renamed = new Map([...st.tensors].map(([k, v]) => [k.replace('.weight', '.default.weight'), { shape: v.shape, data: v.data as Float32Array }]));
  writeSafetensors(path.join(dir, 'a', 'adapter_model.safetensors'), renamed);
  const back = readAdapter(path.join(dir, 'a'));
  assert.equal(back.weights.size, 2);
});

test('adapters the trainer cannot represent are refused clearly', (t) => {
  const dir = tmpDir(t);
  const fx = writeTinyGpt2(path.join(dir, 'base'));
  const model = trainedModel(fx.dir, ['c_attn']);
  t.after(() => model.dispose());
  const a = path.join(dir, 'a');
  saveAdapter(a, model, { baseModel: null });
  const cfgFile = path.join(a, 'adapter_config.json');
  const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));

  fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, peft_type: 'IA3' }));
  assert.throws(() => readAdapter(a), /peft_type is "IA3"; only LORA adapters/);
  fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, rank_pattern: { 'h.0.attn.c_attn': 8 } }));
  assert.throws(() => readAdapter(a), /per-module rank_pattern is not supported/);
  fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, r: 8 }));
  assert.throws(() => readAdapter(a), /has rank 4 but adapter_config.json says r=8/);
  fs.writeFileSync(cfgFile, JSON.stringify(cfg));

  // a run with another rank cannot take this adapter
  const other = Gpt2Model.fromFolder(fx.dir);
  t.after(() => other.dispose());
  other.addLora({ settings: { r: 2, alpha: 4, dropout: 0, rslora: false }, targets: normaliseTargetModules(['c_attn']) }, 1);
  assert.throws(() => loadAdapterInto(other, a), /does not match the run's LoRA \(r=2/);

  // foreign tensor names (e.g. a LLaMA adapter)
  writeSafetensors(path.join(a, 'adapter_model.safetensors'), { 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight': { shape: [4, 32], data: new Float32Array(128) } });
  assert.throws(() => readAdapter(a), /unexpected tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'/);
  fs.rmSync(path.join(a, 'adapter_model.safetensors'));
  assert.throws(() => readAdapter(a), /must contain adapter_config.json and adapter_model.safetensors/);
});
