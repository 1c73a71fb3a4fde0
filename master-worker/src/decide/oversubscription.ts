/**
 * Oversubscription decisions (Mesos' resource estimator, QoS controller and revocable offers,
 * made by the master from the agents' usage reports): pure functions of the view and of one
 * pass's input, returning effects (design rule 1). `OversubscriptionPass` gathers the input.
 *
 * - Capacity. On an agent with a usage report, the revocable capacity of cpus and of mem is
 *   Σ over its running regular (non-revocable) tasks of (allocated − used), times the factor
 *   (`STRATA_OVERSUBSCRIPTION_FACTOR`). A regular task the report does not mention yet (just
 *   launched) counts as using all it was given: no slack until measured.
 * - QoS correction. When the revocable resources the agent's revocable tasks hold exceed the
 *   capacity (regular tasks use more now, or a regular task ended and its slack went with it),
 *   its outstanding revocable offers are rescinded and revocable tasks are evicted, youngest
 *   first, skipping those that hold none of a resource over capacity, until what is left fits.
 *   An evicted task gets a KILL marked as a preemption (no grace period, as Mesos destroys the
 *   container at once); the agent reports it TASK_GONE to PARTITION_AWARE frameworks, else
 *   TASK_LOST, with reason REASON_CONTAINER_PREEMPTED (Mesos' QoS kill; the enum was called
 *   REASON_EXECUTOR_PREEMPTED before Mesos 0.26).
 * - Offers that no longer fit (tasks + offers over capacity) are rescinded, youngest first.
 * - What is left (capacity − revocable tasks − revocable offers), when at least cpus:0.01 or
 *   mem:32 (Mesos' minimum allocatable), is offered as `revocable` cpus and mem to one framework
 *   with REVOCABLE_RESOURCES that is connected, not suppressed and not refusing that agent: the
 *   one with the lowest dominant share of the revocable resources (its revocable tasks and
 *   offers over the capacity of every reporting agent; DRF over revocable resources alone),
 *   ties going to the framework offered least so far in its role, then to the lower id. "So
 *   far" is the count regular allocation keeps across runs (`AllocationCounts`, the same one:
 *   one count per framework and role, as a Mesos sorter keeps for every allocation, revocable
 *   or not), so equal-share frameworks take turns from pass to pass.
 */
import type { Offer, Resource, TaskState } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import { allocatedTo, scalar, scalarOf } from "../../../sdk/src/resources.ts";
import { type AllocationCountsView, frameworkRole, isAllocatable, type RefusedCheck } from "../allocator/index.ts";
import { agentUrl } from "../model/agent-address.ts";
import { hasCapability } from "../model/capabilities.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../store/records.ts";
import type { Effect } from "./effects.ts";
import { holdsRevocable } from "./revocable-index.ts";
import type { MeasuredUsage } from "./usage-reports.ts";
import type { MasterView } from "./view.ts";

/** Amounts of the two resources oversubscription deals in: cores and MB. */
export interface Quantities {
  cpus: number;
  mem: number;
}

/** Tolerance of comparisons (sums of 3-decimal scalars carry float noise). */
const EPSILON = 1e-9;

/** Down to Mesos' 3 decimals, never up: capacity must not round past the slack. */
const floor3 = (v: number): number => Math.floor(v * 1000 + EPSILON) / 1000;

/** The revocable cpus and mem in `resources`. */
export function revocableQuantities(resources: readonly Resource[]): Quantities {
  let cpus = 0,
    mem = 0;
  for (const r of resources) {
    if (r.revocable === undefined || r.type !== "SCALAR") continue;
    if (r.name === "cpus") cpus += r.scalar?.value ?? 0;
    else if (r.name === "mem") mem += r.scalar?.value ?? 0;
  }
  return { cpus, mem };
}

/**
 * The agent's revocable capacity from its usage report (task key → usage): the slack of its
 * running regular tasks times `factor`; see the file comment.
 */
export function revocableCapacity(view: Pick<MasterView, "tasks">, agentId: string, usage: ReadonlyMap<string, MeasuredUsage>, factor: number): Quantities {
  let cpus = 0,
    mem = 0;
  for (const [key, used] of usage) {
    const t = view.tasks.get(key);
    if (!t || t.agentId !== agentId || isTerminal(t.state) || holdsRevocable(t.info.resources)) continue;
    cpus += Math.max(0, scalarOf(t.info.resources, "cpus") - used.cpus);
    mem += Math.max(0, scalarOf(t.info.resources, "mem") - used.mem);
  }
  return { cpus: floor3(cpus * factor), mem: floor3(mem * factor) };
}

/** One agent as a pass sees it. */
export interface SlackAgent {
  record: AgentRecord;
  /** Offers are made only to connected agents allocation may offer (active: not deactivated, draining or DOWN); corrections are made either way. */
  connected: boolean;
  capacity: Quantities;
  /** Its live revocable tasks, oldest first, without those already being evicted. */
  tasks: readonly TaskRecord[];
  /** Its outstanding revocable offers, oldest first. */
  offers: readonly Offer[];
}

/** A framework that may be offered revocable resources, and what revocable resources it holds. */
export interface RevocableClient {
  record: FrameworkRecord;
  role: string;
  held: Quantities;
  /** Offers it was made in `role` so far (the tie-break; see the file comment). */
  offered: number;
}

/** What one pass decided: effects to commit, and the tasks it evicts (to be marked as such). */
export interface OversubscriptionDecision {
  effects: Effect[];
  evicted: TaskRecord[];
}

/** True when a framework may get revocable offers now. */
export function wantsRevocable(view: MasterView, framework: FrameworkRecord): boolean {
  return (
    !framework.removed &&
    hasCapability(framework.info, "REVOCABLE_RESOURCES") &&
    view.frameworkConnected(framework.id) &&
    !view.suppressed.has(framework.id) &&
    !view.suppressedRoles.get(framework.id)?.has(frameworkRole(framework.info))
  ); // the role revocable offers go to
}

/** The state a preempted task ends in, as Mesos reports a QoS kill to this framework. */
export function preemptedState(framework: FrameworkRecord | undefined): Extract<TaskState, "TASK_GONE" | "TASK_LOST"> {
  return framework && hasCapability(framework.info, "PARTITION_AWARE") ? "TASK_GONE" : "TASK_LOST";
}

/**
 * Decides corrections and revocable offers for `agents` (see the file comment). `clients` are
 * the frameworks `wantsRevocable` accepts; their `held` and `offered` are updated as offers are
 * made (the caller counts the offers returned in its `AllocationCounts`).
 * `refused(frameworkId, role, agentId)` tells an unexpired refuse filter (revocable offers are made
 * for the client's `role`, and a DECLINE of one filters that role).
 */
export function decideOversubscription(
  view: MasterView,
  agents: readonly SlackAgent[],
  clients: readonly RevocableClient[],
  refused: RefusedCheck,
  nextOfferId: () => string,
): OversubscriptionDecision {
  const effects: Effect[] = [];
  const evicted: TaskRecord[] = [];
  const made: Offer[] = [];
  const total: Quantities = { cpus: 0, mem: 0 };
  for (const a of agents) {
    total.cpus += a.capacity.cpus;
    total.mem += a.capacity.mem;
  }
  for (const a of agents) {
    const cap = a.capacity;
    const held = sum(a.tasks.map((t) => t.info.resources));
    let offered = sum(a.offers.map((o) => o.resources));
    let offers = a.offers;
    if (exceeds(held, cap)) {
      for (const o of offers) effects.push({ kind: "offerGone", offerId: o.id.value, rescind: true });
      offers = [];
      offered = { cpus: 0, mem: 0 };
      for (let i = a.tasks.length - 1; i >= 0 && exceeds(held, cap); i--) {
        const t = a.tasks[i]!;
        const q = revocableQuantities(t.info.resources);
        const helps = (held.cpus > cap.cpus + EPSILON && q.cpus > 0) || (held.mem > cap.mem + EPSILON && q.mem > 0);
        if (!helps) continue;
        evicted.push(t);
        held.cpus -= q.cpus;
        held.mem -= q.mem;
        effects.push({
          kind: "command",
          agentId: a.record.id,
          command: {
            type: "KILL",
            framework_id: { value: t.frameworkId },
            task_id: { value: t.taskId },
            kill_policy: { grace_period: { nanoseconds: 0 } },
            preemption: { state: preemptedState(view.frameworks.get(t.frameworkId)) },
          },
        });
      }
    } else {
      for (let i = offers.length - 1; i >= 0 && exceeds(plus(held, offered), cap); i--) {
        const o = offers[i]!;
        effects.push({ kind: "offerGone", offerId: o.id.value, rescind: true });
        const q = revocableQuantities(o.resources);
        offered = { cpus: offered.cpus - q.cpus, mem: offered.mem - q.mem };
      }
    }
    if (!a.connected) continue;
    const free = { cpus: floor3(cap.cpus - held.cpus - offered.cpus), mem: floor3(cap.mem - held.mem - offered.mem) };
    const amounts = [...(free.cpus > 0 ? [scalar("cpus", free.cpus)] : []), ...(free.mem > 0 ? [scalar("mem", free.mem)] : [])];
    if (!isAllocatable(amounts)) continue;
    const client = lowestShare(clients, total, (c) => !refused(c.record.id, c.role, a.record.id));
    if (!client) continue;
    made.push(
      revocableOffer(
        nextOfferId(),
        a.record,
        client,
        amounts.map((r) => ({ ...r, revocable: {} })),
      ),
    );
    client.held = plus(client.held, free);
    client.offered++;
  }
  if (made.length > 0) effects.push({ kind: "offers", offers: made });
  return { effects, evicted };
}

function revocableOffer(id: string, agent: AgentRecord, client: RevocableClient, resources: Resource[]): Offer {
  return {
    id: { value: id },
    framework_id: { value: client.record.id },
    agent_id: { value: agent.id },
    hostname: agent.hostname,
    url: agentUrl(agent),
    resources: allocatedTo(resources, client.role),
    attributes: agent.attributes,
    executor_ids: [],
    allocation_info: { role: client.role },
  };
}

/** The eligible client with the lowest dominant share of `total`; ties to the one offered least so far, then to the lower id. */
function lowestShare(clients: readonly RevocableClient[], total: Quantities, eligible: (c: RevocableClient) => boolean): RevocableClient | undefined {
  const share = (q: Quantities) => Math.max(total.cpus > 0 ? q.cpus / total.cpus : 0, total.mem > 0 ? q.mem / total.mem : 0);
  let best: RevocableClient | undefined,
    bestShare = Infinity;
  for (const c of clients) {
    if (!eligible(c)) continue;
    const s = share(c.held);
    const tie = Math.abs(s - bestShare) <= EPSILON;
    if (s < bestShare - EPSILON || (tie && best && (c.offered < best.offered || (c.offered === best.offered && c.record.id < best.record.id)))) {
      best = c;
      bestShare = s;
    }
  }
  return best;
}

/**
 * The clients `wantsRevocable` accepts, with what revocable resources each holds in `tasks` and
 * `offers`, and the offers each was made so far in its role (`counts`).
 */
export function revocableClients(view: MasterView, tasks: Iterable<TaskRecord>, offers: Iterable<Offer>, counts: AllocationCountsView): RevocableClient[] {
  const held = new Map<string, Quantities>();
  const add = (fid: string, rs: readonly Resource[]) => held.set(fid, plus(held.get(fid) ?? { cpus: 0, mem: 0 }, revocableQuantities(rs)));
  for (const t of tasks) add(t.frameworkId, t.info.resources);
  for (const o of offers) add(o.framework_id.value, o.resources);
  const out: RevocableClient[] = [];
  for (const f of view.frameworks.values()) {
    if (!wantsRevocable(view, f)) continue;
    const role = frameworkRole(f.info);
    out.push({ record: f, role, held: held.get(f.id) ?? { cpus: 0, mem: 0 }, offered: counts.of(f.id, role) });
  }
  return out;
}

const plus = (a: Quantities, b: Quantities): Quantities => ({ cpus: a.cpus + b.cpus, mem: a.mem + b.mem });
const exceeds = (q: Quantities, cap: Quantities): boolean => q.cpus > cap.cpus + EPSILON || q.mem > cap.mem + EPSILON;

function sum(lists: ReadonlyArray<readonly Resource[]>): Quantities {
  let q: Quantities = { cpus: 0, mem: 0 };
  for (const rs of lists) q = plus(q, revocableQuantities(rs));
  return q;
}
