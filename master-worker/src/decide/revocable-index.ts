/**
 * Which revocable tasks and revocable offers are on each agent, kept up to date between
 * oversubscription passes by walking the view's task and offer maps beside a copy of them
 * (`MapMirror`: a pointer comparison per entry, no per-entry work unless something changed),
 * as the allocator's input cache does. Revocable things are few; regular ones are never kept.
 *
 * Each agent's tasks are kept in the order the master learnt of them, oldest first: eviction
 * takes the youngest first. A task's record is replaced at each status update without moving
 * (a JS Map keeps a replaced key where it was), so its place stays its launch order; after a
 * master restart the order is the order the store returned the tasks in.
 */
import type { Offer, Resource } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import { MapMirror, type MirrorChanges } from "../allocator/index.ts";
import type { TaskRecord } from "../store/records.ts";
import type { MasterView, OfferRecord } from "./view.ts";

/** True when any of `resources` is revocable (Mesos treats the whole task as revocable then). */
export const holdsRevocable = (resources: readonly Resource[]): boolean => resources.some((r) => r.revocable !== undefined);

/** Revocable tasks and offers per agent; see the file comment. */
export class RevocableIndex {
  /** agentId → key → the live revocable task, oldest first. */
  private readonly tasksByAgent = new Map<string, Map<string, TaskRecord>>();
  /** agentId → offer id → the outstanding revocable offer, oldest first. */
  private readonly offersByAgent = new Map<string, Map<string, Offer>>();
  private readonly taskMirror = new MapMirror<string, TaskRecord>();
  private readonly offerMirror = new MapMirror<string, OfferRecord>();

  private readonly taskChanges: MirrorChanges<string, TaskRecord> = {
    added: (key, t) => {
      if (isLiveRevocable(t)) inner(this.tasksByAgent, t.agentId).set(key, t);
    },
    replaced: (key, before, after) => {
      if (isLiveRevocable(after) && isLiveRevocable(before) && before.agentId === after.agentId) {
        inner(this.tasksByAgent, after.agentId).set(key, after); // keeps its place (its age) among the agent's tasks
        return;
      }
      this.taskChanges.removed(key, before);
      this.taskChanges.added(key, after);
    },
    removed: (key, t) => drop(this.tasksByAgent, t.agentId, key),
  };

  private readonly offerChanges: MirrorChanges<string, OfferRecord> = {
    added: (id, { offer }) => {
      if (holdsRevocable(offer.resources)) inner(this.offersByAgent, offer.agent_id.value).set(id, offer);
    },
    replaced: (id, before, after) => {
      this.offerChanges.removed(id, before);
      this.offerChanges.added(id, after);
    },
    removed: (id, { offer }) => drop(this.offersByAgent, offer.agent_id.value, id),
  };

  /** Catches up with the view. */
  sync(view: Pick<MasterView, "tasks" | "offers">): void {
    this.taskMirror.sync(view.tasks, this.taskChanges);
    this.offerMirror.sync(view.offers, this.offerChanges);
  }

  /** The agent's live revocable tasks by key, oldest first (read-only). */
  tasksOn(agentId: string): ReadonlyMap<string, TaskRecord> {
    return this.tasksByAgent.get(agentId) ?? EMPTY;
  }

  /** The agent's outstanding revocable offers by id, oldest first (read-only). */
  offersOn(agentId: string): ReadonlyMap<string, Offer> {
    return this.offersByAgent.get(agentId) ?? EMPTY;
  }

  /** True when no agent holds a revocable task or offer. */
  get empty(): boolean {
    return this.tasksByAgent.size === 0 && this.offersByAgent.size === 0;
  }

  /** Every agent holding a revocable task or offer. */
  agents(): Set<string> {
    return new Set([...this.tasksByAgent.keys(), ...this.offersByAgent.keys()]);
  }
}

const EMPTY: ReadonlyMap<string, never> = new Map<string, never>();

const isLiveRevocable = (t: TaskRecord): boolean => !isTerminal(t.state) && holdsRevocable(t.info.resources);

function inner<V>(outer: Map<string, Map<string, V>>, agentId: string): Map<string, V> {
  let m = outer.get(agentId);
  if (!m) outer.set(agentId, (m = new Map()));
  return m;
}

function drop<V>(outer: Map<string, Map<string, V>>, agentId: string, key: string): void {
  const m = outer.get(agentId);
  if (!m) return;
  m.delete(key);
  if (m.size === 0) outer.delete(agentId);
}
