// The list of runtime services. Each registers its requests, notifications
// and diagnostics on the context; add a service here and nowhere else.
import type { RuntimeContext } from './context';
import * as status from './status';
import * as tracking from './tracking/service';
import * as jobs from './jobs/service';
import * as datasets from './datasets';

export function registerServices(ctx: RuntimeContext): void {
  status.register(ctx);
  tracking.register(ctx);
  jobs.register(ctx);
  datasets.register(ctx);
}
