/**
 * Keeps the allocator's input up to date between runs instead of rebuilding it from the whole
 * master state every cycle (which re-summed every task and offer with list arithmetic: most of
 * a cycle's cost at 10,000 agents). Per agent it keeps what tasks and offers use and the
 * resulting available resources; per framework the scalar quantities it holds; and the pool.
 *
 * Each run it compares the view with what it saw last time, by identity (`MapMirror`: a pointer
 * comparison per entry): the master replaces a record (agent, framework, task, offer) or the
 * filter list whenever one changes, and never edits them in place. Only what changed is recomputed, and it tells which agents need
 * allocating: those whose resources or activity changed and those a refuse filter stopped
 * covering. Any change of a framework (new, resubscribed, connected or not, suppressed or
 * revived, removed) asks for a full run, like Mesos' `allocate()` after a framework event.
 * The comparison still walks every agent (liveness is asked of the view), task and offer;
 * having the commit report changes instead would make a run independent of the cluster's size.
 *
 * Offers the run itself made are charged at once (`offered`), so the next run does not have to
 * recompute the agents it has just offered.
 */
import type { Offer, Resource } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import { normalize, subtract, unallocated } from "../../../sdk/src/resources.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../records.ts";
import type { MasterView, OfferRecord } from "../view.ts";
import type { AllocationAgent, AllocationFramework } from "./allocate.ts";
import { MapMirror, type MirrorChanges } from "./map-mirror.ts";
import { normalizedResources } from "./normalized.ts";
import { HeldResources } from "./held-resources.ts";
import { addScalars, scalarResources, scalarVector, type ScalarVector } from "./scalar-quantities.ts";

/** The part of the master's view allocation reads (so fakes in tests and benchmarks need no more). */
export type AllocationView = Pick<MasterView, "agents" | "frameworks" | "tasks" | "offers" | "filters" | "suppressed" | "agentConnected" | "frameworkConnected">;

/** The role a framework's offers are allocated to (single-role frameworks for now). */
export const frameworkRole = (info: { role?: string; roles?: string[] }): string => info.roles?.[0] ?? info.role ?? "*";

/** What one allocation run needs from the master, as `allocate` takes it. */
export interface CachedAllocationInput {
  /** Every active agent on a full run; otherwise only the active agents that changed. */
  agents: AllocationAgent[];
  /** Every framework not removed. */
  frameworks: AllocationFramework[];
  /** The role of each of those frameworks. */
  roles: Map<string, string>;
  /** The sum of every active agent's total (scalars only: all DRF reads). */
  pool: Resource[];
  /** True when this is a full run. */
  full: boolean;
}

/** An agent: its record, whether it is connected, what tasks and offers use there, what is left (undefined: recompute). */
interface AgentEntry { record: AgentRecord; active: boolean; uses: Use[]; available: readonly Resource[] | undefined }
interface FrameworkEntry { record: FrameworkRecord; active: boolean; suppressed: boolean }

/** Resources a task (`key` = task key) or an offer (`key` = offer id) uses on an agent. */
interface Use { offer: boolean; key: string; resources: readonly Resource[] }

const TASK = false;
const OFFER = true;

/** The allocator's input for one master, kept between runs; see the file comment. */
export class AllocationInputCache {
  private readonly agents = new Map<string, AgentEntry>();
  private readonly frameworks = new Map<string, FrameworkEntry>();
  /** Offers the last run made, charged already, until they show up in the view. */
  private readonly pending = new Map<string, Offer>();
  /** What tasks and offers use on agents the view does not (or no longer) know. */
  private readonly orphanUses = new Map<string, Use[]>();
  private readonly held = new Map<string, HeldResources>();
  private readonly pool: ScalarVector = scalarVector();
  private readonly dirty = new Set<string>();
  private fullNeeded = true;
  private filtersSeen: readonly unknown[] | undefined;
  /** agentId → frameworks refused there at the last run, and the earliest of those filters' expiries. */
  private refused = new Map<string, Set<string>>();
  private nextExpiry = Infinity;

  /** Brings the cache up to date with `view` and returns the input of the run to make at `now`. */
  input(view: AllocationView, now: number): CachedAllocationInput {
    this.syncAgents(view);
    this.syncTasks(view);
    this.syncOffers(view);
    this.syncFrameworks(view);
    this.syncFilters(view, now);
    const full = this.fullNeeded;
    const agents: AllocationAgent[] = [];
    for (const id of full ? this.agents.keys() : this.dirty) {
      const e = this.agents.get(id);
      if (!e?.active) continue;
      e.available ??= this.available(e);
      agents.push({ id, total: e.record.resources, available: e.available, active: true });
    }
    const frameworks: AllocationFramework[] = [];
    const roles = new Map<string, string>();
    for (const [id, e] of this.frameworks) {
      if (e.record.removed) continue;
      const role = frameworkRole(e.record.info);
      roles.set(id, role);
      frameworks.push({ id, role, active: e.active, suppressed: e.suppressed, allocated: this.held.get(id)?.allocated() ?? [] });
    }
    this.dirty.clear();
    this.fullNeeded = false;
    return { agents, frameworks, roles, pool: scalarResources(this.pool), full };
  }

  /** Charges the offers a run made (before the master commits them), so the next run starts from there. */
  offered(offers: readonly Offer[]): void {
    for (const offer of offers) {
      const id = offer.id.value, agentId = offer.agent_id.value;
      this.pending.set(id, offer);
      this.charge(OFFER, id, agentId, offer.framework_id.value, offer.resources, false);
      const e = this.agents.get(agentId);
      // an offer of every available entry leaves nothing; anything else is recomputed when needed
      if (e) e.available = e.available && e.available.length === offer.resources.length ? [] : undefined;
    }
  }

  private readonly agentRecords = new MapMirror<string, AgentRecord>();
  private readonly agentChanges: MirrorChanges<string, AgentRecord> = {
    added: (id, record) => {
      this.agents.set(id, { record, active: false, uses: this.orphanUses.get(id) ?? [], available: undefined });
      this.orphanUses.delete(id);
      this.dirty.add(id);
    },
    replaced: (id, before, after) => {
      const e = this.agents.get(id)!;
      if (e.active) { addScalars(this.pool, before.resources, -1); addScalars(this.pool, after.resources); }
      e.record = after;
      this.agentChanged(id);
    },
    removed: (id, before) => {
      const e = this.agents.get(id)!;
      if (e.active) addScalars(this.pool, before.resources, -1);
      if (e.uses.length > 0) this.orphanUses.set(id, e.uses);
      this.agents.delete(id);
    },
  };

  private syncAgents(view: AllocationView): void {
    this.agentRecords.sync(view.agents, this.agentChanges);
    this.agents.forEach((e, id) => {
      const active = view.agentConnected(id);
      if (active === e.active) return;
      addScalars(this.pool, e.record.resources, active ? 1 : -1);
      e.active = active;
      this.dirty.add(id);
    });
  }

  private readonly taskRecords = new MapMirror<string, TaskRecord>();
  private readonly taskChanges: MirrorChanges<string, TaskRecord> = {
    added: (key, task) => { if (!isTerminal(task.state)) this.charge(TASK, key, task.agentId, task.frameworkId, task.info.resources, true); },
    replaced: (key, before, after) => {
      this.taskChanges.removed(key, before);
      this.taskChanges.added(key, after);
    },
    removed: (key, before) => { if (!isTerminal(before.state)) this.uncharge(TASK, key, before.agentId, before.frameworkId, before.info.resources); },
  };

  private syncTasks(view: AllocationView): void {
    this.taskRecords.sync(view.tasks, this.taskChanges);
  }

  private readonly offerRecords = new MapMirror<string, OfferRecord>();
  private readonly offerChanges: MirrorChanges<string, OfferRecord> = {
    added: (id, { offer }) => {
      const mine = this.pending.get(id);
      this.pending.delete(id);
      if (mine === offer) return; // charged when it was made
      if (mine) this.uncharge(OFFER, id, mine.agent_id.value, mine.framework_id.value, mine.resources);
      this.charge(OFFER, id, offer.agent_id.value, offer.framework_id.value, offer.resources, true);
    },
    replaced: (id, before, after) => {
      if (before.offer === after.offer) return;
      this.offerChanges.removed(id, before);
      this.offerChanges.added(id, after);
    },
    removed: (id, { offer }) => this.uncharge(OFFER, id, offer.agent_id.value, offer.framework_id.value, offer.resources),
  };

  private syncOffers(view: AllocationView): void {
    this.offerRecords.sync(view.offers, this.offerChanges);
    // offers made but never committed are not outstanding
    for (const [id, offer] of this.pending) this.uncharge(OFFER, id, offer.agent_id.value, offer.framework_id.value, offer.resources);
    this.pending.clear();
  }

  private syncFrameworks(view: AllocationView): void {
    for (const [id, record] of view.frameworks) {
      const active = view.frameworkConnected(id), suppressed = view.suppressed.has(id);
      const e = this.frameworks.get(id);
      if (e && e.record === record && e.active === active && e.suppressed === suppressed) continue;
      this.frameworks.set(id, { record, active, suppressed });
      this.fullNeeded = true;
    }
    if (this.frameworks.size > view.frameworks.size) {
      for (const id of this.frameworks.keys()) if (!view.frameworks.has(id)) this.frameworks.delete(id);
      this.fullNeeded = true;
    }
  }

  /** Agents a filter stopped covering (removed, replaced or expired) since the last run need allocating. */
  private syncFilters(view: AllocationView, now: number): void {
    if (view.filters === this.filtersSeen && now < this.nextExpiry) return;
    const refused = new Map<string, Set<string>>();
    let nextExpiry = Infinity;
    for (const f of view.filters) {
      if (f.until <= now) continue;
      let fws = refused.get(f.agentId);
      if (!fws) refused.set(f.agentId, (fws = new Set()));
      fws.add(f.frameworkId);
      nextExpiry = Math.min(nextExpiry, f.until);
    }
    for (const [agentId, fws] of this.refused) {
      const still = refused.get(agentId);
      for (const fw of fws) if (!still?.has(fw)) { this.dirty.add(agentId); break; }
    }
    this.refused = refused;
    this.nextExpiry = nextExpiry;
    this.filtersSeen = view.filters;
  }

  private charge(offer: boolean, key: string, agentId: string, frameworkId: string, resources: readonly Resource[], changesAgent: boolean): void {
    const use = { offer, key, resources };
    const e = this.agents.get(agentId);
    if (e) e.uses.push(use);
    else {
      const on = this.orphanUses.get(agentId);
      if (on) on.push(use);
      else this.orphanUses.set(agentId, [use]);
    }
    let held = this.held.get(frameworkId);
    if (!held) this.held.set(frameworkId, (held = new HeldResources()));
    held.add(resources);
    if (changesAgent) this.agentChanged(agentId);
  }

  private uncharge(offer: boolean, key: string, agentId: string, frameworkId: string, resources: readonly Resource[]): void {
    const on = this.agents.get(agentId)?.uses ?? this.orphanUses.get(agentId);
    const at = on ? on.findIndex((u) => u.offer === offer && u.key === key) : -1;
    if (on && at >= 0) {
      on[at] = on[on.length - 1]!;
      on.pop();
    }
    this.held.get(frameworkId)?.remove(resources);
    this.agentChanged(agentId);
  }

  private agentChanged(agentId: string): void {
    const e = this.agents.get(agentId);
    if (e) e.available = undefined;
    this.dirty.add(agentId);
  }

  /** total − what tasks and offers use on the agent (the sdk's arithmetic, only for agents that changed). */
  private available(e: AgentEntry): readonly Resource[] {
    if (e.uses.length === 0) return normalizedResources(e.record.resources);
    return subtract(e.record.resources, normalize(unallocated(e.uses.flatMap((u) => u.resources))));
  }
}
