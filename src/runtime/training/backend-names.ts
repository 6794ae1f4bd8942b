// Names of the trainer's compute backends, free of tfjs imports so config
// checks and Runtime Status can use them without loading a backend.
export type TrainingBackendName = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';
export const TRAINING_BACKENDS: readonly TrainingBackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];
export type BackendPreference = 'auto' | TrainingBackendName;

export function isBackendPreference(v: unknown): v is BackendPreference {
  return v === 'auto' || (TRAINING_BACKENDS as readonly unknown[]).includes(v);
}
