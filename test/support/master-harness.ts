/**
 * A deterministic harness around `MasterCore` for the master's behaviour tests: a fake clock,
 * a recording outbox, counter-based entropy, a `MemoryStore`, and a fake agent and framework
 * that speak the protocols the way the real ones do (every message goes through
 * `parseMessage`, as the Worker does, so schema defaults apply). A refusal the core returns is
 * thrown as the `HttpError` the edge would answer with (refused.ts), status and message.
 */
import { createHash } from "node:crypto";
import { expect } from "vitest";
import { type Entropy, MasterCore, type Outbox } from "../../master-worker/src/core/master-core.ts";
import { type MasterConfig, readConfig } from "../../master-worker/src/model/config.ts";
import { MemoryStore } from "../../master-worker/src/store/memory-store.ts";
import {
  type AgentCommand,
  type MasterInfo,
  type Offer,
  PollRequest,
  type PollResponse,
  parseMessage,
  RegisterRequest,
  type RegisterResponse,
  type SchedulerCall,
  SchedulerCall as SchedulerCallSchema,
  type SchedulerEvent,
  StatusRequest,
  type StatusResponse,
  type TaskState,
  type TaskStatus,
} from "../../schemas/index.ts";
import { parseResources } from "../../sdk/src/resources.ts";
import { orThrow } from "./refused.ts";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Where the harness clock starts (ms since epoch; any fixed value). */
export const T0 = 1_700_000_000_000;

/** One thing the master said to a framework, with the stream it went to (null: no stream open). */
export interface SentEvent {
  fid: string;
  streamId: string | null;
  event: SchedulerEvent;
}

/**
 * Records what the master sends. Models the DO's streams: an event reaches a framework only
 * while the harness has a stream open for it; `close` ends that stream.
 */
export class RecordingOutbox implements Outbox {
  readonly sent: SentEvent[] = [];
  readonly closed: Array<{ fid: string; streamId: string | null; last?: SchedulerEvent }> = [];
  readonly wakes: string[] = [];
  readonly open = new Map<string, string>();

  send(fid: string, event: SchedulerEvent): void {
    this.sent.push({ fid, streamId: this.open.get(fid) ?? null, event });
  }
  close(fid: string, last?: SchedulerEvent): void {
    const streamId = this.open.get(fid) ?? null;
    if (last) this.sent.push({ fid, streamId, event: last });
    this.closed.push({ fid, streamId, ...(last ? { last } : {}) });
    this.open.delete(fid);
  }
  wakeAgent(agentId: string): void {
    this.wakes.push(agentId);
  }
}

/** Counter-based entropy: `uuid-0001`, … and base64 of 16 bytes ending in a counter. */
export class CountingEntropy implements Entropy {
  private uuids = 0;
  private bytes = 0;
  uuid(): string {
    return `uuid-${String(++this.uuids).padStart(4, "0")}`;
  }
  bytes16(): string {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setUint32(12, ++this.bytes);
    b[0] = 0x4d; // 'M': master-made
    return btoa(String.fromCharCode(...b));
  }
}

/** What a fake agent remembers between calls, as the real agent checkpoints it. */
interface FakeAgentState {
  /** Highest command seq taken over. */
  ackSeq: number;
  /** Acknowledgements received, to confirm with `acked_uuids` in the next poll. */
  toConfirm: string[];
  /** Status updates not yet acknowledged (the agent retries these with the same uuid). */
  outstanding: Map<string, { fid: string; status: TaskStatus & { uuid: string } }>;
  /** Every command received, in order. */
  received: AgentCommand[];
  /** The agent token from its last registration. */
  token: string;
}

export interface TaskSpec {
  taskId: string;
  agentId: string;
  resources?: string;
  name?: string;
  /** JSON for `command`; `null` leaves it out. Default: a shell command. */
  command?: Record<string, unknown> | null;
  kill_policy?: Record<string, unknown>;
}

/** Mesos JSON of a TaskInfo, as a framework would send it. */
export function taskJson(t: TaskSpec): Record<string, unknown> {
  return {
    name: t.name ?? t.taskId,
    task_id: { value: t.taskId },
    agent_id: { value: t.agentId },
    resources: parseResources(t.resources ?? "cpus:1;mem:128"),
    ...(t.command === null ? {} : { command: t.command ?? { value: "sleep 10" } }),
    ...(t.kill_policy ? { kill_policy: t.kill_policy } : {}),
  };
}

/**
 * The principal the harness' master names an operator (`STRATA_OPERATORS`), and the one the
 * operator helpers (operator-call.ts, operator-fixture.ts) call as unless told otherwise.
 */
export const TEST_OPERATOR = "ops";

export class MasterHarness {
  now = T0;
  readonly store = new MemoryStore();
  readonly outbox = new RecordingOutbox();
  readonly entropy = new CountingEntropy();
  readonly config: MasterConfig;
  core: MasterCore;
  /** Instances made so far (the master id changes with each). */
  generation = 0;
  private readonly agents = new Map<string, FakeAgentState>();
  private readonly principals = new Map<string, string | undefined>();
  private readonly cursors = new Map<string, number>();
  private agentUuids = 0;
  private hostnames = 0;
  private tokens = 0;

  constructor(env: Record<string, string> = {}) {
    this.config = readConfig({ STRATA_ALLOCATION_INTERVAL_MS: "1000", STRATA_OPERATORS: TEST_OPERATOR, ...env });
    this.core = this.newCore();
  }

  private newCore(): MasterCore {
    this.generation++;
    const masterInfo: MasterInfo = { id: `master-${this.generation}`, ip: 0, port: 5050, hostname: "master.test" };
    return new MasterCore({ store: this.store, config: this.config, outbox: this.outbox, entropy: this.entropy, masterInfo, now: this.now });
  }

  /** A master restart: a new instance over the same store; every stream breaks. */
  restart(): MasterCore {
    for (const fid of [...this.outbox.open.keys()]) this.outbox.open.delete(fid);
    this.core = this.newCore();
    return this.core;
  }

  /** Moves the clock and runs what is due; returns the next deadline. */
  advance(ms: number): number | undefined {
    this.now += ms;
    return this.core.tick(this.now);
  }

  // ---- agents ----

  /** Registers a new agent declaring `resources` (flag form, e.g. `cpus:4;mem:4096`). */
  addAgent(resources = "cpus:4;mem:4096;ports:[31000-32000]", extra: Record<string, unknown> = {}): string {
    const res = this.register({ hostname: `host-${++this.hostnames}.test`, resources: parseResources(resources), ...extra });
    // A real agent polls right after registering; only then does the master count it alive.
    this.fakeAgentPoll(res.agent_id.value);
    return res.agent_id.value;
  }

  /** Sends a RegisterRequest (JSON, parsed as the Worker does). */
  register(json: Record<string, unknown>): RegisterResponse {
    const req = parseMessage(RegisterRequest, json);
    // A re-registering fake agent presents its token unless the test gives one explicitly.
    const presented = req.agent_token ?? (req.agent_id ? this.agents.get(req.agent_id.value)?.token : undefined);
    const token = `agent-token-${++this.tokens}`;
    const res = orThrow(this.core.register(req, this.now, { presented: presented && sha256(presented), issued: { token, hash: sha256(token) } }));
    const known = this.agents.get(res.agent_id.value);
    if (known) known.token = res.agent_token;
    else this.agents.set(res.agent_id.value, { ackSeq: 0, toConfirm: [], outstanding: new Map(), received: [], token: res.agent_token });
    return res;
  }

  /** The hash of the token a fake agent presents (what the Durable Object hands the core). */
  tokenHashOf(agentId: string): string {
    return sha256(this.agent(agentId).token);
  }

  private agent(agentId: string): FakeAgentState {
    const a = this.agents.get(agentId);
    if (!a) throw new Error(`harness: no fake agent ${agentId}`);
    return a;
  }

  /** The request a real agent would send now. */
  pollRequest(agentId: string, extra: Record<string, unknown> = {}): PollRequest {
    const a = this.agent(agentId);
    return parseMessage(PollRequest, { agent_id: { value: agentId }, ack_seq: a.ackSeq, acked_uuids: [...a.toConfirm], ...extra });
  }

  /**
   * Polls like the real agent: reports the commands it took and the acknowledgements it has
   * learnt, then takes over what the answer holds. Returns the answer (null: nothing new).
   */
  fakeAgentPoll(agentId: string, extra: Record<string, unknown> = {}): PollResponse | null {
    const a = this.agent(agentId);
    const answer = orThrow(this.core.poll(this.pollRequest(agentId, extra), this.now, this.tokenHashOf(agentId)));
    a.toConfirm = []; // the master has them now
    if (!answer) return null;
    for (const c of answer.commands) {
      expect(c.seq, "command seqs increase").toBeGreaterThan(a.ackSeq);
      a.ackSeq = c.seq;
      a.received.push(c);
    }
    for (const ack of answer.acks) {
      a.outstanding.delete(ack.uuid);
      if (!a.toConfirm.includes(ack.uuid)) a.toConfirm.push(ack.uuid);
    }
    return answer;
  }

  /**
   * Polls like `fakeAgentPoll` with a usage report: what each of the agent's running tasks uses
   * (cores, MB), as the real agent sends it every `--usage-interval-seconds`.
   */
  reportUsage(agentId: string, tasks: Array<{ fid: string; taskId: string; cpus: number; mem: number }>): PollResponse | null {
    return this.fakeAgentPoll(agentId, {
      usage: { tasks: tasks.map((t) => ({ framework_id: { value: t.fid }, task_id: { value: t.taskId }, cpus: t.cpus, mem_mb: t.mem })) },
    });
  }

  /** Commands a poll returns now (empty when none). */
  pollCommands(agentId: string): AgentCommand[] {
    return this.fakeAgentPoll(agentId)?.commands ?? [];
  }

  /** Everything the fake agent has received. */
  received(agentId: string): AgentCommand[] {
    return this.agent(agentId).received;
  }
  /** Updates the fake agent still retries. */
  outstanding(agentId: string): string[] {
    return [...this.agent(agentId).outstanding.keys()];
  }
  /** Acks the agent will confirm in its next poll. */
  toConfirm(agentId: string): string[] {
    return [...this.agent(agentId).toConfirm];
  }

  /** A fresh status-update uuid, as the agent makes them (base64 of 16 bytes). */
  newAgentUuid(): string {
    const b = new Uint8Array(16);
    b[0] = 0x41; // 'A': agent-made
    new DataView(b.buffer).setUint32(12, ++this.agentUuids);
    return btoa(String.fromCharCode(...b));
  }

  /** The agent reports a task's new state with a fresh uuid; it keeps retrying until acked. */
  agentReport(agentId: string, fid: string, taskId: string, state: TaskState, extra: Partial<TaskStatus> = {}): { uuid: string; response: StatusResponse } {
    const status = {
      task_id: { value: taskId },
      state,
      source: "SOURCE_EXECUTOR" as const,
      timestamp: this.now / 1000,
      ...extra,
      uuid: this.newAgentUuid(),
    };
    this.agent(agentId).outstanding.set(status.uuid, { fid, status });
    return { uuid: status.uuid, response: this.sendStatus(agentId, [{ fid, status }]) };
  }

  /** Re-sends every update the agent has not seen acknowledged, with the same uuids. */
  agentRetry(agentId: string): StatusResponse {
    return this.sendStatus(agentId, [...this.agent(agentId).outstanding.values()]);
  }

  private sendStatus(agentId: string, updates: Array<{ fid: string; status: TaskStatus & { uuid: string } }>): StatusResponse {
    const req = parseMessage(StatusRequest, {
      agent_id: { value: agentId },
      updates: updates.map((u) => ({ framework_id: { value: u.fid }, status: u.status })),
    });
    const res = orThrow(this.core.status(req, this.now, this.tokenHashOf(agentId)));
    for (const uuid of res.acknowledged) this.agent(agentId).outstanding.delete(uuid);
    return res;
  }

  // ---- frameworks ----

  /** SUBSCRIBE JSON for a framework called `name`. */
  subscribeJson(
    name: string,
    opts: { frameworkId?: string; principal?: string; role?: string; suppressedRoles?: string[]; capabilities?: string[] } = {},
  ): Record<string, unknown> {
    const capabilities = [...(opts.role ? ["MULTI_ROLE"] : []), ...(opts.capabilities ?? [])];
    return {
      type: "SUBSCRIBE",
      ...(opts.frameworkId ? { framework_id: { value: opts.frameworkId } } : {}),
      subscribe: {
        framework_info: {
          user: "tester",
          name,
          ...(opts.frameworkId ? { id: { value: opts.frameworkId } } : {}),
          ...(opts.principal ? { principal: opts.principal } : {}),
          ...(opts.role ? { roles: [opts.role] } : {}),
          ...(capabilities.length ? { capabilities: capabilities.map((type) => ({ type })) } : {}),
          failover_timeout: 3600,
        },
        ...(opts.suppressedRoles ? { suppressed_roles: opts.suppressedRoles } : {}),
      },
    };
  }

  /**
   * Subscribes (or re-subscribes, with `frameworkId`) as the DO does: opens the stream and
   * writes the opening events to it. Returns the framework id and stream id.
   */
  subscribe(name: string, principal?: string, opts: { frameworkId?: string; role?: string; suppressedRoles?: string[]; capabilities?: string[] } = {}) {
    const call = parseMessage(SchedulerCallSchema, this.subscribeJson(name, { ...opts, ...(principal ? { principal } : {}) }));
    if (call.type !== "SUBSCRIBE") throw new Error("unreachable");
    const result = orThrow(this.core.subscribe(call, principal, this.now));
    this.outbox.open.set(result.frameworkId, result.streamId);
    for (const e of result.events) this.outbox.sent.push({ fid: result.frameworkId, streamId: result.streamId, event: e });
    this.principals.set(result.frameworkId, principal);
    return result;
  }

  /** The stream id the harness holds open for `fid`. */
  streamOf(fid: string): string | null {
    return this.outbox.open.get(fid) ?? null;
  }

  /** Sends a call (JSON without framework_id; it is added) on the framework's stream. */
  call(fid: string, json: Record<string, unknown>, opts: { principal?: string; streamId?: string | null } = {}): void {
    const call = parseMessage(SchedulerCallSchema, { framework_id: { value: fid }, ...json });
    if (call.type === "SUBSCRIBE") throw new Error("use subscribe()");
    const principal = "principal" in opts ? opts.principal : this.principals.get(fid);
    const streamId = "streamId" in opts ? opts.streamId! : this.streamOf(fid);
    orThrow(this.core.call(call as Exclude<SchedulerCall, { type: "SUBSCRIBE" }>, principal, streamId, this.now));
  }

  accept(fid: string, offerIds: string[], tasks: TaskSpec[], filters?: { refuse_seconds?: number }): void {
    this.call(fid, {
      type: "ACCEPT",
      accept: {
        offer_ids: offerIds.map((value) => ({ value })),
        operations: tasks.length ? [{ type: "LAUNCH", launch: { task_infos: tasks.map(taskJson) } }] : [],
        ...(filters ? { filters } : {}),
      },
    });
  }

  decline(fid: string, offerIds: string[], refuseSeconds?: number): void {
    this.call(fid, {
      type: "DECLINE",
      decline: { offer_ids: offerIds.map((value) => ({ value })), ...(refuseSeconds !== undefined ? { filters: { refuse_seconds: refuseSeconds } } : {}) },
    });
  }

  acknowledge(fid: string, status: TaskStatus): void {
    if (!status.uuid || !status.agent_id) throw new Error("harness: acknowledge needs uuid and agent_id");
    this.call(fid, { type: "ACKNOWLEDGE", acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } });
  }

  // ---- what frameworks saw ----

  /** Every event delivered on an open stream to `fid`, oldest first. */
  events(fid: string): SchedulerEvent[] {
    return this.outbox.sent.filter((s) => s.fid === fid && s.streamId !== null).map((s) => s.event);
  }

  /** Events delivered to `fid` since the previous `newEvents(fid)`. */
  newEvents(fid: string): SchedulerEvent[] {
    const all = this.events(fid);
    const from = this.cursors.get(fid) ?? 0;
    this.cursors.set(fid, all.length);
    return all.slice(from);
  }

  /** Events of one type delivered to `fid`. */
  eventsOf<T extends SchedulerEvent["type"]>(fid: string, type: T): Array<Extract<SchedulerEvent, { type: T }>> {
    return this.events(fid).filter((e): e is Extract<SchedulerEvent, { type: T }> => e.type === type);
  }

  /** Statuses of the UPDATE events delivered to `fid`. */
  updates(fid: string): TaskStatus[] {
    return this.eventsOf(fid, "UPDATE").map((e) => e.update.status);
  }

  /** Offers sent to `fid` that are still outstanding on the master. */
  offersFor(fid: string): Offer[] {
    return this.eventsOf(fid, "OFFERS")
      .flatMap((e) => e.offers.offers)
      .filter((o) => this.core.offers.has(o.id.value));
  }

  /** Every offer ever sent to `fid`. */
  allOffersFor(fid: string): Offer[] {
    return this.eventsOf(fid, "OFFERS").flatMap((e) => e.offers.offers);
  }
}
