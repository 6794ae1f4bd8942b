// Messages between the extension host and the runtime process (JSON-RPC over
// stdio through vscode-languageclient). Both sides import this file; it must
// not import vscode or node-only modules.
import { NotificationType, RequestType } from 'vscode-jsonrpc';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug', 'trace'];

/** Sent by the client as `initializationOptions`. */
export interface RuntimeInitOptions {
  /** Absolute path of the store folder (the `.tunestudio` directory). */
  storeDir: string;
  /** Workspace folders (absolute paths) the runtime may look into. */
  workspaceFolders: string[];
  logLevel: LogLevel;
  /** False in an untrusted workspace: the runtime then refuses to start jobs. */
  trusted: boolean;
  /** Extension root, for bundled assets (schemas, wasm files). */
  extensionPath: string;
  /** Settings the runtime needs at start; later changes come by notification. */
  settings?: RuntimeSettings;
}

export interface RuntimeSettings {
  jobsSlots?: number;
  /** tuneStudio.jobs.backend: where a job whose spec names no "backend" runs. */
  jobsBackend?: 'local' | 'slurm';
  ffmpegPath?: string;
  trainingBackend?: string;
  /** tuneStudio.captioning.modelPath: a local CLAP model folder (empty: the default model, downloaded once). */
  captioningModelPath?: string;
  /** tuneStudio.captioning.offline: never download the captioning model. */
  captioningOffline?: boolean;
  /** tuneStudio.training.modelFolders: folders searched for models named by id before downloading. */
  trainingModelFolders?: string[];
  /** tuneStudio.training.offline: never download training models. */
  trainingOffline?: boolean;
}

export interface BackendInfo {
  /** e.g. 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu', 'onnxruntime-node', 'ffmpeg', 'nvidia-smi' */
  name: string;
  available: boolean;
  /** Why it is (not) available, in a user's words. */
  detail: string;
}

export interface RuntimeStatus {
  pid: number;
  nodePath: string;
  nodeVersion: string;
  platform: string;
  arch: string;
  startedAt: string;
  storeDir: string;
  dbPath: string;
  /** null until the store is opened (it is created on first need). */
  schemaVersion: number | null;
  latestSchemaVersion: number;
  backends: BackendInfo[];
  logLevel: LogLevel;
  trusted: boolean;
  /** True when this runtime holds the scheduler lease for the store. */
  scheduler?: { holder: boolean; detail: string };
}

export namespace RuntimeStatusRequest {
  export const method = 'tunestudio/runtimeStatus' as const;
  export const type = new RequestType<void, RuntimeStatus, void>(method);
}

export namespace SetLogLevelNotification {
  export const method = 'tunestudio/setLogLevel' as const;
  export const type = new NotificationType<{ level: LogLevel }>(method);
}

export namespace SetTrustNotification {
  export const method = 'tunestudio/setTrust' as const;
  export const type = new NotificationType<{ trusted: boolean }>(method);
}

export namespace SetSettingsNotification {
  export const method = 'tunestudio/setSettings' as const;
  export const type = new NotificationType<RuntimeSettings>(method);
}

export type DataKind = 'runs' | 'jobs' | 'alerts' | 'datasets' | 'metrics';

/** Runtime → client: something the views show has changed. */
export interface DataChangedParams {
  kinds: DataKind[];
  /** Runs whose data changed, when known (lets views refresh only those). */
  runIds?: string[];
}

export namespace DataChangedNotification {
  export const method = 'tunestudio/dataChanged' as const;
  export const type = new NotificationType<DataChangedParams>(method);
}
