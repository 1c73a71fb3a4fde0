/**
 * The master's clockwork: everything that is due at a moment rather than asked for by a call —
 * ping and unreachable timeouts, failover deadlines, offer timeouts, heartbeats, expired refuse
 * filters, the allocation run, draining, inverse offers and revocable offers — and the earliest
 * moment something will be due next (the Durable Object's one alarm).
 */
import { expiredFilters, isUnexpired, nextFilterExpiry } from "../allocator/index.ts";
import { drainProgress } from "../decide/agent-drain.ts";
import { allocationOffers } from "../decide/allocation-step.ts";
import type { Effect } from "../decide/effects.ts";
import { decideRestartDeadlines, expiredFrameworks, nextFailoverDeadline } from "../decide/failover.ts";
import { expiredInverseFilters, inverseOfferChanges } from "../decide/inverse-offers.ts";
import { addUnavailability } from "../decide/maintenance.ts";
import { decideUnreachable, isReachable } from "../decide/partitions.ts";
import { decideRetention } from "../decide/retention.ts";
import { decideTeardown } from "../decide/scheduler-calls.ts";
import { offersGone, onAgent } from "../decide/view.ts";
import type { MasterState } from "./master-state.ts";

/** How far ahead `nextDeadline` looks at most. */
const MAX_DEADLINE_AHEAD_MS = 24 * 3600_000;
/** A retention pass (decide/retention.ts) runs at most this often: it walks every task. */
export const RETENTION_INTERVAL_MS = 10_000;

/** The tick's own memory (heartbeats, allocation runs, deadlines derived at start); see the file comment. */
export class Ticker {
  /** The start-derived failover deadlines are not persisted yet (done at the first tick). */
  private restartDeadlinesPending = true;
  private allocationRuns = 0;
  private nextHeartbeatAt: number;
  private nextRetentionAt: number;

  constructor(now: number, heartbeatIntervalMs: number) {
    this.nextHeartbeatAt = now + heartbeatIntervalMs;
    this.nextRetentionAt = now + RETENTION_INTERVAL_MS;
  }

  /** Runs everything due at `now`; returns when it wants to be called next. */
  tick(state: MasterState, now: number): number | undefined {
    const { config } = state;
    const effects: Effect[] = [];
    for (const id of state.liveness.pingTimedOut(now, config.agentPingTimeoutMs)) effects.push(...offersGone(state, onAgent(id), true));
    // Offers just withdrawn above (ping timeout in this tick) are not withdrawn twice.
    const withdrawn = new Set(effects.flatMap((e) => (e.kind === "offerGone" ? [e.offerId] : [])));
    for (const id of state.liveness.unreachable(now, config.agentUnreachableTimeoutMs)) {
      effects.push(...decideUnreachable(state, id, state.ctx(now)).filter((e) => e.kind !== "offerGone" || !withdrawn.has(e.offerId)));
    }
    if (this.restartDeadlinesPending) {
      this.restartDeadlinesPending = false;
      effects.push(...decideRestartDeadlines(state, state.startedAt));
    }
    for (const fid of expiredFrameworks(state, state.startedAt, now)) effects.push(...decideTeardown(state, fid, state.ctx(now)));
    if (config.offerTimeoutMs > 0) {
      for (const o of state.offers.values()) {
        if (o.createdAt + config.offerTimeoutMs <= now) effects.push({ kind: "offerGone", offerId: o.offer.id.value, rescind: true }, { kind: "allocate" });
      }
    }
    state.apply(effects, now);
    if (now >= this.nextHeartbeatAt) {
      for (const fid of state.streams.keys()) state.outbox.send(fid, { type: "HEARTBEAT" });
      this.nextHeartbeatAt = now + config.heartbeatIntervalMs;
    }
    if (expiredFilters(state.filters, now).length > 0) {
      state.filters = state.filters.filter((f) => isUnexpired(f, now));
      state.requestAllocation(now - config.allocationIntervalMs);
    }
    const allocating = state.allocateAt !== undefined && state.allocateAt <= now;
    if (allocating) {
      state.allocateAt = undefined;
      const started = performance.now();
      const offers = allocationOffers(state, now, ++this.allocationRuns, () => state.newOfferId());
      addUnavailability(state, offers);
      state.allocationTimer.record(performance.now() - started);
      if (offers.length) state.apply([{ kind: "offers", offers }], now);
    }
    for (const key of expiredInverseFilters(state.inverseOffers, now)) state.inverseOffers.filters.delete(key);
    // A reachable agent may still hold updates this instance has not seen (see Liveness.caughtUp).
    const drainEffects = drainProgress(state, now).filter(
      (e) => e.kind !== "agent" || state.liveness.caughtUp.has(e.agent.id) || !isReachable(state.agents.get(e.agent.id)!),
    );
    state.apply([...drainEffects, ...inverseOfferChanges(state, now, () => state.newOfferId())], now);
    for (const e of drainEffects) if (e.kind === "agent" && e.agent.goneAt !== undefined) state.liveness.drop(e.agent.id);
    const revocable = state.oversubscription.run(state, now, allocating, () => state.newOfferId());
    for (const e of revocable) if (e.kind === "offers") addUnavailability(state, e.offers);
    if (revocable.length) state.apply(revocable, now);
    if (state.retentionDue && now >= this.nextRetentionAt) {
      state.retentionDue = false;
      this.nextRetentionAt = now + RETENTION_INTERVAL_MS;
      const forget = decideRetention(state);
      if (forget.length) state.apply(forget, now);
    }
    return this.nextDeadline(state, now);
  }

  /** The earliest moment something is due. */
  nextDeadline(state: MasterState, now: number): number | undefined {
    const { config } = state;
    const times = [state.allocateAt, nextFilterExpiry(state.filters, now), state.inverseOffers.nextFilterExpiry(now)];
    if (state.streams.size > 0) times.push(this.nextHeartbeatAt);
    times.push(state.oversubscription.dueAt);
    if (state.retentionDue) times.push(this.nextRetentionAt);
    times.push(...state.liveness.deadlines(config.agentPingTimeoutMs, config.agentUnreachableTimeoutMs));
    times.push(nextFailoverDeadline(state, state.startedAt));
    if (config.offerTimeoutMs > 0) for (const o of state.offers.values()) times.push(o.createdAt + config.offerTimeoutMs);
    const due = times.filter((t): t is number => t !== undefined);
    // At most a day ahead: a deadline decades away (a huge failover_timeout or refuse_seconds)
    // is no valid Date, which an alarm refuses; an early tick does nothing and asks again.
    return due.length ? Math.min(...due, now + MAX_DEADLINE_AHEAD_MS) : undefined;
  }
}
