// The training run: resolves the model, builds data, trains the LoRA adapter
// with AdamW, evaluates, samples, checkpoints (adapter + optimizer state +
// step state, keeping the best k by eval loss) and resumes exactly. Reports
// through protocol messages (the same objects the trainer process prints as
// `@tunestudio` lines) so it runs alike in-process and as a job.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ProtocolMessage } from '../../protocol/lines';
import { writeFileAtomic } from '../os/fs';
import { backendConfigFields, selectTrainingBackend, type BackendSelection } from './backend';
import { hubOptionsFor, loraParamCount, type ResolvedTrainConfig } from './config';
import { BatchOrder, blocksFingerprint, packTexts, readTrainingTexts, splitBlocks } from './data';
import { gpt2ParamCount, Gpt2Model } from './gpt2';
import { resolveModel, type HubOptions } from './hub';
import { AdamW, clipByGlobalNorm, globalNorm, learningRate } from './optim';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, loadAdapterInto, peftKey, saveAdapter } from './peft';
import { hashInts, Rng, RNG_PURPOSE } from './rng';
import { readSafetensors, writeSafetensors, type TensorToWrite } from './safetensors';
import { loadTokenizer, type TextTokenizer } from './tokenizer';
import { TrainingControl } from './trainingControl';

export { TrainingControl };

export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TRAINER_STATE_FILE = 'trainer_state.json';
export const CHECKPOINTS_DIR = 'checkpoints';
/** Bytes the wasm backward-weight cache may take (Wᵀ plus XNNPACK's packed copy): GPT-2 small needs 0.7 GB, medium 2.4 GB. */
export const BACKWARD_CACHE_LIMIT = 1024 ** 3;

export interface StepRecord {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
}

export interface CheckpointInfo {
  step: number;
  path: string;
  evalLoss: number | null;
}

export interface TrainingResult {
  status: 'finished' | 'stopped';
  stopReason: string | null;
  /** Last completed optimizer step. */
  step: number;
  totalSteps: number;
  /** Steps run in this call (after a resume, only the new ones). */
  history: StepRecord[];
  evals: Array<{ step: number; loss: number }>;
  samples: Array<{ step: number; prompt: string; text: string }>;
  checkpoints: CheckpointInfo[];
  lastCheckpoint: string | null;
  bestCheckpoint: string | null;
  /** output/adapter when the run finished. */
  adapterDir: string | null;
  backend: BackendSelection;
}

export interface RunTrainingOptions {
  config: ResolvedTrainConfig;
  /** A checkpoint folder, or 'latest' for the newest under output/checkpoints. */
  resume?: string;
  control?: TrainingControl;
  /** Protocol messages (metrics, progress, config, samples, checkpoints, status). */
  emit?: (m: ProtocolMessage) => void;
  /** Human-readable log lines. */
  log?: (line: string) => void;
  /** A backend already selected; otherwise chosen from config.backend, then TUNESTUDIO_TRAINING_BACKEND, then auto. */
  backend?: BackendSelection;
  hub?: HubOptions;
  /** Called after every optimizer step (tests use it to request a stop at a given step). */
  onStep?: (r: StepRecord, control: TrainingControl) => void;
  /** Lets timers, signals and control-file events through between steps (default: setImmediate). */
  yieldToEvents?: () => Promise<void>;
}

interface TrainerState {
  version: 1;
  step: number;
  total_steps: number;
  seed: number;
  epoch: number;
  samples_seen: number;
  eval_loss: number | null;
  data_fingerprint: string;
  lora: { r: number; alpha: number; dropout: number; rslora: boolean; target_modules: string[] };
  batch_size: number;
  grad_accum: number;
  block_size: number;
  backend: string;
  log_history: Array<Record<string, number>>;
  created_at: string;
}

function stepDirName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

/** On wasm, keeps Wᵀ for the backward pass while the copies stay well inside its 4 GiB. */
export function prepareModelForBackend(model: Gpt2Model, backend: Pick<BackendSelection, 'tfBackend'>): void {
  model.setBackwardWeightCache(backend.tfBackend === 'wasm' && 2 * 4 * model.linearParamCount() <= BACKWARD_CACHE_LIMIT);
}

/** Lists the checkpoints under an output folder, oldest first. */
export function listCheckpoints(outputDir: string): CheckpointInfo[] {
  const dir = path.join(outputDir, CHECKPOINTS_DIR);
  if (!fs.existsSync(dir)) return [];
  const out: CheckpointInfo[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = /^step-(\d+)$/.exec(name);
    if (!m) continue;
    const p = path.join(dir, name);
    try {
      const st = JSON.parse(fs.readFileSync(path.join(p, TRAINER_STATE_FILE), 'utf8')) as TrainerState;
      out.push({ step: st.step, path: p, evalLoss: typeof st.eval_loss === 'number' ? st.eval_loss : null });
    } catch {
      /* incomplete checkpoint (e.g. killed while writing): ignored */
    }
  }
  return out.sort((a, b) => a.step - b.step);
}

/** The checkpoints to keep: the latest (for resuming) and the best k by eval loss; k = 0 keeps all. */
export function checkpointsToKeep(all: CheckpointInfo[], keepBest: number): Set<string> {
  if (keepBest <= 0 || all.length === 0) return new Set(all.map((c) => c.path));
  const keep = new Set<string>([all[all.length - 1].path]);
  const ranked = all
    .filter((c) => c.evalLoss !== null && Number.isFinite(c.evalLoss))
    .sort((a, b) => a.evalLoss! - b.evalLoss! || b.step - a.step);
  for (const c of ranked.slice(0, keepBest)) keep.add(c.path);
  return keep;
}

function bestOf(all: CheckpointInfo[]): CheckpointInfo | null {
  let best: CheckpointInfo | null = null;
  for (const c of all) if (c.evalLoss !== null && Number.isFinite(c.evalLoss) && (!best || c.evalLoss < best.evalLoss!)) best = c;
  return best;
}

function round(x: number, digits = 6): number {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;
}

/** Runs (or resumes) a training run to its end or until stopped. */
export async function runTraining(opts: RunTrainingOptions): Promise<TrainingResult> {
  const cfg = opts.config;
  const emit = opts.emit ?? (() => {});
  const log = opts.log ?? (() => {});
  const control = opts.control ?? new TrainingControl();
  const yieldToEvents = opts.yieldToEvents ?? (() => new Promise<void>((r) => setImmediate(r)));

  emit({ status: 'selecting compute backend' });
  const backend =
    opts.backend ??
    (await selectTrainingBackend({ prefer: cfg.backend !== 'auto' ? cfg.backend : ((process.env.TUNESTUDIO_TRAINING_BACKEND as never) || 'auto') }));
  log(`backend: ${backend.summary}`);

  emit({ status: 'resolving model' });
  let lastPct = -1;
  const resolved = await resolveModel(cfg.model, path.dirname(cfg.configFile ?? cfg.output), {
    ...hubOptionsFor(cfg, opts.hub),
    onProgress: (p) => {
      opts.hub?.onProgress?.(p);
      const pct = p.total ? Math.floor((100 * p.received) / p.total) : -1;
      if (pct !== lastPct || p.received === p.total) {
        lastPct = pct;
        emit({ status: `downloading ${p.id}: ${p.file}`, progress: { current: p.received, ...(p.total ? { total: p.total } : {}), unit: 'bytes' } });
      }
    },
  });
  log(`model: ${resolved.folder} (${resolved.source})`);

  emit({ status: 'loading model' });
  const model = Gpt2Model.fromFolder(resolved.folder);
  let optimizer: AdamW | null = null;
  try {
    const tokenizer = await loadTokenizer(resolved.folder, model.config.eos_token_id);
    if (cfg.block_size > model.config.n_positions) {
      throw new Error(`block_size ${cfg.block_size} exceeds the model's ${model.config.n_positions} positions; lower "block_size".`);
    }
    model.addLora({ settings: { r: cfg.lora.r, alpha: cfg.lora.alpha, dropout: cfg.lora.dropout, rslora: cfg.lora.rslora }, targets: cfg.lora.target_modules }, cfg.seed);
    prepareModelForBackend(model, backend);

    emit({ status: 'preparing data' });
    const texts = readTrainingTexts(cfg.dataset, path.dirname(cfg.configFile ?? cfg.output));
    const packed = packTexts(texts.texts, tokenizer, cfg.block_size);
    for (const b of packed.blocks) {
      for (const id of b) {
        if (id >= model.config.vocab_size) throw new Error(`The tokenizer produced id ${id}, outside the model's vocabulary of ${model.config.vocab_size}; tokenizer.json does not belong to this model.`);
      }
    }
    const split = splitBlocks(packed.blocks.length, cfg.eval_fraction, cfg.seed);
    const fingerprint = blocksFingerprint(packed.blocks);
    const order = new BatchOrder(split.train, cfg.seed);
    log(`data: ${texts.texts.length} texts, ${packed.totalTokens} tokens, ${split.train.length} train / ${split.eval.length} eval blocks of ${cfg.block_size}`);
    for (const w of dataWarnings(split.train.length, split.eval.length, cfg)) {
      log(`warning: ${w.text}`);
      emit({ alert: { ...w, level: 'warn' } });
    }

    const vars = model.trainableVariables();
    const paramNames: string[] = [];
    for (const m of model.loraModules()) paramNames.push(peftKey(m.path, 'A'), peftKey(m.path, 'B'));
    optimizer = new AdamW(vars, { beta1: cfg.optimizer.beta1, beta2: cfg.optimizer.beta2, eps: cfg.optimizer.eps, weightDecay: cfg.optimizer.weight_decay });

    let startStep = 0;
    let logHistory: Array<Record<string, number>> = [];
    let lastEval: { step: number; loss: number } | null = null;
    if (opts.resume) {
      const ckpt = opts.resume === 'latest' ? listCheckpoints(cfg.output).at(-1)?.path : path.resolve(opts.resume);
      if (!ckpt) throw new Error(`No checkpoint to resume from in '${path.join(cfg.output, CHECKPOINTS_DIR)}'.`);
      const stateFile = path.join(ckpt, TRAINER_STATE_FILE);
      if (!fs.existsSync(stateFile)) throw new Error(`'${ckpt}' is not a checkpoint folder (no ${TRAINER_STATE_FILE}).`);
      const st = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as TrainerState;
      loadAdapterInto(model, ckpt);
      const opt = readSafetensors(path.join(ckpt, OPTIMIZER_FILE));
      const get = (k: string) => {
        const t = opt.tensors.get(k);
        if (!t || !(t.data instanceof Float32Array)) throw new Error(`Checkpoint '${ckpt}': optimizer state '${k}' is missing`);
        return t.data;
      };
      optimizer.load({ t: Number(opt.metadata.t ?? st.step), m: paramNames.map((n) => get(`exp_avg.${n}`)), v: paramNames.map((n) => get(`exp_avg_sq.${n}`)) });
      startStep = st.step;
      logHistory = st.log_history ?? [];
      if (typeof st.eval_loss === 'number') lastEval = { step: st.step, loss: st.eval_loss };
      const differs: string[] = [];
      if (st.seed !== cfg.seed) differs.push(`seed ${st.seed} → ${cfg.seed}`);
      if (st.data_fingerprint !== fingerprint) differs.push('training data');
      if (st.batch_size !== cfg.batch_size || st.grad_accum !== cfg.grad_accum || st.block_size !== cfg.block_size) differs.push('batch shape');
      if (differs.length) {
        emit({ alert: { title: 'Resumed with changes', text: `Resuming from '${ckpt}' with a different ${differs.join(', ')}: the run will not repeat an uninterrupted one exactly.`, level: 'warn' } });
      }
      log(`resumed from ${ckpt} at step ${startStep}`);
      if (startStep >= cfg.steps) log(`checkpoint is already at step ${startStep} of ${cfg.steps}`);
    }

    const tokensPerStep = cfg.batch_size * cfg.grad_accum * cfg.block_size;
    const baseParams = gpt2ParamCount(model.config);
    const loraParams = loraParamCount(model.config, cfg.lora.r, cfg.lora.target_modules);
    emit({
      config: {
        name: cfg.name,
        model: cfg.model,
        model_folder: resolved.folder,
        model_source: resolved.source,
        model_params: baseParams,
        lora_r: cfg.lora.r,
        lora_alpha: cfg.lora.alpha,
        lora_dropout: cfg.lora.dropout,
        lora_target_modules: cfg.lora.target_modules,
        lora_rslora: cfg.lora.rslora,
        trainable_params: loraParams,
        lr: cfg.optimizer.lr,
        weight_decay: cfg.optimizer.weight_decay,
        adam_beta1: cfg.optimizer.beta1,
        adam_beta2: cfg.optimizer.beta2,
        adam_eps: cfg.optimizer.eps,
        max_grad_norm: cfg.optimizer.max_grad_norm,
        lr_scheduler: cfg.schedule.type,
        warmup_steps: cfg.schedule.warmup_steps,
        steps: cfg.steps,
        batch_size: cfg.batch_size,
        grad_accum: cfg.grad_accum,
        block_size: cfg.block_size,
        seed: cfg.seed,
        dataset: cfg.dataset,
        dataset_kind: texts.kind,
        trigger_word: texts.triggerWord,
        train_blocks: split.train.length,
        eval_blocks: split.eval.length,
        tokens: packed.totalTokens,
        data_fingerprint: fingerprint,
        output: cfg.output,
        resumed_from_step: startStep || null,
        ...backendConfigFields(backend),
      },
    });

    const scheduleOpts = { lr: cfg.optimizer.lr, type: cfg.schedule.type, warmupSteps: cfg.schedule.warmup_steps, totalSteps: cfg.steps, minLrRatio: cfg.schedule.min_lr_ratio };
    const T = cfg.block_size;
    const B = cfg.batch_size;
    const batchIds = (blockIdx: number[]) => {
      const data = new Int32Array(blockIdx.length * T);
      blockIdx.forEach((b, i) => data.set(packed.blocks[b], i * T));
      return tf.tensor2d(data, [blockIdx.length, T], 'int32');
    };

    const evaluate = (): number => {
      const blocks = split.eval;
      const maxBatches = cfg.eval_batches > 0 ? cfg.eval_batches : Infinity;
      let sum = 0;
      let n = 0;
      for (let i = 0, k = 0; i < blocks.length && k < maxBatches; i += B, k++) {
        const idx = blocks.slice(i, i + B);
        const l = tf.tidy(() => model.loss(batchIds(idx)).dataSync()[0]);
        sum += l * idx.length;
        n += idx.length;
      }
      return sum / n;
    };

    const samplePrompts = (): string[] => {
      if (cfg.sample.prompts && cfg.sample.prompts.length) return cfg.sample.prompts;
      if (texts.triggerWord) return [`[tags] ${texts.triggerWord}`];
      const first = packed.blocks[split.eval[0] ?? split.train[0]];
      return [tokenizer.decode(Array.from(first.subarray(0, Math.min(8, Math.max(1, T >> 2)))))];
    };

    const samples: TrainingResult['samples'] = [];
    const makeSamples = (step: number) => {
      samplePrompts().forEach((prompt, i) => {
        const ids = generateIds(model, tokenizer, prompt, cfg, Rng.derive(cfg.seed, RNG_PURPOSE.sample, step, i));
        const text = tokenizer.decode(ids);
        samples.push({ step, prompt, text });
        emit({ sample: { step, prompt, text } });
        log(`sample @${step}: ${JSON.stringify(prompt + text).slice(0, 200)}`);
      });
    };

    const evals: TrainingResult['evals'] = [];
    const runEval = (step: number) => {
      if (!split.eval.length) return;
      if (lastEval && lastEval.step === step) return;
      const loss = evaluate();
      lastEval = { step, loss };
      evals.push({ step, loss });
      logHistory.push({ step, eval_loss: loss });
      emit({ step, metrics: { 'eval/loss': loss, 'eval/perplexity': Math.exp(loss) } });
      log(`eval @${step}: loss ${round(loss, 5)} perplexity ${round(Math.exp(loss), 5)}`);
    };

    const checkpoints: CheckpointInfo[] = [];
    let lastCheckpoint: string | null = null;
    const writeCheckpoint = (step: number): CheckpointInfo => {
      runEval(step);
      const root = path.join(cfg.output, CHECKPOINTS_DIR);
      const final = path.join(root, stepDirName(step));
      const evalLoss = lastEval && lastEval.step === step ? lastEval.loss : null;
      if (lastCheckpoint === final && fs.existsSync(final)) return { step, path: final, evalLoss };
      const tmp = path.join(root, `.${stepDirName(step)}.${process.pid}.tmp`);
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp, { recursive: true });
      saveAdapter(tmp, model, { baseModel: resolved.id ?? cfg.model, revision: resolved.id ? resolved.revision : null });
      const st = optimizer!.state();
      const tensors = new Map<string, TensorToWrite>();
      paramNames.forEach((n, i) => {
        tensors.set(`exp_avg.${n}`, { shape: vars[i].shape, data: st.m[i] });
        tensors.set(`exp_avg_sq.${n}`, { shape: vars[i].shape, data: st.v[i] });
      });
      writeSafetensors(path.join(tmp, OPTIMIZER_FILE), tensors, { t: String(st.t), format: 'tunestudio-adamw' });
      const samplesSeen = step * cfg.batch_size * cfg.grad_accum;
      const state: TrainerState = {
        version: 1,
        step,
        total_steps: cfg.steps,
        seed: cfg.seed,
        epoch: samplesSeen / split.train.length,
        samples_seen: samplesSeen,
        eval_loss: evalLoss,
        data_fingerprint: fingerprint,
        lora: { r: cfg.lora.r, alpha: cfg.lora.alpha, dropout: cfg.lora.dropout, rslora: cfg.lora.rslora, target_modules: cfg.lora.target_modules },
        batch_size: cfg.batch_size,
        grad_accum: cfg.grad_accum,
        block_size: cfg.block_size,
        backend: backend.name,
        log_history: logHistory,
        created_at: new Date().toISOString(),
      };
      writeFileAtomic(path.join(tmp, TRAINER_STATE_FILE), JSON.stringify(state, null, 1) + '\n');
      fs.rmSync(final, { recursive: true, force: true });
      fs.renameSync(tmp, final);
      lastCheckpoint = final;
      const info: CheckpointInfo = { step, path: final, evalLoss };
      checkpoints.push(info);
      // prune: keep the latest and the best k by eval loss
      const all = listCheckpoints(cfg.output);
      const keep = checkpointsToKeep(all, cfg.keep_best);
      for (const c of all) if (!keep.has(c.path)) fs.rmSync(c.path, { recursive: true, force: true });
      emit({ checkpoint: { step, path: final, ...(evalLoss !== null ? { metrics: { 'eval/loss': evalLoss } } : {}) } });
      log(`checkpoint @${step}: ${final}`);
      return info;
    };

    const history: StepRecord[] = [];
    emit({ status: 'training' });
    emit({ progress: { current: startStep, total: cfg.steps } });
    let step = startStep;
    const handleRequests = () => {
      if (control.sampleRequested) {
        control.sampleRequested = false;
        makeSamples(step);
      }
      if (control.saveRequested) {
        control.saveRequested = false;
        writeCheckpoint(step);
      }
    };
    while (step < cfg.steps) {
      await yieldToEvents();
      handleRequests();
      if (control.stopReason) break;
      const s = step + 1;
      const t0 = performance.now();
      const lr = learningRate(s, scheduleOpts);
      let lossSum = 0;
      let acc: tf.Tensor[] | null = null;
      for (let micro = 0; micro < cfg.grad_accum; micro++) {
        const base = ((s - 1) * cfg.grad_accum + micro) * B;
        const idx = Array.from({ length: B }, (_, i) => order.blockAt(base + i));
        const dropoutSeed = hashInts(cfg.seed, RNG_PURPOSE.dropout, s, micro);
        const [lossT, ...grads] = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => model.loss(batchIds(idx), { training: true, dropoutSeed }), vars);
          return [value, ...vars.map((v) => grads[v.name])];
        });
        lossSum += lossT.dataSync()[0];
        lossT.dispose();
        if (!acc) acc = grads;
        else {
          const next: tf.Tensor[] = acc.map((a, i) => tf.add(a, grads[i]));
          for (const t of [...acc, ...grads]) t.dispose();
          acc = next;
        }
      }
      const avg = cfg.grad_accum > 1 ? acc!.map((g) => tf.div(g, cfg.grad_accum)) : acc!;
      if (avg !== acc) for (const t of acc!) t.dispose();
      const normT = globalNorm(avg);
      const gradNorm = normT.dataSync()[0];
      normT.dispose();
      const clipped = clipByGlobalNorm(avg, gradNorm, cfg.optimizer.max_grad_norm);
      for (const t of avg) t.dispose();
      optimizer.step(clipped, lr);
      for (const t of clipped) t.dispose();
      const loss = lossSum / cfg.grad_accum;
      step = s;
      const dt = (performance.now() - t0) / 1000;
      const rec: StepRecord = { step, loss, lr, gradNorm };
      history.push(rec);
      const samplesSeen = step * cfg.batch_size * cfg.grad_accum;
      logHistory.push({ step, loss, learning_rate: lr, grad_norm: gradNorm });
      emit({
        step,
        metrics: {
          'train/loss': loss,
          'train/lr': lr,
          'train/grad_norm': gradNorm,
          'train/tokens_per_s': round(tokensPerStep / dt, 5),
          'train/epoch': round(samplesSeen / split.train.length, 6),
        },
      });
      emit({ progress: { current: step, total: cfg.steps } });
      log(`step ${step}/${cfg.steps} loss ${round(loss, 5)} lr ${round(lr, 4)} grad_norm ${round(gradNorm, 4)} ${Math.round(tokensPerStep / dt)} tok/s`);
      opts.onStep?.(rec, control);
      const last = step === cfg.steps;
      if (cfg.eval_every > 0 && step % cfg.eval_every === 0) runEval(step);
      if (last) runEval(step);
      if ((cfg.sample_every > 0 && step % cfg.sample_every === 0) || (last && cfg.sample_every > 0)) makeSamples(step);
      if (!last && cfg.checkpoint_every > 0 && step % cfg.checkpoint_every === 0) writeCheckpoint(step);
    }
    await yieldToEvents();
    handleRequests();
    const finished = step >= cfg.steps && !(control.stopReason && step < cfg.steps);
    // a checkpoint at the end, or where a stop left off (resuming continues from it)
    if (step > 0 || finished) writeCheckpoint(step);
    let adapterDir: string | null = null;
    const all = listCheckpoints(cfg.output);
    const best = bestOf(all);
    if (finished) {
      adapterDir = path.join(cfg.output, 'adapter');
      fs.mkdirSync(adapterDir, { recursive: true });
      for (const f of [ADAPTER_CONFIG, ADAPTER_WEIGHTS]) fs.copyFileSync(path.join(lastCheckpoint!, f), path.join(adapterDir, f));
    }
    writeFileAtomic(
      path.join(cfg.output, TRAINER_STATE_FILE),
      JSON.stringify(
        {
          status: finished ? 'finished' : 'stopped',
          stop_reason: finished ? null : control.stopReason,
          step,
          total_steps: cfg.steps,
          last_checkpoint: lastCheckpoint,
          best_checkpoint: best?.path ?? null,
          best_eval_loss: best?.evalLoss ?? null,
          adapter: adapterDir,
          backend: backend.name,
        },
        null,
        1,
      ) + '\n',
    );
    emit({ status: finished ? 'finished' : `stopped at step ${step}: ${control.stopReason}` });
    return {
      status: finished ? 'finished' : 'stopped',
      stopReason: finished ? null : control.stopReason,
      step,
      totalSteps: cfg.steps,
      history,
      evals,
      samples,
      checkpoints,
      lastCheckpoint,
      bestCheckpoint: best?.path ?? null,
      adapterDir,
      backend,
    };
  } finally {
    optimizer?.dispose();
    model.dispose();
  }
}

function generateIds(model: Gpt2Model, tok: TextTokenizer, prompt: string, cfg: ResolvedTrainConfig, rng: Rng): number[] {
  return model.generate(tok.encode(prompt), {
    maxNewTokens: cfg.sample.max_new_tokens,
    topK: cfg.sample.top_k,
    temperature: cfg.sample.temperature,
    rng,
    eosId: tok.eosId,
    contextSize: cfg.block_size,
  });
}

/**
 * What a dataset too small for the config does to a run, said before training: fewer training
 * blocks than a batch repeats blocks within every batch; no eval blocks means no eval/loss.
 */
export function dataWarnings(trainBlocks: number, evalBlocks: number, cfg: { batch_size: number; block_size: number; eval_fraction: number; eval_every: number }): Array<{ title: string; text: string }> {
  const out: Array<{ title: string; text: string }> = [];
  if (trainBlocks < cfg.batch_size) {
    out.push({
      title: 'Fewer training blocks than a batch',
      text: `The dataset gives ${trainBlocks} training block${trainBlocks === 1 ? '' : 's'} of ${cfg.block_size} tokens, fewer than batch_size ${cfg.batch_size}: every batch repeats blocks, so the model sees the same text many times. Add text, or lower "block_size" or "batch_size".`,
    });
  }
  if (evalBlocks === 0 && cfg.eval_every > 0) {
    out.push({
      title: 'No eval blocks',
      text: `The dataset gives no eval blocks (eval_fraction ${cfg.eval_fraction}), so no eval/loss is logged and "keep_best" has nothing to rank. Add text, lower "block_size", or raise "eval_fraction".`,
    });
  }
  return out;
}
