/**
 * The allocation decision (Mesos `HierarchicalAllocator`, one role level): given a snapshot of
 * agents, frameworks and refuse filters, decide which offers to make. Pure (design rule 1): no
 * storage, clock or network; `now` and `seed` are inputs, so the same input gives the same
 * offers and the master commits the result in one transaction.
 *
 * Algorithm: the pool is the sum of the active agents' totals (or `pool` when given); every
 * framework is a sorter client holding its tasks and outstanding offers, and is active in the
 * sorter only when it is active and not suppressed. Active agents are visited in a seeded
 * order (`visitOrder`: no agent is always first). For each agent whose available resources are
 * allocatable, the frameworks are taken in the sorter's current order and each in turn, unless
 * a refuse filter for that agent applies, is offered all the available resources it may use
 * (unreserved ones plus those reserved for its role) when they are allocatable; the offer is
 * recorded in the sorter so the next agent goes to the then-lowest share. Without reservations
 * the first eligible framework takes the whole agent.
 *
 * Incremental runs (Mesos `allocate(slaveIds)`): `agents` may be only the agents whose
 * resources changed, with `pool` the totals of every active agent. Because the visit order of
 * a subset is the full order restricted to it, such a run decides exactly what a full run
 * would whenever the agents left out have nothing any framework could be offered (they were
 * offered already, or every framework is filtered or suppressed for them, and none of that
 * changed) — which is what `AllocationInputCache` tracks for the master.
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { allocatedTo } from "../../../sdk/src/resources.ts";
import { allocatableCheck, DEFAULT_MIN_ALLOCATABLE } from "./allocatable.ts";
import { DrfSorter } from "./drf-sorter.ts";
import { normalizedResources } from "./normalized.ts";
import { RandomSorter } from "./random-sorter.ts";
import { refusedPairs, type RefuseFilter } from "./refuse-filters.ts";
import { mulberry32 } from "./seeded-random.ts";
import type { Sorter } from "./sorter.ts";
import { visitOrder } from "./visit-order.ts";

export type { RefuseFilter } from "./refuse-filters.ts";

/** An agent as the allocator sees it. `available` = total − tasks − outstanding offers, without allocation_info. */
export interface AllocationAgent { id: string; total: readonly Resource[]; available: readonly Resource[]; active: boolean }

/**
 * A framework as the allocator sees it. `allocated` = its tasks + its outstanding offers; only
 * its SCALAR quantities (the DRF share) and whether it is empty (a tie-breaker) are read.
 */
export interface AllocationFramework { id: string; role: string; active: boolean; suppressed: boolean; allocated: readonly Resource[] }

/** The snapshot one allocation run decides on. */
export interface AllocationInput {
  /** The agents to allocate: all of them, or (incremental run) only those that changed, with `pool`. */
  agents: readonly AllocationAgent[];
  frameworks: readonly AllocationFramework[];
  /** Refuse filters; those with `until > now` apply. */
  filters: readonly RefuseFilter[];
  /** ms since epoch, compared with filter expiries. */
  now: number;
  /**
   * What shares are computed against: the sum of every active agent's total. Default: the sum
   * over `agents`; required for a correct incremental run. Only its SCALAR quantities are read.
   */
  pool?: readonly Resource[];
  /** Bundles, any one of which makes resources worth offering; default `cpus:0.01` or `mem:32`. */
  minAllocatable?: readonly (readonly Resource[])[];
  /** Fairness policy; default "drf". */
  sorter?: "drf" | "random";
  /** Seeds the agent visit order and the random sorter; default 0. Vary it between runs (e.g. a counter). */
  seed?: number;
  /** Role weights (Mesos `/weights`), applied to each framework of the role; default 1. */
  weights?: Record<string, number>;
}

/** One offer to make: `resources` are marked allocated to the framework's role. */
export interface OfferDecision { frameworkId: string; agentId: string; resources: Resource[] }

/** Sorter key for what frameworks already hold: the snapshot does not say on which agent. */
const HELD = "\u0000held";
/** Sorter key for a pool given as one sum. */
const POOL = "\u0000pool";

/** The available resources a framework of `role` may be offered: unreserved, or reserved for its role. */
function usableBy(resources: readonly Resource[], role: string): readonly Resource[] {
  let all = true;
  for (const r of resources) if (r.role !== undefined && r.role !== "*" && r.role !== role) { all = false; break; }
  return all ? resources : resources.filter((r) => (r.role ?? "*") === "*" || r.role === role);
}

/** Decides the offers for one allocation run; decisions come in the order they were made. */
export function allocate(input: AllocationInput): OfferDecision[] {
  const seed = input.seed ?? 0;
  const allocatable = allocatableCheck(input.minAllocatable ?? DEFAULT_MIN_ALLOCATABLE);
  const refused = refusedPairs(input.filters, input.now);
  const agents = visitOrder(input.agents.filter((a) => a.active), seed);
  const sorter: Sorter = input.sorter === "random" ? new RandomSorter(mulberry32(seed)) : new DrfSorter();
  const frameworks = new Map<string, AllocationFramework>();

  if (input.pool) sorter.addTotal(POOL, input.pool);
  else for (const agent of agents) sorter.addTotal(agent.id, agent.total);
  for (const fw of input.frameworks) { // any order: every policy ranks with a total order (ids last)
    frameworks.set(fw.id, fw);
    sorter.add(fw.id, input.weights?.[fw.role] ?? 1);
    if (fw.allocated.length > 0) sorter.allocated(fw.id, HELD, fw.allocated);
    if (fw.active && !fw.suppressed) sorter.activate(fw.id);
  }

  const decisions: OfferDecision[] = [];
  for (const agent of agents) {
    let remaining = normalizedResources(agent.available);
    if (!allocatable(remaining)) continue;
    const order = sorter.ordered(); // recording offers below does not disturb it
    for (let i = 0; i < order.length; i++) {
      const frameworkId = order[i]!;
      if (refused(frameworkId, agent.id)) continue;
      const fw = frameworks.get(frameworkId)!;
      const offer = usableBy(remaining, fw.role);
      if (offer !== remaining && !allocatable(offer)) continue; // `remaining` itself was checked
      sorter.allocated(frameworkId, agent.id, offer);
      decisions.push({ frameworkId, agentId: agent.id, resources: allocatedTo(offer, fw.role) });
      // what is left: the entries not offered (an offer takes whole normalized entries)
      remaining = offer.length === remaining.length ? [] : remaining.filter((r) => !offer.includes(r));
      if (!allocatable(remaining)) break;
    }
  }
  return decisions;
}
