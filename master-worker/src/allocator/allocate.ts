/**
 * The allocation decision (Mesos `HierarchicalAllocator`, one role level): given a snapshot of
 * agents, frameworks and refuse filters, decide which offers to make. Pure (design rule 1): no
 * storage, clock or network; `now` and `seed` are inputs, so the same input gives the same
 * offers and the master commits the result in one transaction.
 *
 * Algorithm: the pool is the sum of the active agents' totals; every framework is a sorter
 * client holding its tasks and outstanding offers, and is active in the sorter only when it is
 * active and not suppressed. Active agents are visited in a seeded shuffle (so no agent is
 * always first). For each agent whose available resources are allocatable, the frameworks are
 * sorted afresh and each in turn, unless a refuse filter for that agent applies, is offered all
 * the available resources it may use (unreserved ones plus those reserved for its role) when
 * they are allocatable; the offer is recorded in the sorter so the next agent goes to the
 * then-lowest share. Without reservations the first eligible framework takes the whole agent.
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { allocatedTo, normalize, subtract, unallocated } from "../../../sdk/src/resources.ts";
import { DEFAULT_MIN_ALLOCATABLE, isAllocatable } from "./allocatable.ts";
import { DrfSorter } from "./drf-sorter.ts";
import { RandomSorter } from "./random-sorter.ts";
import { refusedPairs, type RefuseFilter } from "./refuse-filters.ts";
import { mulberry32, shuffle } from "./seeded-random.ts";
import type { Sorter } from "./sorter.ts";

export type { RefuseFilter } from "./refuse-filters.ts";

/** An agent as the allocator sees it. `available` = total − tasks − outstanding offers, without allocation_info. */
export interface AllocationAgent { id: string; total: Resource[]; available: Resource[]; active: boolean }

/** A framework as the allocator sees it. `allocated` = its tasks + its outstanding offers. */
export interface AllocationFramework { id: string; role: string; active: boolean; suppressed: boolean; allocated: Resource[] }

/** The snapshot one allocation run decides on. */
export interface AllocationInput {
  agents: AllocationAgent[];
  frameworks: AllocationFramework[];
  /** Refuse filters; those with `until > now` apply. */
  filters: RefuseFilter[];
  /** ms since epoch, compared with filter expiries. */
  now: number;
  /** Bundles, any one of which makes resources worth offering; default `cpus:0.01` or `mem:32`. */
  minAllocatable?: Resource[][];
  /** Fairness policy; default "drf". */
  sorter?: "drf" | "random";
  /** Seeds the agent shuffle and the random sorter; default 0. Vary it between runs (e.g. a counter). */
  seed?: number;
  /** Role weights (Mesos `/weights`), applied to each framework of the role; default 1. */
  weights?: Record<string, number>;
}

/** One offer to make: `resources` are marked allocated to the framework's role. */
export interface OfferDecision { frameworkId: string; agentId: string; resources: Resource[] }

/** Sorter key for what frameworks already hold: the snapshot does not say on which agent. */
const HELD = "\u0000held";

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The available resources a framework of `role` may be offered: unreserved, or reserved for its role. */
function usableBy(resources: readonly Resource[], role: string): Resource[] {
  return resources.filter((r) => (r.role ?? "*") === "*" || r.role === role);
}

/** Decides the offers for one allocation run; decisions come in the order they were made. */
export function allocate(input: AllocationInput): OfferDecision[] {
  const random = mulberry32(input.seed ?? 0);
  const min = input.minAllocatable ?? DEFAULT_MIN_ALLOCATABLE;
  const refused = refusedPairs(input.filters, input.now);
  const agents = shuffle([...input.agents].filter((a) => a.active).sort(byId), random);
  const sorter: Sorter = input.sorter === "random" ? new RandomSorter(random) : new DrfSorter();
  const frameworks = new Map<string, AllocationFramework>();

  for (const agent of agents) sorter.addTotal(agent.id, agent.total);
  for (const fw of [...input.frameworks].sort(byId)) {
    frameworks.set(fw.id, fw);
    sorter.add(fw.id, input.weights?.[fw.role] ?? 1);
    if (fw.allocated.length > 0) sorter.allocated(fw.id, HELD, fw.allocated);
    if (fw.active && !fw.suppressed) sorter.activate(fw.id);
  }

  const decisions: OfferDecision[] = [];
  for (const agent of agents) {
    let remaining = normalize(unallocated(agent.available));
    if (!isAllocatable(remaining, min)) continue;
    for (const frameworkId of sorter.sort()) {
      const fw = frameworks.get(frameworkId);
      if (!fw || refused(frameworkId, agent.id)) continue;
      const offer = usableBy(remaining, fw.role);
      if (!isAllocatable(offer, min)) continue;
      sorter.allocated(frameworkId, agent.id, offer);
      decisions.push({ frameworkId, agentId: agent.id, resources: allocatedTo(offer, fw.role) });
      remaining = subtract(remaining, offer);
      if (!isAllocatable(remaining, min)) break;
    }
  }
  return decisions;
}
