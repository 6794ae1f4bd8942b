// Registers the dataset service on the runtime: its requests, caption
// progress notifications, and diagnostics for dataset.json and sample files
// (re-validated when an open dataset.json changes).
import { ResponseError, type TextDocumentChangeEvent } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CancelCaptionRequest,
  CaptionProgressNotification,
  CaptionRequest,
  CreateDatasetRequest,
  ExportDatasetRequest,
  ImportAudioRequest,
  ListDatasetsRequest,
  ListSamplesRequest,
  MANIFEST_FILE,
  SampleInfoRequest,
  ValidateDatasetRequest,
} from '../../protocol/datasets';
import { SamplePeaksRequest } from '../../protocol/peaks';
import { PeaksCache, samplePeaks } from '../audio/peaks';
import type { RuntimeContext } from '../context';
import { DatasetService } from './service';

/** JSON-RPC error code for a request refused for a reason the user can fix (message says how). */
export const REQUEST_REFUSED = -32803;

function userError(e: unknown): ResponseError<{ name: string }> {
  if (e instanceof ResponseError) return e;
  const err = e as Error;
  return new ResponseError(REQUEST_REFUSED, err?.message ?? String(e), { name: err?.name ?? 'Error' });
}

function wrap<P, R>(fn: (p: P) => R | Promise<R>): (p: P) => Promise<R> {
  return async (p: P) => {
    try {
      return await fn(p);
    } catch (e) {
      throw userError(e);
    }
  };
}

export function register(ctx: RuntimeContext): DatasetService {
  const service = new DatasetService({
    store: ctx.store,
    log: ctx.log,
    settings: () => ({
      ffmpegPath: ctx.settings.ffmpegPath,
      captioningModelPath: ctx.settings.captioningModelPath,
      captioningOffline: ctx.settings.captioningOffline,
    }),
    workspaceFolders: ctx.options.workspaceFolders,
    publish: (uri, diagnostics) => void ctx.connection.sendDiagnostics({ uri, diagnostics }),
    onChanged: () => ctx.notifyChanged({ kinds: ['datasets'] }),
    onProgress: (p) => void ctx.connection.sendNotification(CaptionProgressNotification.type, p),
    documentText: (file) => ctx.documents.get(pathToFileURL(file).href)?.getText() ?? null,
  });
  const c = ctx.connection;
  c.onRequest(ListDatasetsRequest.type, wrap(() => service.list()));
  c.onRequest(ListSamplesRequest.type, wrap((p) => service.samples(p.dir)));
  c.onRequest(SampleInfoRequest.type, wrap((p) => service.sampleInfo(p.dir, p.stem)));
  c.onRequest(CreateDatasetRequest.type, wrap((p) => service.create(p)));
  c.onRequest(ImportAudioRequest.type, wrap((p) => service.import(p)));
  c.onRequest(ValidateDatasetRequest.type, wrap((p) => service.validate(p.dir)));
  // Cancellable by CancelCaptionRequest (the batch id is the client's) or by JSON-RPC cancellation.
  c.onRequest(CaptionRequest.type, (p, token) => {
    const batchId = p.batchId ?? randomUUID();
    token.onCancellationRequested(() => service.cancelCaption(batchId));
    return wrap(() => service.caption({ ...p, batchId }))(undefined);
  });
  c.onRequest(CancelCaptionRequest.type, wrap((p) => ({ cancelled: service.cancelCaption(p.batchId) })));
  c.onRequest(ExportDatasetRequest.type, wrap((p) => service.export(p)));
  // Waveforms for the dataset editor (issue 20): decoded once, cached in the store.
  const peaks = new PeaksCache(() => ctx.store.db);
  c.onRequest(SamplePeaksRequest.type, wrap((p) => samplePeaks(p, { realDir: service.resolveDataset(p.dir), tools: () => service.tools(), cache: peaks })));

  // Live diagnostics for an open dataset.json, a moment after typing stops.
  const timers = new Map<string, NodeJS.Timeout>();
  const onDoc = (e: TextDocumentChangeEvent<TextDocument>) => {
    const uri = e.document.uri;
    if (!uri.startsWith('file:') || !uri.endsWith(`/${MANIFEST_FILE}`)) return;
    clearTimeout(timers.get(uri));
    timers.set(
      uri,
      setTimeout(() => {
        timers.delete(uri);
        service.validateManifestDocument(fileURLToPath(uri)).catch((err) => ctx.log.warn(`validating ${uri} failed`, err));
      }, 300),
    );
  };
  ctx.documents.onDidOpen(onDoc);
  ctx.documents.onDidChangeContent(onDoc);
  ctx.documents.onDidSave(onDoc);
  ctx.onShutdown(async () => {
    timers.forEach((t) => clearTimeout(t));
    await service.dispose();
  });
  return service;
}
