// Registers the projection service on the runtime: spaces, layouts with
// progress notifications, and cancel (also by JSON-RPC cancellation).
import { ResponseError } from 'vscode-languageserver/node';
import {
  ProjectionCancelRequest,
  ProjectionLayoutRequest,
  ProjectionProgressNotification,
  ProjectionSpacesRequest,
} from '../../protocol/projection';
import type { RuntimeContext } from '../context';
import { ProjectionService } from './service';

/** JSON-RPC error code for a request refused for a reason the user can fix (as the dataset service's). */
const REQUEST_REFUSED = -32803;

function refused(e: unknown): ResponseError<{ name: string }> {
  const err = e as Error;
  return new ResponseError(REQUEST_REFUSED, err?.message ?? String(e), { name: err?.name ?? 'Error' });
}

export function register(ctx: RuntimeContext): ProjectionService {
  const service = new ProjectionService({
    db: () => ctx.store.db,
    onProgress: (p) => void ctx.connection.sendNotification(ProjectionProgressNotification.type, p),
  });
  const c = ctx.connection;
  c.onRequest(ProjectionSpacesRequest.type, async (p) => {
    try {
      return service.spaces(p ?? {});
    } catch (e) {
      throw refused(e);
    }
  });
  c.onRequest(ProjectionLayoutRequest.type, async (p, token) => {
    token.onCancellationRequested(() => service.cancel(p.requestId));
    try {
      return await service.layout(p);
    } catch (e) {
      throw refused(e);
    }
  });
  c.onRequest(ProjectionCancelRequest.type, async (p) => ({ cancelled: service.cancel(p.requestId) }));
  ctx.onShutdown(() => service.close());
  return service;
}
