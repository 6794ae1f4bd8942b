// Probes which compute backends and tools this machine offers, cheaply (no
// model or tfjs load): used by Runtime Status and by backend selection.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendInfo } from '../protocol/runtime';
import { findOnPath } from './os/path';

function resolvable(pkg: string): string | null {
  try {
    return require.resolve(`${pkg}/package.json`);
  } catch {
    return null;
  }
}

/** The runtime's one PATH lookup lives in the OS layer; re-exported for existing callers. */
export { findOnPath } from './os/path';

function runVersion(file: string, args: string[], timeoutMs = 3000): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, windowsHide: true }, (err, stdout) => {
      if (err) resolve(null);
      else resolve(String(stdout).split('\n')[0].trim());
    });
  });
}

/** A tfjs native binding is usable only when its package and its compiled addon exist. */
function tfjsNativeInfo(pkg: string): BackendInfo {
  const pj = resolvable(pkg);
  if (!pj) {
    return {
      name: pkg.replace('@tensorflow/', ''),
      available: false,
      detail: `${pkg} is not installed (an optional dependency; its install downloads libtensorflow, which failed or was skipped).`,
    };
  }
  const root = path.dirname(pj);
  const binding = findFile(path.join(root, 'lib'), (f) => f.endsWith('.node'));
  return binding
    ? { name: pkg.replace('@tensorflow/', ''), available: true, detail: `native binding at ${binding}` }
    : {
        name: pkg.replace('@tensorflow/', ''),
        available: false,
        detail: `${pkg} is installed but its native binding is missing (libtensorflow was not downloaded).`,
      };
}

function findFile(dir: string, pred: (f: string) => boolean, depth = 4): string | null {
  if (depth < 0) return null;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isFile() && pred(e.name)) return p;
    if (e.isDirectory()) {
      const found = findFile(p, pred, depth - 1);
      if (found) return found;
    }
  }
  return null;
}

export async function probeBackends(opts: { ffmpegPath?: string } = {}): Promise<BackendInfo[]> {
  const out: BackendInfo[] = [];
  out.push(tfjsNativeInfo('@tensorflow/tfjs-node-gpu'));
  out.push(tfjsNativeInfo('@tensorflow/tfjs-node'));
  out.push(
    resolvable('@tensorflow/tfjs-backend-wasm')
      ? { name: 'wasm', available: true, detail: '@tensorflow/tfjs-backend-wasm (WebAssembly, SIMD and threads where supported)' }
      : { name: 'wasm', available: false, detail: '@tensorflow/tfjs-backend-wasm is not installed' },
  );
  out.push(
    resolvable('@tensorflow/tfjs-core')
      ? { name: 'cpu', available: true, detail: 'tfjs pure JavaScript backend (slowest; always works)' }
      : { name: 'cpu', available: false, detail: '@tensorflow/tfjs is not installed' },
  );
  out.push(
    resolvable('onnxruntime-node')
      ? { name: 'onnxruntime-node', available: true, detail: 'ONNX Runtime (CPU) for captioning models' }
      : { name: 'onnxruntime-node', available: false, detail: 'onnxruntime-node is not installed; captioning is unavailable' },
  );
  const ffmpeg = opts.ffmpegPath || findOnPath('ffmpeg');
  const ffv = ffmpeg ? await runVersion(ffmpeg, ['-version']) : null;
  out.push(
    ffv
      ? { name: 'ffmpeg', available: true, detail: `${ffmpeg}: ${ffv}` }
      : {
          name: 'ffmpeg',
          available: false,
          detail: 'ffmpeg not found: install it (apt-get install ffmpeg) or set tuneStudio.audio.ffmpegPath',
        },
  );
  const smi = findOnPath('nvidia-smi');
  const gpus = smi ? await runVersion(smi, ['--query-gpu=name,memory.total', '--format=csv,noheader']) : null;
  out.push(
    gpus
      ? { name: 'nvidia-smi', available: true, detail: gpus }
      : { name: 'nvidia-smi', available: false, detail: 'no NVIDIA GPU found (nvidia-smi missing or failing)' },
  );
  return out;
}
