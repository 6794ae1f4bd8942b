// The follow service in the runtime: while VS Code is open, the runtime is
// the store's follower (see follower.ts): run files of unsupervised Python
// trainers are ingested live through the runtime's own Tracker (so views
// update as for jobs), and files left by runs that ended while nothing
// followed are read when the store is opened. Never creates the store.
import type { RuntimeContext } from '../context';
import type { TrackingService } from '../tracking/service';
import { Follower } from './follower';

export function register(ctx: RuntimeContext, tracking: TrackingService): void {
  let follower: Follower | null = null;
  const start = () => {
    if (follower || !ctx.store.exists()) return;
    follower = new Follower({
      db: tracking.db,
      tracker: tracking.tracker,
      storeDir: ctx.store.dir,
      label: 'runtime',
      log: (m) => ctx.log.warn(`follow: ${m}`),
      onRunsChanged: (runIds) => ctx.notifyChanged({ kinds: ['runs'], runIds }),
    });
    follower.start();
  };
  // A store made later (by the CLI or the Python client) is noticed.
  const watchForStore = setInterval(() => {
    if (follower) return clearInterval(watchForStore);
    start();
  }, 2000);
  start();
  ctx.onShutdown(() => {
    clearInterval(watchForStore);
    follower?.stop();
  });
}
