/**
 * The schedulers' side of the core: SUBSCRIBE (a new stream, the events that open it), every
 * other call on behalf of the framework that owns the stream, a refused ACCEPT's offers given
 * back, and a broken stream. Deciding is in decide/ (subscribe.ts, scheduler-dispatch.ts);
 * this file checks the caller, commits, and keeps the framework → stream table.
 */
import type { SchedulerCall, SchedulerEvent } from "../../../schemas/index.ts";
import type { Effect } from "../decide/effects.ts";
import { decideDisconnected } from "../decide/failover.ts";
import { decideCall } from "../decide/scheduler-dispatch.ts";
import { decideSubscribe } from "../decide/subscribe.ts";
import { ofFramework, offersGone } from "../decide/view.ts";
import { isRejection, type Rejection, reject } from "../model/rejection.ts";
import type { MasterState } from "./master-state.ts";

/** What SUBSCRIBE answers: the framework, its new stream, and the events that open it. */
export interface Subscribed {
  frameworkId: string;
  streamId: string;
  events: SchedulerEvent[];
}

/** SUBSCRIBE: returns the new stream id and the events that open the stream, or the refusal. */
export function subscribe(
  state: MasterState,
  call: Extract<SchedulerCall, { type: "SUBSCRIBE" }>,
  principal: string | undefined,
  now: number,
): Subscribed | Rejection {
  const decided = decideSubscribe(state, call, principal, state.ctx(now, principal), () => state.entropy.uuid());
  if (isRejection(decided)) return decided;
  const previous = state.streams.get(decided.frameworkId);
  if (previous) state.outbox.close(decided.frameworkId, { type: "ERROR", error: { message: "Framework failed over" } });
  state.apply(decided.effects, now);
  const streamId = state.entropy.uuid();
  state.streams.set(decided.frameworkId, streamId);
  state.requestAllocation(now);
  const events: SchedulerEvent[] = [
    {
      type: "SUBSCRIBED",
      subscribed: {
        framework_id: { value: decided.frameworkId },
        heartbeat_interval_seconds: state.config.heartbeatIntervalMs / 1000,
        master_info: state.masterInfo,
      },
    },
  ];
  for (const u of [...state.updates.values()].sort((a, b) => a.seq - b.seq)) {
    if (u.frameworkId !== decided.frameworkId || u.acked) continue;
    events.push({ type: "UPDATE", update: { status: u.status } });
    state.updates.markForwarded(u.uuid, now);
  }
  return { frameworkId: decided.frameworkId, streamId, events };
}

/** Any call but SUBSCRIBE, on behalf of the framework owning `streamId`; undefined when done, else the refusal. */
export function call(
  state: MasterState,
  call: Exclude<SchedulerCall, { type: "SUBSCRIBE" }>,
  principal: string | undefined,
  streamId: string | null,
  now: number,
): Rejection | undefined {
  const fid = call.framework_id.value;
  const refused = checkCaller(state, fid, principal, streamId);
  if (refused) return refused;
  const effects = decideCall(state, fid, call, state.ctx(now, principal));
  if (isRejection(effects))
    return call.type === "ACCEPT"
      ? acceptRefused(
          state,
          fid,
          call.accept.offer_ids.map((o) => o.value),
          effects,
          now,
        )
      : effects;
  state.apply(effects, now);
  if (call.type === "TEARDOWN") {
    state.streams.delete(fid);
    state.outbox.close(fid);
  }
  return undefined;
}

/**
 * An ACCEPT the Worker refused as malformed (`rejection`: why) naming `offerIds`: released as
 * every refused ACCEPT's offers are, when the caller owns the framework's stream (else nothing
 * happens). Answers `rejection` either way.
 */
export function rejectedAccept(
  state: MasterState,
  fid: string,
  offerIds: readonly string[],
  principal: string | undefined,
  streamId: string | null,
  rejection: Rejection,
  now: number,
): Rejection {
  return checkCaller(state, fid, principal, streamId) ? rejection : acceptRefused(state, fid, offerIds, rejection, now);
}

/**
 * A refused ACCEPT still uses up the framework's offers it named: their resources go back to
 * the pool instead of staying offered to a framework that has let go of them. The one place
 * that happens, for ACCEPTs the deciders refuse and ones the Worker could not parse.
 */
function acceptRefused(state: MasterState, frameworkId: string, offerIds: readonly string[], rejection: Rejection, now: number): Rejection {
  state.apply([{ kind: "releaseOffers", frameworkId, offerIds: [...offerIds] }], now);
  return rejection;
}

/** A refusal unless `fid` is a live framework of `principal` and `streamId` its current stream. */
function checkCaller(state: MasterState, fid: string, principal: string | undefined, streamId: string | null): Rejection | undefined {
  const framework = state.frameworks.get(fid);
  if (!framework || framework.removed) return reject("invalid", "framework_id", `framework '${fid}' cannot be found`);
  if (framework.principal !== undefined && framework.principal !== principal) {
    return reject("forbidden", "framework_id", `framework '${fid}' belongs to another principal`);
  }
  if (!streamId) return reject("invalid", "Mesos-Stream-Id", "all non-SUBSCRIBE calls must include the 'Mesos-Stream-Id' header");
  const current = state.streams.get(fid);
  if (!current) return reject("forbidden", "framework_id", `framework '${fid}' is not subscribed`);
  if (current !== streamId) return reject("invalid", "Mesos-Stream-Id", `'${streamId}' does not match the framework's current stream`);
  return undefined;
}

/** The framework's stream broke: withdraw its offers (it keeps its tasks). */
export function disconnected(state: MasterState, frameworkId: string, streamId: string, now: number): void {
  if (state.streams.get(frameworkId) !== streamId) return;
  state.streams.delete(frameworkId);
  const effects: Effect[] = [{ kind: "allocate" }];
  effects.push(...offersGone(state, ofFramework(frameworkId), false));
  effects.push(...decideDisconnected(state, frameworkId, now));
  state.apply(effects, now);
}
