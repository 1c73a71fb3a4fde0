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
 * the first eligible framework takes the whole agent, so the sorter is asked (`visit`) for
 * clients one at a time: a DRF sorter finds each in O(log F), a run costs O(A · log F).
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
import { markedFor } from "./marked-resources.ts";
import { normalizedResources } from "./normalized.ts";
import { RandomSorter } from "./random-sorter.ts";
import { refusedPairs, type RefuseFilter } from "./refuse-filters.ts";
import { mulberry32 } from "./seeded-random.ts";
import type { Sorter } from "./sorter.ts";
import { visitOrder } from "./visit-order.ts";

export type { RefuseFilter } from "./refuse-filters.ts";

/**
 * An agent as the allocator sees it. `available` = total − tasks − outstanding offers, without
 * allocation_info. Lists are values: never changed once handed over (as the master's records),
 * so agents sharing one list are checked once and offers of it share one marked copy.
 */
export interface AllocationAgent { id: string; total: readonly Resource[]; available: readonly Resource[]; active: boolean }

/**
 * A framework as the allocator sees it. `allocated` = its tasks + its outstanding offers; only
 * its SCALAR quantities (the DRF share) and whether it is empty (a tie-breaker) are read.
 */
export interface AllocationFramework { id: string; role: string; active: boolean; suppressed: boolean; allocated: readonly Resource[] }

/** The snapshot one allocation run decides on; `A` is the caller's type of agent, handed back in the decisions. */
export interface AllocationInput<A extends AllocationAgent = AllocationAgent> {
  /** The agents to allocate: all of them, or (incremental run) only those that changed, with `pool`. */
  agents: readonly A[];
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

/**
 * One offer to make: `resources` are marked allocated to the framework's role; `agent` is the
 * input's agent object itself, so a caller gets back its own record of the agent without a lookup.
 */
export interface OfferDecision<A extends AllocationAgent = AllocationAgent> { frameworkId: string; agentId: string; agent: A; resources: Resource[] }

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

/** What is left of `remaining` after `offer` (an offer takes whole normalized entries); apart so `allocate`'s closure captures nothing per call. */
const notIn = (remaining: readonly Resource[], offer: readonly Resource[]): Resource[] => remaining.filter((r) => !offer.includes(r));

/** What an agent has left once everything is offered (shared: never written to). */
const NOTHING: readonly Resource[] = Object.freeze([]);

/** Decides the offers for one allocation run; decisions come in the order they were made. */
export function allocate<A extends AllocationAgent>(input: AllocationInput<A>): OfferDecision<A>[] {
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

  const decisions: OfferDecision<A>[] = [];
  // the agent being allocated and what it has left, read by `offerTo` (one closure for the run)
  let agent: A | undefined, agentId = "", given: readonly Resource[] = NOTHING, remaining: readonly Resource[] = NOTHING;
  /** Offers `remaining` to one framework if it may take any; false once nothing worth offering is left. */
  const offerTo = (frameworkId: string): boolean => {
    if (refused(frameworkId, agentId)) return true;
    const fw = frameworks.get(frameworkId)!;
    const offer = usableBy(remaining, fw.role);
    if (offer !== remaining && !allocatable(offer)) return true; // `remaining` itself was checked
    sorter.allocated(frameworkId, agentId, offer);
    // the caller's (unchanged) list is marked once per role; a part of it is marked afresh
    decisions.push({ frameworkId, agentId, agent: agent!, resources: offer === given ? markedFor(offer, fw.role) : allocatedTo(offer, fw.role) });
    remaining = offer.length === remaining.length ? NOTHING : notIn(remaining, offer);
    return allocatable(remaining);
  };
  let lastAvailable: readonly Resource[] | undefined, lastNormalized: readonly Resource[] = NOTHING, lastAllocatable = false;
  for (const a of agents) {
    // agents often share one list (equal records are shared by the master): check it once
    if (a.available !== lastAvailable) {
      lastAvailable = a.available;
      lastNormalized = normalizedResources(a.available);
      lastAllocatable = allocatable(lastNormalized);
    }
    if (!lastAllocatable) continue;
    agent = a;
    agentId = a.id;
    given = remaining = lastNormalized;
    sorter.visit(offerTo);
  }
  return decisions;
}
