// Job presets: a few fields in the user's words turned into a job spec
// (argv array, parsers, watchers). Users run real trainers with zero code
// changes; the presets pick the parsers that read those trainers' output.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobPreset, JobSpec } from '../../protocol/jobs';
import { splitArgs } from './spec';

type Values = Record<string, string | number>;

interface PresetDef extends JobPreset {
  build(v: Values): JobSpec;
}

function str(v: Values, k: string, dflt = ''): string {
  const x = v[k];
  return x === undefined || x === null ? dflt : String(x).trim();
}

function required(v: Values, k: string, label: string): string {
  const s = str(v, k);
  if (!s) throw new Error(`${label} is required`);
  return s;
}

function numberOf(v: Values, k: string, label: string, dflt: number, o: { min?: number; max?: number; int?: boolean } = {}): number {
  const raw = v[k];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${label} must be a number, got '${raw}'`);
  if (o.int && !Number.isInteger(n)) throw new Error(`${label} must be a whole number, got ${n}`);
  if (o.min !== undefined && n < o.min) throw new Error(`${label} must be at least ${o.min}, got ${n}`);
  if (o.max !== undefined && n > o.max) throw new Error(`${label} must be at most ${o.max}, got ${n}`);
  return n;
}

/** The demo trainer shipped with the extension: dist/demoTrainer.js (bundled from demo/train_demo.js), or the source when run from src/. */
export function demoTrainerPath(): string {
  for (const c of [path.join(__dirname, 'demoTrainer.js'), path.resolve(__dirname, '..', '..', '..', 'demo', 'train_demo.js')]) if (fs.existsSync(c)) return c;
  throw new Error(`the demo trainer (dist/demoTrainer.js) is missing next to ${__dirname}; reinstall the extension or run 'npm run build'`);
}

const PRESETS: PresetDef[] = [
  {
    id: 'demo',
    label: 'Demo trainer',
    description: 'A small trainer shipped with Tune Studio: a loss curve in about 10 s, no Python, no GPU, no network. Set "NaN at step" to watch a NaN alert stop the run.',
    fields: [
      { key: 'steps', label: 'Steps', kind: 'number', default: 200 },
      { key: 'nan_at', label: 'NaN at step', kind: 'number', placeholder: 'e.g. 60 (empty: the loss stays finite)', description: 'Makes train/loss NaN at this step; the NaN watcher then stops the run.' },
      { key: 'seed', label: 'Seed', kind: 'number', default: 1, description: 'The same seed draws the same curve.' },
    ],
    build(v) {
      const steps = numberOf(v, 'steps', 'Steps', 200, { min: 1, max: 100_000, int: true });
      const seed = numberOf(v, 'seed', 'Seed', 1, { int: true });
      const nanAt = str(v, 'nan_at') === '' ? undefined : numberOf(v, 'nan_at', 'NaN at step', 0, { min: 1, max: steps, int: true });
      return {
        name: nanAt === undefined ? 'demo' : 'demo-nan',
        project: 'demo',
        // process.execPath: the runtime's own Node, so the demo needs nothing installed.
        command: [process.execPath, demoTrainerPath(), '--steps', String(steps), '--seed', String(seed), ...(nanAt === undefined ? [] : ['--nan-at', String(nanAt)])],
        parsers: ['protocol'],
        // No watchers here: the demo trainer declares its own NaN watch (a second identical one would raise every alert twice).
        grace_s: 10,
      };
    },
  },
  {
    id: 'ace-step-lora',
    label: 'ACE-Step LoRA',
    description: "Fine-tune ACE-Step with its own trainer.py (PyTorch Lightning); metrics from its progress bar and step lines (ACE-Step 1.5's `Step 70: Epoch 3/1000, Step 70, Loss: 0.7975` too).",
    fields: [
      { key: 'python', label: 'Python', kind: 'string', default: 'python', description: 'The Python that has ACE-Step installed (a venv path works).' },
      { key: 'trainer', label: 'trainer.py', kind: 'file', required: true, placeholder: 'ACE-Step/trainer.py' },
      { key: 'dataset', label: 'Dataset folder', kind: 'folder', required: true, description: 'A Hugging Face dataset folder made from a Tune Studio dataset (Export).' },
      { key: 'lora_config', label: 'LoRA config', kind: 'file', required: true, placeholder: 'config/lora_config_transformer_only.json' },
      { key: 'learning_rate', label: 'Learning rate', kind: 'number', default: 1e-4 },
      { key: 'max_steps', label: 'Max steps', kind: 'number', default: 2000 },
      { key: 'checkpoint_dir', label: 'Checkpoint folder', kind: 'folder', default: './checkpoints' },
      { key: 'exp_name', label: 'Experiment name', kind: 'string', default: 'lora' },
      { key: 'logger_dir', label: 'TensorBoard folder', kind: 'folder', default: './exps/logs' },
    ],
    build(v) {
      const trainer = required(v, 'trainer', 'trainer.py');
      const lr = numberOf(v, 'learning_rate', 'Learning rate', 1e-4, { min: 0 });
      const steps = numberOf(v, 'max_steps', 'Max steps', 2000, { min: 1, int: true });
      const logger = str(v, 'logger_dir', './exps/logs');
      return {
        name: str(v, 'exp_name', 'lora'),
        project: 'ace-step',
        command: [
          str(v, 'python', 'python'),
          trainer,
          '--dataset_path', required(v, 'dataset', 'Dataset folder'),
          '--lora_config_path', required(v, 'lora_config', 'LoRA config'),
          '--learning_rate', String(lr),
          '--max_steps', String(steps),
          '--checkpoint_dir', str(v, 'checkpoint_dir', './checkpoints'),
          '--exp_name', str(v, 'exp_name', 'lora'),
          '--logger_dir', logger,
        ],
        parsers: ['protocol', { regex: 'ace-step' }, { regex: 'lightning' }],
        watchers: [{ metric: 'train/loss', nan: true }],
        config: { learning_rate: lr, max_steps: steps, trainer: 'ACE-Step trainer.py' },
        stall_timeout_s: 1800,
      };
    },
  },
  {
    id: 'hf-trainer',
    label: 'Hugging Face Trainer script',
    description: 'Any script using transformers.Trainer or accelerate: its logged dicts become metrics, its progress bar the step.',
    fields: [
      { key: 'python', label: 'Python', kind: 'string', default: 'python' },
      { key: 'script', label: 'Script', kind: 'file', required: true, placeholder: 'train.py' },
      { key: 'args', label: 'Arguments', kind: 'string', placeholder: '--model_name_or_path gpt2 --num_train_epochs 3', description: 'Split like a shell would, but no shell runs: quotes group, nothing expands.' },
      { key: 'output_dir', label: 'Output folder', kind: 'folder', default: './output' },
    ],
    build(v) {
      const script = required(v, 'script', 'Script');
      const args = splitArgs(str(v, 'args'));
      const out = str(v, 'output_dir', './output');
      if (out && !args.includes('--output_dir')) args.push('--output_dir', out);
      return {
        name: script.replace(/^.*[\\/]/, '').replace(/\.py$/, ''),
        command: [str(v, 'python', 'python'), script, ...args],
        parsers: ['protocol', 'hf'],
        watchers: [{ metric: 'train/loss', nan: true }],
      };
    },
  },
  {
    id: 'custom',
    label: 'Custom command',
    description: 'Any program. It reports with @tunestudio lines, Hugging Face dicts, Lightning bars or TensorBoard files.',
    fields: [
      { key: 'command', label: 'Command line', kind: 'string', required: true, placeholder: 'python train.py --lr 3e-4', description: 'Split into arguments (quotes group); no shell runs.' },
      { key: 'name', label: 'Run name', kind: 'string' },
      { key: 'tfevents', label: 'TensorBoard folder (optional)', kind: 'folder' },
    ],
    build(v) {
      const argv = splitArgs(required(v, 'command', 'Command line'));
      const tb = str(v, 'tfevents');
      return {
        ...(str(v, 'name') ? { name: str(v, 'name') } : {}),
        command: argv,
        parsers: ['protocol', { regex: 'lightning' }, 'hf', ...(tb ? [{ tfevents: tb }] : [])],
      };
    },
  },
  {
    id: 'builtin-lora',
    label: 'Built-in LoRA trainer (tfjs)',
    description: 'Tune Studio’s own trainer: a GPT-2-family model, LoRA adapters in PEFT format, no Python needed.',
    fields: [{ key: 'train_config', label: 'Training config (*.tunetrain.json)', kind: 'file', required: true }],
    build(v) {
      return { kind: 'builtin', train_config: required(v, 'train_config', 'Training config'), watchers: [{ metric: 'train/loss', nan: true }] };
    },
  },
];

export function listPresets(): JobPreset[] {
  return PRESETS.map(({ build: _b, ...p }) => p);
}

export function specFromPreset(id: string, values: Values): JobSpec {
  const p = PRESETS.find((x) => x.id === id);
  if (!p) throw new Error(`unknown preset '${id}'; presets: ${PRESETS.map((x) => x.id).join(', ')}`);
  return p.build(values ?? {});
}
