// The list of runtime services. Each registers its requests, notifications
// and diagnostics on the context; add a service here and nowhere else.
import type { RuntimeContext } from './context';
import * as status from './status';
import * as tracking from './tracking/service';
import * as jobs from './jobs/service';
import * as datasets from './datasets';
import * as follow from './follow/service';
import * as agentTools from './agents/runtimeTools';
import * as projection from './projection/index';

export function registerServices(ctx: RuntimeContext): void {
  let jobsFace: ReturnType<typeof jobs.register> | null = null;
  status.register(ctx, () => jobsFace?.schedulerStatus());
  const trackingService = tracking.register(ctx);
  jobsFace = jobs.register(ctx, trackingService);
  follow.register(ctx, trackingService);
  agentTools.register(ctx, trackingService);
  datasets.register(ctx);
  projection.register(ctx);
}
