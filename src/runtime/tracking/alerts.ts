// The alerts service: listing (with the same unknown-project and --since
// rules for every face), acknowledging and clearing alerts, with no
// transport. The runtime's handlers and the CLI are adapters over it.
import type { AlertLevel } from '../../protocol/lines';
import type { Alert } from '../../protocol/tracking';
import type { TrackingStore } from '../store/tracking';
import type { Queries } from './queries';

export interface AlertFilter {
  /** Created at or after this time; a time without an offset is UTC. */
  since?: string;
  /** Ids greater than this (poll without gaps or repeats). */
  after?: number;
  level?: AlertLevel;
  minLevel?: AlertLevel;
  run?: string;
  project?: string;
  limit?: number;
  unacknowledged?: boolean;
}

export class AlertsService {
  constructor(private readonly deps: { queries: () => Queries; store: () => TrackingStore }) {}

  list(o: AlertFilter = {}): Alert[] {
    const q = this.deps.queries();
    q.requireProject(o.project);
    return q.alerts(o);
  }

  /** Marks alerts seen; returns how many changed. */
  acknowledge(ids: number[]): number {
    return this.deps.store().alerts.acknowledge(ids);
  }

  /** Deletes alerts; returns how many were deleted. */
  clear(ids: number[]): number {
    return this.deps.store().alerts.clear(ids);
  }
}
