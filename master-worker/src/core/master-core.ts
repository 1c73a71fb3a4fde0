/**
 * The master, free of Durable Object specifics: its state (master-state.ts) and the calls that
 * change it — the agents' protocol (agent-protocol.ts), the schedulers' (scheduler-protocol.ts)
 * and the tick (tick.ts). Each asks the pure deciders what to do, commits their effects through
 * the `Store` in one transaction (commit.ts), then tells frameworks and agents through the
 * `Outbox`; a refusal comes back as a `Rejection` value. The Durable Object and the test harness
 * both drive it; the clock is always an input.
 */
import type { PollRequest, PollResponse, RegisterRequest, RegisterResponse, SchedulerCall, StatusRequest, StatusResponse } from "../../../schemas/index.ts";
import type { Rejection } from "../model/rejection.ts";
import * as agents from "./agent-protocol.ts";
import { type MasterCoreOptions, MasterState } from "./master-state.ts";
import * as schedulers from "./scheduler-protocol.ts";
import { Ticker } from "./tick.ts";

export type { MasterCoreOptions } from "./master-state.ts";
export type { Entropy, Outbox } from "./outbox.ts";
export type { Subscribed } from "./scheduler-protocol.ts";

/** The master's state and its operations; see the file comment. */
export class MasterCore extends MasterState {
  private readonly ticker: Ticker;

  constructor(opts: MasterCoreOptions) {
    super(opts);
    this.ticker = new Ticker(opts.now, this.config.heartbeatIntervalMs);
  }

  // ---- agents (agent-protocol.ts) ----
  /** (Re-)registration; `auth`: the presented token's hash and the freshly issued token. */
  register(req: RegisterRequest, now: number, auth: agents.RegisterAuth): RegisterResponse | Rejection {
    return agents.register(this, req, now, auth);
  }
  /** A refusal unless `presentedHash` is the hash of the token issued to `agentId`. */
  checkAgentToken(agentId: string, presentedHash: string | undefined): Rejection | undefined {
    return agents.checkAgentToken(this, agentId, presentedHash);
  }
  /** Takes a poll's receipts; answers at once when there is something to say, else null. */
  poll(req: PollRequest, now: number, presentedHash: string | undefined): PollResponse | null | Rejection {
    return agents.poll(this, req, now, presentedHash);
  }
  /** What is waiting for an agent: commands after `ackSeq` and framework acknowledgements. */
  pending(agentId: string, ackSeq: number): PollResponse {
    return agents.pending(this, agentId, ackSeq);
  }
  /** Marks a long-poll start/end so an agent inside a held poll counts as alive. */
  pollHeld(agentId: string, delta: 1 | -1, now: number): void {
    agents.pollHeld(this, agentId, delta, now);
  }
  /** An agent's status updates; answers which of them the agent may forget. */
  status(req: StatusRequest, now: number, presentedHash: string | undefined): StatusResponse | Rejection {
    return agents.status(this, req, now, presentedHash);
  }
  /** MARK_AGENT_GONE. */
  markAgentGone(agentId: string, now: number): void {
    agents.markAgentGone(this, agentId, now);
  }

  // ---- frameworks (scheduler-protocol.ts) ----
  /** SUBSCRIBE: the new stream id and the events that open the stream, or the refusal. */
  subscribe(call: Extract<SchedulerCall, { type: "SUBSCRIBE" }>, principal: string | undefined, now: number): schedulers.Subscribed | Rejection {
    return schedulers.subscribe(this, call, principal, now);
  }
  /** Any call but SUBSCRIBE, on behalf of the framework owning `streamId`; undefined when done, else the refusal. */
  call(call: Exclude<SchedulerCall, { type: "SUBSCRIBE" }>, principal: string | undefined, streamId: string | null, now: number): Rejection | undefined {
    return schedulers.call(this, call, principal, streamId, now);
  }
  /** An ACCEPT the Worker refused as malformed: its offers are released (when the caller owns the stream); answers `rejection`. */
  rejectedAccept(
    fid: string,
    offerIds: readonly string[],
    principal: string | undefined,
    streamId: string | null,
    rejection: Rejection,
    now: number,
  ): Rejection {
    return schedulers.rejectedAccept(this, fid, offerIds, principal, streamId, rejection, now);
  }
  /** The framework's stream broke: withdraw its offers (it keeps its tasks). */
  disconnected(frameworkId: string, streamId: string, now: number): void {
    schedulers.disconnected(this, frameworkId, streamId, now);
  }

  // ---- time (tick.ts) ----
  /** Runs everything due at `now`; returns when it wants to be called next. */
  tick(now: number): number | undefined {
    return this.ticker.tick(this, now);
  }
  /** The earliest moment something is due. */
  nextDeadline(now: number): number | undefined {
    return this.ticker.nextDeadline(this, now);
  }
}
