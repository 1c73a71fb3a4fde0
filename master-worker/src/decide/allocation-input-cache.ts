/**
 * Keeps the allocator's input up to date between runs instead of rebuilding it from the whole
 * master state every cycle (which re-summed every task and offer with list arithmetic: most of
 * a cycle's cost at 10,000 agents). Per agent it keeps what tasks and offers use and the
 * resulting available resources; per framework the scalar quantities it holds; and the pool.
 *
 * Each run it compares the view with what it saw last time, by identity (`MapMirror`: a pointer
 * comparison per entry): the master replaces a record (agent, framework, task, offer) or the
 * filter list whenever one changes, and never edits them in place. Only what changed is
 * recomputed, and it tells which agents need allocating: those whose resources or activity
 * changed and those a refuse filter stopped covering. Any change of a framework (new, resubscribed, connected or not, suppressed or
 * revived, removed) asks for a full run, like Mesos' `allocate()` after a framework event.
 * The comparison still walks every agent (liveness is asked of the view), task and offer;
 * having the commit report changes instead would make a run independent of the cluster's size.
 *
 * Offers the run itself made are charged at once (`offered`), so the next run does not have to
 * recompute the agents it has just offered.
 *
 * A full cycle over 10,000 agents must not make garbage per agent beyond the offers themselves:
 * the entries are the allocator's input (`allocation-entries.ts`), a use is the task record or the
 * offer itself, and an agent offered whole is left with the one shared empty list.
 */
import type { Offer, Resource } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import { normalize, subtract, unallocated } from "../../../sdk/src/resources.ts";
import {
  AllocationCounts,
  addScalars,
  byId,
  MadeOffers,
  MapMirror,
  type MirrorChanges,
  normalizedResources,
  type ScalarVector,
  scalarResources,
  scalarVector,
} from "../allocator/index.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../store/records.ts";
import { AgentEntry, FrameworkEntry, NOTHING, type Use, type Uses, usedBy, usedResources, withoutUse, withUse } from "./allocation-entries.ts";
import { HeldLedger } from "./held-ledger.ts";
import { RefusalTracker } from "./refusal-tracker.ts";
import type { MasterView, OfferRecord } from "./view.ts";

/**
 * Whether a task's resources count as allocated: not over, and not on an unreachable agent (as
 * Mesos takes an unreachable agent out of the allocator, so that its frameworks' shares and
 * quota consumption let them relaunch the tasks elsewhere; they count again once it is back).
 */
const holdsResources = (t: TaskRecord): boolean => !isTerminal(t.state) && t.state !== "TASK_UNREACHABLE";

/** The part of the master's view allocation reads (so fakes in tests and benchmarks need no more). */
export type AllocationView = Pick<
  MasterView,
  "agents" | "frameworks" | "tasks" | "offers" | "filters" | "suppressed" | "suppressedRoles" | "agentConnected" | "agentActive" | "frameworkConnected"
>;

/** What one allocation run needs from the master, as `allocate` takes it; valid until the cache's next call. */
export interface CachedAllocationInput {
  /** Every active agent on a full run; otherwise only the active agents that changed. */
  agents: readonly AgentEntry[];
  /** Every framework not removed, in id order. */
  frameworks: readonly FrameworkEntry[];
  /** The sum of every active agent's total (scalars only: all DRF reads). */
  pool: Resource[];
  /** True when this is a full run. */
  full: boolean;
}

/** The allocator's input for one master, kept between runs; see the file comment. */
export class AllocationInputCache {
  /** The view's agents, each with its entry beside it (`slots()`, in the view's order). */
  private readonly agentRecords = new MapMirror<string, AgentRecord, AgentEntry>();
  /** agentId → entry, made when first needed (a cold full run over an idle cluster needs none). */
  private agentIndex: Map<string, AgentEntry> | undefined;
  /** The view's frameworks, each with its entry beside it. */
  private readonly frameworkRecords = new MapMirror<string, FrameworkRecord, FrameworkEntry>();
  /** The frameworks not removed, in id order; undefined after a framework changed. */
  private frameworkList: FrameworkEntry[] | undefined;
  /** Offers the last run made, charged already, until the view shows them. */
  private readonly made = new MadeOffers();
  /** What tasks and offers use on agents the view does not (or no longer) know. */
  private readonly orphanUses = new Map<string, Uses>();
  /** What each framework holds, in all and by role. */
  private readonly held = new HeldLedger();
  private readonly pool: ScalarVector = scalarVector();
  private readonly dirty = new Set<string>();
  private fullNeeded = true;
  /** Which agents a refuse filter stopped covering since the last run. */
  private readonly refusals = new RefusalTracker();
  /** The last agent total normalized, and the result (agents mostly share one list). */
  private lastTotal: readonly Resource[] | undefined;
  private lastTotalNormalized: readonly Resource[] = NOTHING;
  /**
   * Offers made so far per (framework, role), the tie-break `allocate` reads (`counts`), so
   * equal-share frameworks take turns from run to run; the caller of `allocate` records each
   * run's decisions. Memory only, as Mesos' sorters; a removed framework's count is dropped.
   */
  readonly counts: AllocationCounts;

  /** `counts`: the tie-break counts to start from (default none: a new master's). */
  constructor(counts = new AllocationCounts()) {
    this.counts = counts;
  }

  /** Makes the next run a full one (quotas need every agent: headroom is cluster-wide). */
  requireFull(): void {
    this.fullNeeded = true;
  }

  /** The allocation settings (weights, quotas) the last run saw, by identity (settings are replaced, never edited). */
  private settingsSeen: readonly unknown[] = [];

  /**
   * Makes the next run a full one when `settings` differ (by identity) from the last call's: a
   * quota removed frees the headroom it held on agents no run would otherwise look at again.
   */
  settingsChanged(settings: readonly unknown[]): void {
    if (settings.length === this.settingsSeen.length && settings.every((v, i) => v === this.settingsSeen[i])) return;
    this.settingsSeen = settings;
    this.fullNeeded = true;
  }

  /** Brings the cache up to date with `view` and returns the input of the run to make at `now`. */
  input(view: AllocationView, now: number): CachedAllocationInput {
    this.syncFrameworks(view); // first: a full run needs no list of changed agents
    this.syncAgents(view);
    this.syncTasks(view);
    this.syncOffers(view);
    for (const agentId of this.refusals.uncovered(view.filters, now)) this.dirty.add(agentId);
    const full = this.fullNeeded;
    const agents: AgentEntry[] = [];
    if (full) for (const e of this.agentRecords.slots()) this.collect(e, agents);
    else
      for (const id of this.dirty) {
        const e = this.agent(id);
        if (e) this.collect(e, agents);
      }
    this.dirty.clear();
    this.fullNeeded = false;
    return { agents, frameworks: this.frameworkEntries(), pool: scalarResources(this.pool), full };
  }

  /**
   * Charges an offer the run made on `agent` (an entry of this run's input) before the master
   * commits it, so the next run starts from there; the master commits offers in the order made.
   * `cut`: the offer holds parts of entries (a quota cut them), so what is left must be recomputed.
   */
  offered(offer: Offer, agent: AgentEntry, cut = false): void {
    this.made.add(offer);
    agent.uses = withUse(agent.uses, offer);
    this.held.hold(offer.framework_id.value, offer.resources, 1);
    // an offer of every available entry leaves nothing; anything else is recomputed when needed
    if (!cut && !agent.stale && agent.available.length === offer.resources.length) agent.available = NOTHING;
    else agent.stale = true;
  }

  private collect(e: AgentEntry, into: AgentEntry[]): void {
    if (!e.active) return;
    if (e.stale) {
      e.available = this.available(e);
      e.stale = false;
    }
    into.push(e);
  }

  private readonly agentChanges: MirrorChanges<string, AgentRecord, AgentEntry> = {
    added: (id, record) => {
      let uses: Uses;
      if (this.orphanUses.size > 0) {
        uses = this.orphanUses.get(id);
        this.orphanUses.delete(id);
      }
      const e = new AgentEntry(id, record, uses);
      this.agentIndex?.set(id, e);
      if (!this.fullNeeded) this.dirty.add(id);
      return e;
    },
    replaced: (id, before, after, e) => {
      if (e.active) {
        addScalars(this.pool, before.resources, -1);
        addScalars(this.pool, after.resources);
      }
      e.record = after;
      e.stale = true;
      if (!this.fullNeeded) this.dirty.add(id);
    },
    removed: (id, before, e) => {
      if (e.active) addScalars(this.pool, before.resources, -1);
      if (e.uses !== undefined) this.orphanUses.set(id, e.uses);
      this.agentIndex?.delete(id);
    },
  };

  private syncAgents(view: AllocationView): void {
    this.agentRecords.sync(view.agents, this.agentChanges);
    for (const e of this.agentRecords.slots()) {
      const active = view.agentActive(e.id);
      if (active === e.active) continue;
      addScalars(this.pool, e.record.resources, active ? 1 : -1);
      e.active = active;
      if (!this.fullNeeded) this.dirty.add(e.id);
    }
  }

  private readonly taskRecords = new MapMirror<string, TaskRecord>();
  private readonly taskChanges: MirrorChanges<string, TaskRecord> = {
    added: (_key, task) => {
      if (holdsResources(task)) this.charge(task, task.agentId, task.frameworkId);
    },
    replaced: (key, before, after) => {
      this.taskChanges.removed(key, before);
      this.taskChanges.added(key, after);
    },
    removed: (_key, before) => {
      if (holdsResources(before)) this.uncharge(before, before.agentId, before.frameworkId);
    },
  };

  private syncTasks(view: AllocationView): void {
    this.taskRecords.sync(view.tasks, this.taskChanges);
  }

  private readonly offerRecords = new MapMirror<string, OfferRecord>();
  private readonly offerChanges: MirrorChanges<string, OfferRecord> = {
    added: (_id, { offer }) => {
      if (!this.made.take(offer)) this.charge(offer, offer.agent_id.value, offer.framework_id.value);
    },
    replaced: (id, before, after) => {
      if (before.offer === after.offer) return;
      this.offerChanges.removed(id, before);
      this.offerChanges.added(id, after);
    },
    removed: (_id, { offer }) => this.uncharge(offer, offer.agent_id.value, offer.framework_id.value),
  };

  private syncOffers(view: AllocationView): void {
    this.offerRecords.sync(view.offers, this.offerChanges);
    // offers made but never committed are not outstanding
    for (const offer of this.made.end()) this.uncharge(offer, offer.agent_id.value, offer.framework_id.value);
  }

  private readonly frameworkChanges: MirrorChanges<string, FrameworkRecord, FrameworkEntry> = {
    added: (id, record) => {
      this.frameworksChanged();
      return new FrameworkEntry(id, record, false, false, this.held.of(id));
    },
    replaced: (_id, _before, after, e) => {
      e.replace(after);
      this.frameworksChanged();
    },
    removed: () => this.frameworksChanged(),
  };

  /** Any change of a framework asks for a full run (Mesos allocates every agent after a framework event). */
  private syncFrameworks(view: AllocationView): void {
    this.frameworkRecords.sync(view.frameworks, this.frameworkChanges);
    for (const e of this.frameworkRecords.slots()) {
      if (e.update(view.frameworkConnected(e.id), view.suppressed.has(e.id), view.suppressedRoles.get(e.id))) this.frameworksChanged();
    }
  }

  private frameworksChanged(): void {
    this.fullNeeded = true;
    this.frameworkList = undefined;
  }

  private frameworkEntries(): FrameworkEntry[] {
    if (this.frameworkList) return this.frameworkList;
    const list: FrameworkEntry[] = [];
    for (const e of this.frameworkRecords.slots()) if (!e.record.removed) list.push(e);
    this.counts.retain(list.map((e) => e.id));
    return (this.frameworkList = list.sort(byId));
  }

  /** Records `use` on its agent and its framework. */
  private charge(use: Use, agentId: string, frameworkId: string): void {
    const e = this.agent(agentId);
    if (e) e.uses = withUse(e.uses, use);
    else this.orphanUses.set(agentId, withUse(this.orphanUses.get(agentId), use));
    this.held.hold(frameworkId, usedBy(use), 1);
    this.agentChanged(agentId, e);
  }

  private uncharge(use: Use, agentId: string, frameworkId: string): void {
    const e = this.agent(agentId);
    if (e) e.uses = withoutUse(e.uses, use);
    else {
      const left = withoutUse(this.orphanUses.get(agentId), use);
      if (left === undefined) this.orphanUses.delete(agentId);
      else this.orphanUses.set(agentId, left);
    }
    this.held.hold(frameworkId, usedBy(use), -1);
    this.agentChanged(agentId, e);
  }

  /** The entry of an agent the view has (not to be asked while the agents are being synced). */
  private agent(id: string): AgentEntry | undefined {
    if (!this.agentIndex) {
      this.agentIndex = new Map();
      for (const e of this.agentRecords.slots()) this.agentIndex.set(e.id, e);
    }
    return this.agentIndex.get(id);
  }

  private agentChanged(agentId: string, e: AgentEntry | undefined): void {
    if (e) e.stale = true;
    if (!this.fullNeeded) this.dirty.add(agentId);
  }

  /** total − what tasks and offers use on the agent (the sdk's arithmetic, only for agents that changed). */
  private available(e: AgentEntry): readonly Resource[] {
    const total = e.record.resources;
    if (e.uses !== undefined) return subtract(total, normalize(unallocated(usedResources(e.uses))));
    if (total !== this.lastTotal) {
      this.lastTotal = total;
      this.lastTotalNormalized = normalizedResources(total);
    }
    return this.lastTotalNormalized;
  }
}
