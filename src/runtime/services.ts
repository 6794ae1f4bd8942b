// The list of runtime services. Each registers its requests, notifications
// and diagnostics on the context; add a service here and nowhere else.
import type { RuntimeContext } from './context';
import * as status from './status';

export function registerServices(ctx: RuntimeContext): void {
  status.register(ctx);
}
