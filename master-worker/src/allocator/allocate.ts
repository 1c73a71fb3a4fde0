/**
 * The allocation decision (Mesos `HierarchicalAllocator`): given a snapshot of agents,
 * frameworks, refuse filters, role weights and quotas, decide which offers to make. Pure
 * (design rule 1): no storage, clock or network; `now` and `seed` are inputs, so the same input
 * gives the same offers and the master commits the result in one transaction.
 *
 * Two levels of sorters, as in Mesos: a role sorter over the role tree (`HierarchicalSorter`:
 * weighted DRF among siblings, a role's allocation including its subtree) and one framework
 * sorter per role (a framework's share of what it holds in that role). A framework is a client
 * of the sorter of each role it subscribed to (MULTI_ROLE: several), active there unless it is
 * inactive or suppressed (in every role, or in that one). Active agents are visited in a seeded
 * order (`visitOrder`: no agent is always first); for each, roles are taken in the role sorter's
 * order and, within a role, frameworks in that role's order; each in turn, unless a refuse
 * filter for that (framework, role, agent) applies or the agent has GPUs and the framework lacks GPU_RESOURCES, is
 * offered all the available resources its role may use (unreserved ones plus those reserved for
 * its role or an ancestor) when they are allocatable. Each offer is for one (framework, role)
 * and is recorded in both sorters, so the next agent goes to the then-lowest share. Without
 * reservations the first eligible framework takes the whole agent, so the sorters are asked
 * (`visit`) for clients one at a time: a run costs O(A · log F) with few roles.
 *
 * Equal shares go to fewer allocations so far. Mesos' sorters live across runs and keep that
 * count; these are built afresh each run, so the count of earlier runs is an input (`counts`,
 * per framework and role, kept by the caller in an `AllocationCounts`): equal-share frameworks
 * take turns from run to run instead of the smallest id taking every offer.
 *
 * Quotas (`quota-tracker.ts`) add Mesos' two stages: first every agent is offered only to roles
 * below a guarantee (up to what they lack, plus what no unmet guarantee needs), then to every
 * role; unreserved resources that unmet guarantees still need (headroom) are kept from other
 * roles, and no role (with its subtree) is offered past its limit, cutting scalars as needed.
 *
 * Incremental runs (Mesos `allocate(slaveIds)`): `agents` may be only the agents whose
 * resources changed, with `pool` the totals of every active agent. Because the visit order of
 * a subset is the full order restricted to it, such a run decides exactly what a full run
 * would whenever the agents left out have nothing any framework could be offered (they were
 * offered already, or every framework is filtered or suppressed for them, and none of that
 * changed) — which is what `AllocationInputCache` tracks for the master. With quotas, headroom
 * is cluster-wide: the master then makes full runs.
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { allocatedTo, normalize, subtract } from "../../../sdk/src/resources.ts";
import { usableByRole } from "../../../sdk/src/roles.ts";
import { allocatableCheck, DEFAULT_MIN_ALLOCATABLE } from "./allocatable.ts";
import type { AllocationCountsView } from "./allocation-counts.ts";
import { DrfSorter } from "./drf-sorter.ts";
import { HierarchicalSorter } from "./hierarchical-sorter.ts";
import { markedFor } from "./marked-resources.ts";
import { normalizedResources } from "./normalized.ts";
import { capped, QuotaTracker, type RoleQuota } from "./quota-tracker.ts";
import { RandomSorter } from "./random-sorter.ts";
import { type RefuseFilter, refusedPairs } from "./refuse-filters.ts";
import { mulberry32 } from "./seeded-random.ts";
import type { Sorter } from "./sorter.ts";
import { visitOrder } from "./visit-order.ts";

export type { RoleQuota } from "./quota-tracker.ts";
export type { RefuseFilter } from "./refuse-filters.ts";

/**
 * An agent as the allocator sees it. `available` = total − tasks − outstanding offers, without
 * allocation_info. Lists are values: never changed once handed over (as the master's records),
 * so agents sharing one list are checked once and offers of it share one marked copy.
 */
export interface AllocationAgent {
  id: string;
  total: readonly Resource[];
  available: readonly Resource[];
  active: boolean;
}

/**
 * A framework as the allocator sees it. It is a client of one framework sorter per role it
 * subscribed to (`roles`, default `[role]`), and of the roles it still holds resources in.
 * `allocated` = its tasks + its outstanding offers; per role in `allocatedByRole` when given,
 * otherwise all of it counts to `role`; only SCALAR quantities (the DRF shares) and whether it
 * is empty (a tie-breaker) are read.
 */
export interface AllocationFramework {
  id: string;
  /** Its role when it has one (or `roles[0]`). */
  role: string;
  /** Every role of a MULTI_ROLE framework; default `[role]`. */
  roles?: readonly string[];
  active: boolean;
  /** Suppressed in every role. */
  suppressed: boolean;
  /** Roles it suppressed offers for (SUPPRESS with roles, `suppressed_roles`). */
  suppressedRoles?: ReadonlySet<string>;
  allocated: readonly Resource[];
  allocatedByRole?: ReadonlyMap<string, readonly Resource[]>;
  /** Has the GPU_RESOURCES capability: only such frameworks are offered agents with GPUs. */
  gpuResources?: boolean;
}

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
  /** Role weights (Mesos `/weights`): a role's share among its siblings is divided by its weight; default 1. */
  weights?: Readonly<Record<string, number>>;
  /** Role quotas (guarantees and limits); a run with quotas must be given every active agent (a full run). */
  quotas?: Readonly<Record<string, RoleQuota>>;
  /**
   * Offers made in earlier runs, per (framework, role): the tie-break between equal shares, so
   * that frameworks of equal share take turns from run to run (`AllocationCounts`, which the
   * caller keeps and records each run's decisions in). Default: none (every count 0).
   */
  counts?: AllocationCountsView;
}

/**
 * One offer to make, for one (framework, role): `resources` are marked allocated to `role`; `agent` is the
 * input's agent object itself, so a caller gets back its own record of the agent without a lookup.
 */
export interface OfferDecision<A extends AllocationAgent = AllocationAgent> {
  frameworkId: string;
  role: string;
  agentId: string;
  agent: A;
  resources: Resource[];
  /** Set when a quota cut entries of the agent's resources down (the offer holds parts of entries). */
  cut?: true;
}

/** Sorter key for what frameworks already hold: the snapshot does not say on which agent. */
const HELD = "\u0000held";
/** Sorter key for a pool given as one sum. */
const POOL = "\u0000pool";

/**
 * The available resources a framework of `role` may be offered: unreserved ones, and those
 * reserved for its role or an ancestor (`usableByRole`, either reservation format). The same list
 * when all of it is usable.
 */
function usableBy(resources: readonly Resource[], role: string): readonly Resource[] {
  let all = true;
  for (const r of resources)
    if ((r.role !== undefined && r.role !== "*") || (r.reservations?.length ?? 0) > 0) {
      all = false;
      break;
    }
  if (all) return resources;
  const usable = resources.filter((r) => usableByRole(r, role));
  return usable.length === resources.length ? resources : usable;
}

/** What is left of `remaining` after `offer` (an offer takes whole normalized entries); apart so `allocate`'s closure captures nothing per call. */
const notIn = (remaining: readonly Resource[], offer: readonly Resource[]): Resource[] => remaining.filter((r) => !offer.includes(r));

/** What an agent has left once everything is offered (shared: never written to). */
const NOTHING: readonly Resource[] = Object.freeze([]);

/** True when an agent's total has GPUs (Mesos filters such agents for frameworks without GPU_RESOURCES). */
const hasGpus = (total: readonly Resource[]): boolean => total.some((r) => r.name === "gpus" && r.type === "SCALAR" && (r.scalar?.value ?? 0) > 0);

/**
 * Decides the offers for one allocation run; decisions come in the order they were made.
 *
 * Roles are visited in the order of a hierarchical sorter (weighted DRF among siblings), and
 * within a role its frameworks in the order of that role's framework sorter. With quotas the
 * agents are gone through twice (Mesos' two stages): first only roles below a guarantee are
 * offered, then every role, never beyond a limit nor into the headroom unmet guarantees need.
 */
export function allocate<A extends AllocationAgent>(input: AllocationInput<A>): OfferDecision<A>[] {
  const seed = input.seed ?? 0;
  const allocatable = allocatableCheck(input.minAllocatable ?? DEFAULT_MIN_ALLOCATABLE);
  const refused = refusedPairs(input.filters, input.now);
  const agents = visitOrder(
    input.agents.filter((a) => a.active),
    seed,
  );
  const random = input.sorter === "random" ? mulberry32(seed) : undefined;
  const makeSorter = (): Sorter => (random ? new RandomSorter(random) : new DrfSorter());
  const weights = input.weights ?? {};
  const roleSorter = new HierarchicalSorter(makeSorter, (path) => weights[path] ?? 1);
  const frameworkSorters = new Map<string, Sorter>();
  const frameworks = new Map<string, AllocationFramework>();
  const counts = input.counts;
  const quotas = input.quotas && Object.keys(input.quotas).length > 0 ? new QuotaTracker(input.quotas) : undefined;

  const totals: Array<readonly [string, readonly Resource[]]> = input.pool ? [[POOL, input.pool]] : agents.map((a) => [a.id, a.total] as const);
  for (const [key, resources] of totals) roleSorter.addTotal(key, resources);
  /** The framework sorter of `role`, made (and the role added to the role sorter) when first needed. */
  const sorterOf = (role: string): Sorter => {
    let s = frameworkSorters.get(role);
    if (!s) {
      s = makeSorter();
      for (const [key, resources] of totals) s.addTotal(key, resources);
      frameworkSorters.set(role, s);
      roleSorter.add(role);
    }
    return s;
  };
  /** Offers of earlier runs per role (the sum of its frameworks'), told the role sorter once per role. */
  const roleCounts = new Map<string, number>();
  /** Adds a framework to the sorter `s` of `role`, with the offers it had there in earlier runs (the tie-break). */
  const addClient = (s: Sorter, frameworkId: string, role: string): void => {
    s.add(frameworkId);
    const n = counts === undefined ? 0 : counts.of(frameworkId, role);
    if (n === 0) return;
    s.counted(frameworkId, n);
    roleCounts.set(role, (roleCounts.get(role) ?? 0) + n);
  };
  for (const fw of input.frameworks) {
    // any order: every policy ranks with a total order (ids last)
    frameworks.set(fw.id, fw);
    const eligible = fw.active && !fw.suppressed;
    for (const role of fw.roles ?? [fw.role]) {
      const s = sorterOf(role);
      if (!s.contains(fw.id)) addClient(s, fw.id, role);
      if (eligible && !fw.suppressedRoles?.has(role)) {
        s.activate(fw.id);
        roleSorter.activate(role);
      }
    }
    const held = fw.allocatedByRole ?? (fw.allocated.length > 0 ? new Map([[fw.role, fw.allocated]]) : undefined);
    if (held) {
      for (const [role, resources] of held) {
        if (resources.length === 0) continue;
        const s = sorterOf(role);
        if (!s.contains(fw.id)) addClient(s, fw.id, role); // a role it left but still holds resources in: counted, never offered
        s.allocated(fw.id, HELD, resources);
        roleSorter.allocated(role, HELD, resources);
        quotas?.held(role, resources);
      }
    }
  }
  for (const [role, n] of roleCounts) roleSorter.counted(role, n);

  const decisions: OfferDecision<A>[] = [];
  // the agent being allocated and what it has left, read by `offerTo` (one closure for the run)
  let agent: A | undefined,
    agentId = "",
    given: readonly Resource[] = NOTHING,
    remaining: readonly Resource[] = NOTHING;
  let role = "",
    fwSorter: Sorter | undefined,
    stage: 1 | 2 = 2,
    agentGpus = false;
  /** Offers `remaining` to one framework (in `role`) if it may take any; false once nothing worth offering is left. */
  const offerTo = (frameworkId: string): boolean => {
    if (refused(frameworkId, role, agentId)) return true;
    const fw = frameworks.get(frameworkId)!;
    if (agentGpus && !fw.gpuResources) return true;
    const usable = usableBy(remaining, role);
    const offer = quotas ? capped(usable, quotas.caps(role, stage)) : usable;
    if (offer !== remaining && !allocatable(offer)) return true;
    fwSorter!.allocated(frameworkId, agentId, offer);
    roleSorter.allocated(role, agentId, offer);
    quotas?.offered(role, offer);
    // the caller's (unchanged) list is marked once per role; a part of it is marked afresh
    const cut = offer !== usable;
    decisions.push({
      frameworkId,
      role,
      agentId,
      agent: agent!,
      resources: offer === given ? markedFor(offer, role) : allocatedTo(offer, role),
      ...(cut ? { cut } : {}),
    });
    if (cut)
      remaining = normalize(subtract(remaining, offer)); // entries were split
    else remaining = offer.length === remaining.length ? NOTHING : notIn(remaining, offer);
    return allocatable(remaining);
  };
  const visitRole = (r: string): boolean => {
    if (stage === 1 && !quotas!.belowGuarantee(r)) return true;
    role = r;
    fwSorter = frameworkSorters.get(r)!;
    let more = true;
    fwSorter.visit((id) => (more = offerTo(id)));
    return more;
  };

  const left: Array<readonly Resource[]> = agents.map((a) => normalizedOnce(a.available));
  if (quotas) for (const l of left) quotas.unallocated(l);
  let lastTotal: readonly Resource[] | undefined;
  const stages: Array<1 | 2> = quotas?.hasGuarantees ? [1, 2] : [2];
  for (const s of stages) {
    stage = s;
    for (let i = 0; i < agents.length; i++) {
      const a = agents[i]!;
      if (!allocatableOnce(left[i]!, allocatable)) continue;
      if (a.total !== lastTotal) {
        lastTotal = a.total;
        agentGpus = hasGpus(a.total);
      }
      agent = a;
      agentId = a.id;
      given = remaining = left[i]!;
      roleSorter.visit(visitRole);
      left[i] = remaining;
    }
  }
  return decisions;
}

// agents often share one list (equal records are shared by the master): normalize and check it once
let lastAvailable: readonly Resource[] | undefined,
  lastNormalized: readonly Resource[] = NOTHING;
function normalizedOnce(available: readonly Resource[]): readonly Resource[] {
  if (available !== lastAvailable) {
    lastAvailable = available;
    lastNormalized = normalizedResources(available);
  }
  return lastNormalized;
}
let lastChecked: readonly Resource[] | undefined,
  lastCheck: ((rs: readonly Resource[]) => boolean) | undefined,
  lastAllocatable = false;
function allocatableOnce(list: readonly Resource[], check: (rs: readonly Resource[]) => boolean): boolean {
  if (list !== lastChecked || check !== lastCheck) {
    lastChecked = list;
    lastCheck = check;
    lastAllocatable = check(list);
  }
  return lastAllocatable;
}
