/**
 * The status update manager: the "nothing lost" half of the agent protocol. Each update gets a
 * fresh uuid and is checkpointed before it is sent. New updates are sent at once; then every
 * pending update is re-sent (oldest first, so each task's updates stay in order) with backoff
 * until the master reports it acknowledged by the framework (the master forwards each retry
 * to the framework, so updates already sent are only re-sent on the retry schedule).
 * Acknowledged uuids are then confirmed in the next poll's `acked_uuids`.
 */
import type { TaskStatus } from "../../../schemas/mesos.ts";
import { Backoff } from "../../../sdk/src/backoff.ts";
import { randomUuidBase64 } from "../../../sdk/src/base64.ts";
import type { PendingUpdate, StateStore } from "../state/checkpoint.ts";
import { type Clock, nextTurn } from "../system/clock.ts";
import { errorText, type Logger } from "../system/log.ts";
import type { MasterClient } from "./master-client.ts";

/** Retry delays for unacknowledged updates (Mesos uses 10 s → 10 min; we are chattier). */
export const STATUS_RETRY_INITIAL_MS = 1_000;
export const STATUS_RETRY_MAX_MS = 30_000;
/** Most updates sent in one /agent/v1/status request. */
export const STATUS_BATCH_MAX = 500;

/** A new update's uuid: 16 random bytes, base64 (standard alphabet), as Mesos' JSON carries it. */
export const newUpdateUuid = randomUuidBase64;

/** What the manager needs from the outside world. */
export interface StatusUpdateDeps {
  store: StateStore;
  client: MasterClient;
  clock: Clock;
  log: Logger;
  newUuid?: () => string;
  /** Jitter for the retry delays (see `AgentDeps.backoffRandom`); none when absent. */
  backoffRandom?: () => number;
  /** Called once per update when it is acknowledged (after the checkpoint). */
  onAcknowledged?: (update: PendingUpdate) => void;
}

/** Owns `state.updates` and `state.acked_uuids`. */
export class StatusUpdateManager {
  private readonly backoff: Backoff;
  private nextSendAt = 0;
  private wake = new AbortController();
  /** Aborted by `stop()`: ends a send in flight. */
  private halt = new AbortController();
  private stopped = true;
  private loopDone: Promise<void> = Promise.resolve();
  private inFlight: Promise<boolean> | undefined;
  /** New updates (or a registration) since the last send: send what was never sent, now. */
  private newWork = false;
  private online = false;
  /** uuids sent successfully since the last (re-)registration. */
  private readonly sent = new Set<string>();

  constructor(private readonly deps: StatusUpdateDeps) {
    this.backoff = new Backoff(STATUS_RETRY_INITIAL_MS, STATUS_RETRY_MAX_MS, deps.backoffRandom);
  }

  /** Updates not yet acknowledged, oldest first. */
  pending(): readonly PendingUpdate[] {
    return this.deps.store.state.updates;
  }

  /**
   * Records a new update for `frameworkId`: assigns uuid, timestamp and agent id, marks the
   * state changed, then wakes the sender (which checkpoints it before sending it). Returns the
   * update as it will be sent.
   */
  enqueue(frameworkId: string, status: Omit<TaskStatus, "uuid" | "timestamp">): PendingUpdate {
    const { store, clock } = this.deps;
    const agentId = store.state.agent_id;
    const update: PendingUpdate = {
      framework_id: frameworkId,
      status: {
        ...status,
        ...(agentId && !status.agent_id ? { agent_id: { value: agentId } } : {}),
        timestamp: clock.now() / 1000,
        uuid: (this.deps.newUuid ?? newUpdateUuid)(),
      },
    };
    store.state.updates.push(update);
    store.changed();
    this.kick();
    return update;
  }

  /**
   * Sends every pending update once (only those never sent when `onlyNew`). Resolves true when
   * the master accepted the request (or there was nothing to send).
   */
  async flush(onlyNew = false): Promise<boolean> {
    while (this.inFlight) await this.inFlight;
    this.inFlight = this.send(onlyNew).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async send(onlyNew: boolean): Promise<boolean> {
    const { store, client, log } = this.deps;
    // Updates created in this same turn (a task's STARTING and RUNNING) go in one request.
    await nextTurn();
    let batch = store.state.updates.filter((u) => !onlyNew || !this.sent.has(u.status.uuid)).slice(0, STATUS_BATCH_MAX);
    if (!this.online || !store.state.agent_id || batch.length === 0) return true;
    try {
      // Never send an update before it is on disk: one write covers the whole batch.
      await store.flush();
    } catch (e) {
      log.error("cannot checkpoint status updates; will retry", { pending: store.state.updates.length, error: errorText(e) });
      return false;
    }
    if (this.halt.signal.aborted) return false; // stopped meanwhile
    const agentId = store.state.agent_id;
    const pending = new Set(store.state.updates);
    batch = batch.filter((u) => pending.has(u)); // some may have been acknowledged meanwhile
    if (!this.online || !agentId || batch.length === 0) return true;
    try {
      const res = await client.status(
        {
          agent_id: { value: agentId },
          ...(store.state.agent_token ? { agent_token: store.state.agent_token } : {}),
          updates: batch.map((u) => ({ framework_id: { value: u.framework_id }, status: u.status })),
        },
        this.halt.signal,
      );
      for (const u of batch) this.sent.add(u.status.uuid);
      log.debug("status updates sent", { count: batch.length, acknowledged: res.acknowledged.length });
      this.acknowledge(res.acknowledged);
      return true;
    } catch (e) {
      if (!this.stopped) log.warn("sending status updates failed; will retry", { pending: store.state.updates.length, error: errorText(e) });
      return false;
    }
  }

  /** The framework acknowledged these uuids: stop retrying them, confirm them in the next poll. */
  acknowledge(uuids: readonly string[]): void {
    if (uuids.length === 0) return;
    const { store } = this.deps;
    const acked = new Set(uuids);
    const done = store.state.updates.filter((u) => acked.has(u.status.uuid));
    store.state.updates = store.state.updates.filter((u) => !acked.has(u.status.uuid));
    for (const uuid of uuids) this.sent.delete(uuid);
    const known = new Set(store.state.acked_uuids);
    for (const uuid of uuids)
      if (!known.has(uuid)) {
        store.state.acked_uuids.push(uuid);
        known.add(uuid);
      }
    store.changed(); // on disk before the next poll reports them in acked_uuids
    if (done.length > 0) this.backoff.reset();
    for (const u of done) this.deps.onAcknowledged?.(u);
  }

  /** Acknowledged uuids to report in the next poll's `acked_uuids`. */
  ackedForPoll(): string[] {
    return [...this.deps.store.state.acked_uuids];
  }

  /** A poll carrying `uuids` in `acked_uuids` succeeded: the master may forget them, so do we. */
  confirmReported(uuids: readonly string[]): void {
    if (uuids.length === 0) return;
    const sent = new Set(uuids);
    this.deps.store.state.acked_uuids = this.deps.store.state.acked_uuids.filter((u) => !sent.has(u));
    this.deps.store.changed();
  }

  /** Send unsent updates now, with the retry delay back at its start (new update). */
  kick(): void {
    this.newWork = true;
    this.backoff.reset();
    this.wake.abort();
  }

  /** The agent is registered (again): send everything pending now. */
  setOnline(): void {
    this.online = true;
    this.sent.clear();
    this.kick();
  }

  /** The agent is not registered (at start, or the master forgot it): hold updates. */
  setOffline(): void {
    this.online = false;
  }

  /** Starts the background sender (no-op when running). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.halt = new AbortController();
    this.loopDone = this.loop();
  }

  /** Stops the background sender (a send in flight is abandoned); pending updates stay checkpointed. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake.abort();
    this.halt.abort();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    const { clock, store } = this.deps;
    while (!this.stopped) {
      if (this.wake.signal.aborted) this.wake = new AbortController();
      if (store.state.updates.length === 0 || !this.online || !store.state.agent_id) {
        await clock.sleep(STATUS_RETRY_MAX_MS, this.wake.signal);
        continue;
      }
      if (this.newWork) {
        this.newWork = false;
        await this.flush(true);
        this.nextSendAt = clock.now() + this.backoff.next();
        continue;
      }
      const wait = this.nextSendAt - clock.now();
      if (wait > 0) {
        await clock.sleep(wait, this.wake.signal);
        continue;
      }
      await this.flush();
      this.nextSendAt = clock.now() + this.backoff.next();
    }
  }
}
