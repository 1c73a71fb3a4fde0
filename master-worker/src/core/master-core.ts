/**
 * The master's state machine, free of Durable Object specifics: holds the in-memory mirror
 * of the durable records, asks the pure deciders what to do, commits their effects through a
 * `Store` in one transaction, then tells frameworks and agents through an `Outbox`.
 * The Durable Object and the test harness both drive it; the clock is always an input.
 */
import type {
  MasterInfo, PollRequest, PollResponse, RegisterRequest, RegisterResponse, SchedulerCall, SchedulerEvent,
  StatusRequest, StatusResponse,
} from "../../../schemas/index.ts";
import { decidePollReceipts, decideRegister, decideStatus } from "../decide/agent-calls.ts";
import { allocationOffers } from "../decide/allocation-step.ts";
import { expiredFilters, isUnexpired, nextFilterExpiry } from "../allocator/index.ts";
import type { MasterConfig } from "../model/config.ts";
import type { DecideContext, Effect, RefuseFilter } from "../decide/effects.ts";
import { commitEffects } from "./commit.ts";
import { OversubscriptionPass } from "./oversubscription-pass.ts";
import { TaskStatistics } from "./task-statistics.ts";
import { Interner } from "./interner.ts";
import { UpdateIndex } from "../store/update-index.ts";
import type { Authorizer } from "../model/authorizer.ts";
import { digestsEqual } from "../model/digests.ts";
import { type Rejection, isRejection, reject } from "../model/rejection.ts";
import type { AgentRecord, CommandRecord, FrameworkRecord, Store, TaskRecord } from "../store/records.ts";
import { taskKey } from "../store/records.ts";
import { decideCall, decideSubscribe } from "../decide/subscribe.ts";
import { agentOfferable, drainProgress } from "../decide/agent-drain.ts";
import { InverseOfferBook } from "../decide/inverse-offer-book.ts";
import { expiredInverseFilters, inverseOfferChanges } from "../decide/inverse-offers.ts";
import { addUnavailability, refuseIfDown } from "../decide/maintenance.ts";
import { decideAgentGone, decideUnreachable, goneRejection, isReachable } from "../decide/partitions.ts";
import { decideDisconnected, decideRestartDeadlines, expiredFrameworks, nextFailoverDeadline } from "../decide/failover.ts";
import { decideTeardown } from "../decide/scheduler-calls.ts";
import { TimerStats } from "./timer-stats.ts";
import type { CommitObserver } from "./commit.ts";
import { type MasterView, type OfferRecord, ofFramework, offersGone, onAgent } from "../decide/view.ts";

/** Where the master's words go: framework event streams, agent long-polls, the timer. */
export interface Outbox {
  /** Writes one event to the framework's current stream, if it has one. */
  send(frameworkId: string, event: SchedulerEvent): void;
  /** Ends the framework's current stream, after `last` when given. */
  close(frameworkId: string, last?: SchedulerEvent): void;
  /** A held poll of this agent should answer now. */
  wakeAgent(agentId: string): void;
}

/** How far ahead `nextDeadline` looks at most. */
const MAX_DEADLINE_AHEAD_MS = 24 * 3600_000;

/** What SUBSCRIBE answers: the framework, its new stream, and the events that open it. */
export interface Subscribed { frameworkId: string; streamId: string; events: SchedulerEvent[] }

/** Randomness, injected so tests are repeatable. */
export interface Entropy { uuid(): string; bytes16(): string }

export interface MasterCoreOptions {
  store: Store;
  config: MasterConfig;
  outbox: Outbox;
  entropy: Entropy;
  masterInfo: MasterInfo;
  now: number;
}

/** The master's state and its operations; see the file comment. */
export class MasterCore implements MasterView {
  readonly config: MasterConfig;
  readonly agents = new Map<string, AgentRecord>();
  readonly frameworks = new Map<string, FrameworkRecord>();
  readonly tasks = new Map<string, TaskRecord>();
  readonly updates = new UpdateIndex();
  readonly commands = new Map<string, CommandRecord[]>();
  readonly offers = new Map<string, OfferRecord>();
  filters: RefuseFilter[] = [];
  readonly suppressed = new Set<string>();
  readonly suppressedRoles = new Map<string, ReadonlySet<string>>();
  readonly settings = new Map<string, unknown>();
  /** Inverse offers for agents on DRAINING machines (memory only; inverse-offers.ts). */
  readonly inverseOffers = new InverseOfferBook();
  readonly authorizer: Authorizer;
  /**
   * When each live agent was last heard from, least recent first (`touch` re-inserts), so
   * the next ping deadline is the first entry's. Memory only: liveness is chatter, not state.
   */
  readonly agentSeen = new Map<string, number>();
  readonly polling = new Map<string, number>();
  /**
   * When each reachable agent was last heard from, least recent first: the clock of the
   * unreachable timeout (partitions.ts). Unlike `agentSeen` an agent stays here after its ping
   * timeout. Memory only; after a master start every agent counts as heard from at the start.
   */
  readonly agentHeard = new Map<string, number>();
  /**
   * Agents whose pending status updates this instance has surely seen: they polled it knowing
   * its id (or sending none). A restart forgets the updates agents sent (they are memory only)
   * until each agent learns of the new instance and sends them again, so until then a drain
   * must not count the agent's tasks as acknowledged (agent-drain.ts). Memory only.
   */
  readonly agentsCaughtUp = new Set<string>();
  /** When this instance started (failover deadlines of frameworks the restart disconnected; GET_MASTER, `master/uptime_secs`). */
  readonly startedAt: number;
  /** The start-derived failover deadlines are not persisted yet (done at the first tick). */
  private restartDeadlinesPending = true;
  /** frameworkId → current stream id. */
  readonly streams = new Map<string, string>();
  masterInfo: MasterInfo;
  nextCommandSeq = 1;
  nextUpdateSeq = 1;
  private offerCount = 0;
  private allocationRuns = 0;
  allocateAt: number | undefined;
  private nextHeartbeatAt: number;
  readonly store: Store;
  /** Shares the parts tasks repeat (see interner.ts). */
  readonly interner = new Interner();
  readonly outbox: Outbox;
  readonly entropy: Entropy;
  /** Usage reports and revocable offers (memory only; docs/oversubscription.md). */
  readonly oversubscription = new OversubscriptionPass();
  /** The running tasks' latest reported resource statistics, for operators (memory only; task-statistics.ts). */
  readonly statistics = new TaskStatistics();
  /** How long allocation runs take (`allocator/mesos/allocation_run_ms`); memory only. */
  readonly allocationTimer = new TimerStats();
  /** Told of every committed batch of effects (the operator event stream); see commit.ts. */
  observer: CommitObserver | undefined;

  constructor(opts: MasterCoreOptions) {
    this.config = opts.config;
    this.store = opts.store;
    this.outbox = opts.outbox;
    this.entropy = opts.entropy;
    this.masterInfo = opts.masterInfo;
    this.startedAt = opts.now;
    this.authorizer = this.config.authorizer;
    this.nextHeartbeatAt = opts.now + this.config.heartbeatIntervalMs;
    const s = this.store.load();
    for (const a of s.agents) this.agents.set(a.id, this.interner.agent(a));
    for (const f of s.frameworks) this.frameworks.set(f.id, f);
    for (const t of s.tasks) this.tasks.set(taskKey(t.frameworkId, t.taskId), this.interner.task(t));
    for (const u of s.updates) { this.updates.set(u.uuid, u); this.nextUpdateSeq = Math.max(this.nextUpdateSeq, u.seq + 1); }
    for (const [k, v] of Object.entries(s.settings ?? {})) this.settings.set(k, v);
    for (const c of s.commands) { this.queueOf(c.agentId).push(c); this.nextCommandSeq = Math.max(this.nextCommandSeq, c.seq + 1); }
    // Commands taken by agents are deleted; the counter is kept so seq never goes backwards.
    this.nextCommandSeq = Math.max(this.nextCommandSeq, s.meta.next_command_seq ?? 1);
    for (const a of this.agents.values()) if (isReachable(a)) this.agentHeard.set(a.id, opts.now);
  }

  /** The agent was heard from now (moves it to the end of `agentSeen`). */
  private touch(agentId: string, now: number): void {
    this.agentSeen.delete(agentId);
    this.agentSeen.set(agentId, now);
    this.agentHeard.delete(agentId);
    this.agentHeard.set(agentId, now);
  }

  /** The agent is unreachable or gone: it is no longer tracked as alive. */
  dropLiveness(agentId: string): void {
    this.agentSeen.delete(agentId);
    this.agentHeard.delete(agentId);
  }

  // ---- MasterView ----
  agentConnected(id: string): boolean {
    if (!this.agentSeen.has(id) && !((this.polling.get(id) ?? 0) > 0)) return false;
    const a = this.agents.get(id);
    return a === undefined || isReachable(a);
  }
  agentActive(id: string): boolean { return this.agentConnected(id) && agentOfferable(this, id); }
  frameworkConnected(id: string): boolean { return this.streams.has(id); }
  queueOf(agentId: string): CommandRecord[] {
    let q = this.commands.get(agentId);
    if (!q) this.commands.set(agentId, (q = []));
    return q;
  }

  /** What a decision may use besides the view: the time, fresh uuids, who asked. */
  ctx(now: number, principal?: string): DecideContext {
    return { now, uuid: () => this.entropy.bytes16(), ...(principal !== undefined ? { principal } : {}) };
  }

  /** Applies effects: durable first (one transaction), then memory, then messages. */
  apply(effects: readonly Effect[], now: number): void {
    commitEffects(this, effects, now);
  }

  /** Asks for an allocation run within the configured interval. */
  requestAllocation(now: number): void {
    const at = now + this.config.allocationIntervalMs;
    if (this.allocateAt === undefined || at < this.allocateAt) this.allocateAt = at;
  }

  newOfferId(): string { return `${this.masterInfo.id}-O${++this.offerCount}`; }

  // ---- agents ----
  /**
   * (Re-)registration. `auth.presented` is the hash of the token the agent presented (needed to
   * re-register under an id); `auth.issued` the fresh token (and its hash) it gets now.
   */
  register(req: RegisterRequest, now: number, auth: { presented?: string; issued: { token: string; hash: string } }): RegisterResponse | Rejection {
    if (req.agent_id && !this.agents.has(req.agent_id.value)) {
      // Adopting an id this master never issued would restart its command numbering under an
      // agent that remembers a higher seq: tell it to register afresh instead.
      return reject("not_found", "agent_id", `unknown agent '${req.agent_id.value}'; register without an id`);
    }
    const refused = (req.agent_id ? this.checkAgentToken(req.agent_id.value, auth.presented) : undefined)
      ?? refuseIfDown(this, { hostname: req.hostname, ...(req.ip ? { ip: req.ip } : {}) });
    if (refused) return refused;
    if (req.agent_id && this.agents.get(req.agent_id.value)?.goneAt !== undefined) return goneRejection(req.agent_id.value);
    const agentId = req.agent_id?.value ?? `${this.entropy.uuid()}-S0`;
    this.apply(decideRegister(this, req, agentId, auth.issued.hash, this.ctx(now)), now);
    // Not alive until it polls: a registration whose answer was lost must not be offered.
    this.agentSeen.delete(agentId);
    this.agentHeard.delete(agentId);
    this.agentHeard.set(agentId, now);
    return { agent_id: { value: agentId }, agent_token: auth.issued.token, master_info: this.masterInfo, poll_hold_seconds: this.config.pollHoldMs / 1000 };
  }

  /**
   * The join token is shared by every agent; only the agent's own token shows that a call
   * about an agent id comes from that agent. Agents registered before tokens have none.
   */
  checkAgentToken(agentId: string, presentedHash: string | undefined): Rejection | undefined {
    const expected = this.agents.get(agentId)?.tokenHash;
    if (expected === undefined) return undefined;
    if (presentedHash !== undefined && digestsEqual(presentedHash, expected)) return undefined;
    return reject("unauthenticated", "agent_token", `missing or not the token issued to agent '${agentId}'; register again`);
  }

  /** Takes a poll's receipts; answers at once when there is something to say, else null. */
  poll(req: PollRequest, now: number, presentedHash: string | undefined): PollResponse | null | Rejection {
    const agentId = req.agent_id.value;
    if (!this.agents.has(agentId)) return { commands: [], acks: [], reregister: true };
    const refused = this.checkAgentToken(agentId, presentedHash) ?? refuseIfDown(this, this.agents.get(agentId)!);
    if (refused) return refused;
    const record = this.agents.get(agentId)!;
    if (record.goneAt !== undefined) return this.goneAgentPoll(req, now);
    // Unreachable: it must register again (with its id) so the master learns what it runs.
    if (record.unreachableAt !== undefined) return { commands: [], acks: [], reregister: true, master_id: this.masterInfo.id };
    const wasConnected = this.agentConnected(agentId);
    this.touch(agentId, now);
    if (req.master_id === undefined || req.master_id === this.masterInfo.id) this.agentsCaughtUp.add(agentId);
    if (!wasConnected) this.requestAllocation(now);
    if (req.usage) this.oversubscription.report(this, agentId, req.usage, now);
    if (req.usage) this.statistics.record(agentId, req.usage, now);
    this.apply(decidePollReceipts(this, req), now);
    const answer = this.pending(agentId, req.ack_seq);
    // An agent that last heard from another instance must learn of this one at once.
    const newMaster = req.master_id !== undefined && req.master_id !== this.masterInfo.id;
    return answer.commands.length || answer.acks.length || newMaster ? answer : null;
  }

  /** A gone agent polls: it gets the commands still queued for it (shutdowns), then `gone` refusals. */
  private goneAgentPoll(req: PollRequest, now: number): PollResponse | Rejection {
    this.apply(decidePollReceipts(this, req), now);
    const commands = (this.commands.get(req.agent_id.value) ?? []).filter((c) => c.seq > req.ack_seq).map((c) => c.command);
    if (commands.length === 0) return goneRejection(req.agent_id.value);
    return { commands, acks: [], master_id: this.masterInfo.id };
  }

  /** What is waiting for an agent: commands after `ackSeq` and framework acknowledgements. */
  pending(agentId: string, ackSeq: number): PollResponse {
    const commands = (this.commands.get(agentId) ?? []).filter((c) => c.seq > ackSeq).map((c) => c.command);
    const acks = [...this.updates.ackedFor(agentId)].map((u) => ({ task_id: { value: u.taskId }, uuid: u.uuid }));
    return { commands, acks, master_id: this.masterInfo.id };
  }

  /** Marks a long-poll start/end so an agent inside a held poll counts as alive. */
  pollHeld(agentId: string, delta: 1 | -1, now: number): void {
    this.polling.set(agentId, Math.max(0, (this.polling.get(agentId) ?? 0) + delta));
    const a = this.agents.get(agentId);
    if (a && isReachable(a)) this.touch(agentId, now);
  }

  status(req: StatusRequest, now: number, presentedHash: string | undefined): StatusResponse | Rejection {
    if (!this.agents.has(req.agent_id.value)) return reject("invalid", "agent_id", `unknown agent '${req.agent_id.value}'; register first`);
    const refused = this.checkAgentToken(req.agent_id.value, presentedHash);
    if (refused) return refused;
    const agent = this.agents.get(req.agent_id.value)!;
    // Gone: nobody wants its updates any more. Unreachable: they wait for its re-registration.
    if (agent.goneAt !== undefined) return { acknowledged: req.updates.map((u) => u.status.uuid) };
    if (agent.unreachableAt !== undefined) return { acknowledged: [] };
    this.touch(req.agent_id.value, now);
    const { effects, acknowledged } = decideStatus(this, req, now);
    this.apply(effects, now);
    return { acknowledged };
  }

  // ---- frameworks ----
  /** SUBSCRIBE: returns the new stream id and the events that open the stream, or the refusal. */
  subscribe(call: Extract<SchedulerCall, { type: "SUBSCRIBE" }>, principal: string | undefined, now: number): Subscribed | Rejection {
    const decided = decideSubscribe(this, call, principal, this.ctx(now, principal), () => this.entropy.uuid());
    if (isRejection(decided)) return decided;
    const previous = this.streams.get(decided.frameworkId);
    if (previous) this.outbox.close(decided.frameworkId, { type: "ERROR", error: { message: "Framework failed over" } });
    this.apply(decided.effects, now);
    const streamId = this.entropy.uuid();
    this.streams.set(decided.frameworkId, streamId);
    this.requestAllocation(now);
    const events: SchedulerEvent[] = [{
      type: "SUBSCRIBED",
      subscribed: { framework_id: { value: decided.frameworkId }, heartbeat_interval_seconds: this.config.heartbeatIntervalMs / 1000, master_info: this.masterInfo },
    }];
    for (const u of [...this.updates.values()].sort((a, b) => a.seq - b.seq)) {
      if (u.frameworkId !== decided.frameworkId || u.acked) continue;
      events.push({ type: "UPDATE", update: { status: u.status } });
      this.updates.markForwarded(u.uuid, now);
    }
    return { frameworkId: decided.frameworkId, streamId, events };
  }

  /** Any call but SUBSCRIBE, on behalf of the framework owning `streamId`; undefined when done, else the refusal. */
  call(call: Exclude<SchedulerCall, { type: "SUBSCRIBE" }>, principal: string | undefined, streamId: string | null, now: number): Rejection | undefined {
    const fid = call.framework_id.value;
    const refused = this.checkCaller(fid, principal, streamId);
    if (refused) return refused;
    const effects = decideCall(this, fid, call, this.ctx(now, principal));
    if (isRejection(effects)) return call.type === "ACCEPT" ? this.acceptRefused(fid, call.accept.offer_ids.map((o) => o.value), effects, now) : effects;
    this.apply(effects, now);
    if (call.type === "TEARDOWN") {
      this.streams.delete(fid);
      this.outbox.close(fid);
    }
    return undefined;
  }

  /**
   * An ACCEPT the Worker refused as malformed (`rejection`: why) naming `offerIds`: released as
   * every refused ACCEPT's offers are, when the caller owns the framework's stream (else nothing
   * happens). Answers `rejection` either way.
   */
  rejectedAccept(fid: string, offerIds: readonly string[], principal: string | undefined, streamId: string | null, rejection: Rejection, now: number): Rejection {
    return this.checkCaller(fid, principal, streamId) ? rejection : this.acceptRefused(fid, offerIds, rejection, now);
  }

  /**
   * A refused ACCEPT still uses up the framework's offers it named: their resources go back to
   * the pool instead of staying offered to a framework that has let go of them. The one place
   * that happens, for ACCEPTs the deciders refuse and ones the Worker could not parse.
   */
  private acceptRefused(frameworkId: string, offerIds: readonly string[], rejection: Rejection, now: number): Rejection {
    this.apply([{ kind: "releaseOffers", frameworkId, offerIds: [...offerIds] }], now);
    return rejection;
  }

  /** A refusal unless `fid` is a live framework of `principal` and `streamId` its current stream. */
  private checkCaller(fid: string, principal: string | undefined, streamId: string | null): Rejection | undefined {
    const framework = this.frameworks.get(fid);
    if (!framework || framework.removed) return reject("invalid", "framework_id", `framework '${fid}' cannot be found`);
    if (framework.principal !== undefined && framework.principal !== principal) {
      return reject("forbidden", "framework_id", `framework '${fid}' belongs to another principal`);
    }
    if (!streamId) return reject("invalid", "Mesos-Stream-Id", "all non-SUBSCRIBE calls must include the 'Mesos-Stream-Id' header");
    const current = this.streams.get(fid);
    if (!current) return reject("forbidden", "framework_id", `framework '${fid}' is not subscribed`);
    if (current !== streamId) return reject("invalid", "Mesos-Stream-Id", `'${streamId}' does not match the framework's current stream`);
    return undefined;
  }

  /** The framework's stream broke: withdraw its offers (it keeps its tasks). */
  disconnected(frameworkId: string, streamId: string, now: number): void {
    if (this.streams.get(frameworkId) !== streamId) return;
    this.streams.delete(frameworkId);
    const effects: Effect[] = [{ kind: "allocate" }];
    effects.push(...offersGone(this, ofFramework(frameworkId), false));
    effects.push(...decideDisconnected(this, frameworkId, now));
    this.apply(effects, now);
  }

  /** MARK_AGENT_GONE: applies `decideAgentGone` and stops tracking the agent as alive. */
  markAgentGone(agentId: string, now: number): void {
    this.apply(decideAgentGone(this, agentId, this.ctx(now)), now);
    this.dropLiveness(agentId);
  }

  // ---- time ----
  /** Runs everything due at `now`; returns when it wants to be called next. */
  tick(now: number): number | undefined {
    const effects: Effect[] = [];
    for (const [id, seen] of this.agentSeen) {
      if (seen + this.config.agentPingTimeoutMs > now) break; // the rest were heard from later
      if ((this.polling.get(id) ?? 0) > 0) continue;
      this.agentSeen.delete(id);
      effects.push(...offersGone(this, onAgent(id), true));
    }
    // Offers just withdrawn above (ping timeout in this tick) are not withdrawn twice.
    const withdrawn = new Set(effects.flatMap((e) => (e.kind === "offerGone" ? [e.offerId] : [])));
    for (const [id, heard] of this.agentHeard) {
      if (heard + this.config.agentUnreachableTimeoutMs > now) break; // the rest were heard from later
      if ((this.polling.get(id) ?? 0) > 0) continue;
      this.dropLiveness(id);
      effects.push(...decideUnreachable(this, id, this.ctx(now)).filter((e) => e.kind !== "offerGone" || !withdrawn.has(e.offerId)));
    }
    if (this.restartDeadlinesPending) {
      this.restartDeadlinesPending = false;
      effects.push(...decideRestartDeadlines(this, this.startedAt));
    }
    for (const fid of expiredFrameworks(this, this.startedAt, now)) effects.push(...decideTeardown(this, fid, this.ctx(now)));
    if (this.config.offerTimeoutMs > 0) {
      for (const o of this.offers.values()) {
        if (o.createdAt + this.config.offerTimeoutMs <= now) effects.push({ kind: "offerGone", offerId: o.offer.id.value, rescind: true }, { kind: "allocate" });
      }
    }
    this.apply(effects, now);
    if (now >= this.nextHeartbeatAt) {
      for (const fid of this.streams.keys()) this.outbox.send(fid, { type: "HEARTBEAT" });
      this.nextHeartbeatAt = now + this.config.heartbeatIntervalMs;
    }
    if (expiredFilters(this.filters, now).length > 0) {
      this.filters = this.filters.filter((f) => isUnexpired(f, now));
      this.requestAllocation(now - this.config.allocationIntervalMs);
    }
    const allocating = this.allocateAt !== undefined && this.allocateAt <= now;
    if (this.allocateAt !== undefined && this.allocateAt <= now) {
      this.allocateAt = undefined;
      const started = performance.now();
      const offers = allocationOffers(this, now, ++this.allocationRuns, () => this.newOfferId());
      addUnavailability(this, offers);
      this.allocationTimer.record(performance.now() - started);
      if (offers.length) this.apply([{ kind: "offers", offers }], now);
    }
    for (const key of expiredInverseFilters(this.inverseOffers, now)) this.inverseOffers.filters.delete(key);
    // A reachable agent may still hold updates this instance has not seen (see agentsCaughtUp).
    const drainEffects = drainProgress(this, now).filter((e) => e.kind !== "agent" || this.agentsCaughtUp.has(e.agent.id) || !isReachable(this.agents.get(e.agent.id)!));
    this.apply([...drainEffects, ...inverseOfferChanges(this, now, () => this.newOfferId())], now);
    for (const e of drainEffects) if (e.kind === "agent" && e.agent.goneAt !== undefined) this.dropLiveness(e.agent.id);
    const revocable = this.oversubscription.run(this, now, allocating, () => this.newOfferId());
    for (const e of revocable) if (e.kind === "offers") addUnavailability(this, e.offers);
    if (revocable.length) this.apply(revocable, now);
    return this.nextDeadline(now);
  }

  /** The earliest moment something is due. */
  nextDeadline(now: number): number | undefined {
    const times = [this.allocateAt, nextFilterExpiry(this.filters, now), this.inverseOffers.nextFilterExpiry(now)];
    if (this.streams.size > 0) times.push(this.nextHeartbeatAt);
    times.push(this.oversubscription.dueAt);
    const oldest = this.agentSeen.values().next();
    if (!oldest.done) times.push(oldest.value + this.config.agentPingTimeoutMs);
    const quietest = this.agentHeard.values().next();
    if (!quietest.done) times.push(quietest.value + this.config.agentUnreachableTimeoutMs);
    times.push(nextFailoverDeadline(this, this.startedAt));
    if (this.config.offerTimeoutMs > 0) for (const o of this.offers.values()) times.push(o.createdAt + this.config.offerTimeoutMs);
    const due = times.filter((t): t is number => t !== undefined);
    // At most a day ahead: a deadline decades away (a huge failover_timeout or refuse_seconds)
    // is no valid Date, which an alarm refuses; an early tick does nothing and asks again.
    return due.length ? Math.min(...due, now + MAX_DEADLINE_AHEAD_MS) : undefined;
  }

}
