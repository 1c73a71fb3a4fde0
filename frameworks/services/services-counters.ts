/**
 * What the services object counts since it started, for Marathon's `/metrics` (leader-metrics.ts):
 * memory only, as Marathon's counters count "since the current instance became leader".
 */

/** What the object counts since it started, for `/metrics`. */
export interface ServicesCounters {
  /** When the object started (ms). */
  startedAt: number;
  /** When its current subscription began (ms); undefined while it has none. */
  subscribedAt?: number;
  /** Clients attached to `/v2/events`. */
  eventStreams: number;
  deployments: number;
  tasksLaunched: number;
  offersIncoming: number;
  offersUsed: number;
  offersDeclined: number;
  revives: number;
  suppresses: number;
  launchOperations: number;
}

/** Counters at zero, for an object started at `nowMs`. */
export const newCounters = (nowMs: number): ServicesCounters => ({
  startedAt: nowMs,
  eventStreams: 0,
  deployments: 0,
  tasksLaunched: 0,
  offersIncoming: 0,
  offersUsed: 0,
  offersDeclined: 0,
  revives: 0,
  suppresses: 0,
  launchOperations: 0,
});
