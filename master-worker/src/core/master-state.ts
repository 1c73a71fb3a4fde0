/**
 * The master's in-memory state: the mirror of the durable records (loaded from the `Store` at
 * start), offers, filters, suppression, settings, inverse offers, liveness and the framework
 * streams — everything deciders read through `MasterView`, and what `commitEffects` changes.
 * It also carries the ports (store, outbox, entropy) and the small helpers every protocol
 * needs: a decision context, `apply` (commit), `requestAllocation`, fresh offer ids.
 */
import type { MasterInfo } from "../../../schemas/index.ts";
import { agentOfferable } from "../decide/agent-drain.ts";
import type { DecideContext, Effect, RefuseFilter } from "../decide/effects.ts";
import { InverseOfferBook } from "../decide/inverse-offer-book.ts";
import { isReachable } from "../decide/partitions.ts";
import type { MasterView, OfferRecord } from "../decide/view.ts";
import type { Authorizer } from "../model/authorizer.ts";
import { type MasterConfig, operatorAccessOf } from "../model/config.ts";
import { type OperatorAccess, operatorAuthorizer } from "../model/operator-access.ts";
import type { AgentRecord, CommandRecord, FrameworkRecord, Store, TaskRecord } from "../store/records.ts";
import { taskKey } from "../store/records.ts";
import { UpdateIndex } from "../store/update-index.ts";
import { type CommitObserver, commitEffects } from "./commit.ts";
import { Interner } from "./interner.ts";
import { Liveness } from "./liveness.ts";
import type { Entropy, Outbox } from "./outbox.ts";
import { OversubscriptionPass } from "./oversubscription-pass.ts";
import { TaskStatistics } from "./task-statistics.ts";
import { TimerStats } from "./timer-stats.ts";

/** What a master is made of: its ports, its settings, who it is, and when it starts. */
export interface MasterCoreOptions {
  store: Store;
  config: MasterConfig;
  outbox: Outbox;
  entropy: Entropy;
  masterInfo: MasterInfo;
  now: number;
}

/** The master's state; see the file comment. */
export class MasterState implements MasterView {
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
  /** Inverse offers for agents on DRAINING machines (memory only; inverse-offer-book.ts). */
  readonly inverseOffers = new InverseOfferBook();
  /** Who may do what through the operator API, the reads and the sandboxes (the ACLs and the operators; operator-access.ts). */
  readonly authorizer: Authorizer;
  /** The ACLs alone (`STRATA_ACLS`): what the scheduler API is authorized by. */
  readonly acls: Authorizer;
  /** Who is an operator (`STRATA_AUTHORIZATION`, `STRATA_OPERATORS`). */
  readonly access: OperatorAccess;
  /** Which agents are alive (memory only; liveness.ts). */
  readonly liveness = new Liveness();
  /** When this instance started (failover deadlines of frameworks the restart disconnected; GET_MASTER, `master/uptime_secs`). */
  readonly startedAt: number;
  /** frameworkId → current stream id. */
  readonly streams = new Map<string, string>();
  masterInfo: MasterInfo;
  nextCommandSeq = 1;
  nextUpdateSeq = 1;
  private offerCount = 0;
  /**
   * Tasks or frameworks changed since the last retention pass (decide/retention.ts), so it may
   * have something to forget; true at start, for a state loaded past the bounds.
   */
  retentionDue = true;
  /** When the next allocation run is due (undefined: none asked for). */
  allocateAt: number | undefined;
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
    this.acls = this.config.authorizer;
    this.access = operatorAccessOf(this.config);
    this.authorizer = operatorAuthorizer(this.acls, this.access);
    const s = this.store.load();
    for (const a of s.agents) this.agents.set(a.id, this.interner.agent(a));
    for (const f of s.frameworks) this.frameworks.set(f.id, f);
    for (const t of s.tasks) this.tasks.set(taskKey(t.frameworkId, t.taskId), this.interner.task(t));
    for (const u of s.updates) {
      this.updates.set(u.uuid, u);
      this.nextUpdateSeq = Math.max(this.nextUpdateSeq, u.seq + 1);
    }
    for (const [k, v] of Object.entries(s.settings ?? {})) this.settings.set(k, v);
    for (const c of s.commands) {
      this.queueOf(c.agentId).push(c);
      this.nextCommandSeq = Math.max(this.nextCommandSeq, c.seq + 1);
    }
    // Commands taken by agents are deleted; the counter is kept so seq never goes backwards.
    this.nextCommandSeq = Math.max(this.nextCommandSeq, s.meta.next_command_seq ?? 1);
    for (const a of this.agents.values()) if (isReachable(a)) this.liveness.registered(a.id, opts.now);
  }

  // ---- MasterView ----
  agentConnected(id: string): boolean {
    if (!this.liveness.alive(id)) return false;
    const a = this.agents.get(id);
    return a === undefined || isReachable(a);
  }
  agentActive(id: string): boolean {
    return this.agentConnected(id) && agentOfferable(this, id);
  }
  frameworkConnected(id: string): boolean {
    return this.streams.has(id);
  }

  /** The agent's command queue (created empty on first use). */
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

  /** A fresh offer id (this instance's id, then a counter). */
  newOfferId(): string {
    return `${this.masterInfo.id}-O${++this.offerCount}`;
  }

  /** The agent is unreachable or gone: it is no longer tracked as alive. */
  dropLiveness(agentId: string): void {
    this.liveness.drop(agentId);
  }
}
