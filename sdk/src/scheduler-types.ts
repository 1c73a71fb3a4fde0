/**
 * Options and event signatures of `SchedulerClient`. Payload types come from the schemas
 * (`EventOf<…>`), never redeclared here.
 */

import type { InverseOffer } from "../../schemas/maintenance.ts";
import type { FrameworkInfo, Offer, OfferID, TaskStatus } from "../../schemas/mesos.ts";
import type { EventOf } from "../../schemas/scheduler.ts";
import type { Credentials } from "./auth.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { SchedulerError } from "./scheduler-errors.ts";

/** The subset of `fetch` the client uses; inject one to add proxies, mTLS or a test double. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Where the client reports what it does; every method is optional. */
export interface Logger {
  debug?(message: string, data?: unknown): void;
  info?(message: string, data?: unknown): void;
  warn?(message: string, data?: unknown): void;
  error?(message: string, data?: unknown): void;
}

/** Everything `new SchedulerClient(…)` accepts; only `master` and `frameworkInfo` are required. */
export interface SchedulerClientOptions {
  /** Base URL of the master, e.g. `http://127.0.0.1:8787` (the path `/api/v1/scheduler` is added). */
  master: string;
  /** Sent in SUBSCRIBE; set `id` to resume an existing framework (failover). */
  frameworkInfo: FrameworkInfo;
  credentials?: Credentials;
  /** ACKNOWLEDGE each update carrying a `uuid` once the "update" handlers return (default true). */
  autoAcknowledge?: boolean;
  /**
   * Automatic acknowledgements that arrive while one is in flight go together in one
   * ACKNOWLEDGE_BATCH (a Strata extension), when the master names it in `Strata-Extensions`
   * (default true; a Mesos master never does, so it always gets one ACKNOWLEDGE per update).
   */
  batchAcknowledgements?: boolean;
  fetch?: FetchLike;
  /** Reconnect delays (defaults 500 ms … 30 s, with jitter). */
  backoff?: Partial<BackoffOptions>;
  /** How long a call made while disconnected waits for re-subscription before rejecting (default 30 s). */
  callTimeoutMs?: number;
  /** How long a single call request may take (default 30 s). */
  requestTimeoutMs?: number;
  /** How long to wait for the SUBSCRIBED event after connecting (default 30 s). */
  subscribeTimeoutMs?: number;
  /** The connection is dead after this many heartbeat intervals without any event (default 3). */
  missedHeartbeats?: number;
  /** Roles to subscribe suppressed (SUBSCRIBE `suppressed_roles`). */
  suppressedRoles?: string[];
  logger?: Logger;
  /** Randomness for backoff jitter (tests pass a fixed one). */
  random?: () => number;
}

/** The SUBSCRIBED event's payload: what `start()` resolves with and "subscribed" handlers get. */
export type Subscribed = EventOf<"SUBSCRIBED">["subscribed"];
type Failure = EventOf<"FAILURE">["failure"];

/** What a "subscribed" handler learns besides the SUBSCRIBED payload. */
export interface SubscriptionInfo {
  streamId: string | undefined;
  /** False on the first SUBSCRIBED of this client, true after every reconnect. */
  resubscribed: boolean;
}

/** What a "disconnected" handler learns. */
export interface DisconnectInfo {
  reason: string;
  error?: unknown;
  /** Consecutive failed attempts so far (1 after the first loss). */
  attempt: number;
  /** Delay before the next SUBSCRIBE. */
  retryInMs: number;
}

/**
 * Handler signature for each client event. Handlers run one at a time, in stream order;
 * a returned promise is awaited before the next event is dispatched.
 */
export interface SchedulerEventHandlers {
  subscribed: (subscribed: Subscribed, info: SubscriptionInfo) => unknown;
  offers: (offers: Offer[]) => unknown;
  rescind: (offerId: OfferID) => unknown;
  /** INVERSE_OFFERS: the master asks for agents' resources back (maintenance); answer with accept/declineInverseOffers. */
  inverseOffers: (inverseOffers: InverseOffer[]) => unknown;
  /** RESCIND_INVERSE_OFFER: an inverse offer no longer stands. */
  rescindInverseOffer: (inverseOfferId: OfferID) => unknown;
  update: (status: TaskStatus) => unknown;
  /**
   * The updates that arrived together, in order, in one call: with a handler for it, the client
   * gathers the UPDATE events read before the next turn of the event loop (or before any other
   * event) and dispatches them at once, so a framework may handle and persist a batch in one go.
   * Each is acknowledged once the `updates` handlers (and any `update` handlers, called for each
   * status after them) have returned.
   */
  updates: (statuses: TaskStatus[]) => unknown;
  /** The master's ERROR event (code `master`) or a fatal HTTP answer to SUBSCRIBE; the client has stopped. */
  error: (error: SchedulerError) => unknown;
  heartbeat: () => unknown;
  failure: (failure: Failure) => unknown;
  disconnected: (info: DisconnectInfo) => unknown;
}
/** The names `on()` accepts. */
export type SchedulerClientEvent = keyof SchedulerEventHandlers;
