/**
 * The Sorter interface (Mesos `sorter.hpp`): the allocator asks a sorter in which order clients
 * (roles, in a `HierarchicalSorter`; the frameworks of one role, in a flat one) should be
 * offered resources, and tells it what it handed out. DRF and the random sorter both implement
 * it and pass one shared conformance suite, so the allocator never depends on a particular
 * fairness policy.
 *
 * Conventions shared by every implementation:
 * - a client is `add`ed inactive (as in Mesos); only `activate`d clients appear in `sort()`;
 * - allocations are tracked per (client, agent) and survive deactivation; `remove` forgets them;
 * - misuse (unknown client, duplicate add, giving back more than was allocated) is a programming
 *   fault and throws an `Error`; it is never an expected outcome.
 */
import type { Resource } from "../../../schemas/mesos.ts";

/** Orders clients for the allocator and keeps the bookkeeping a policy needs to decide. */
export interface Sorter {
  /** Registers `client` (inactive) with a positive `weight` (default 1). Throws if present. */
  add(client: string, weight?: number): void;
  /** Forgets `client` and everything allocated to it. Throws if unknown. */
  remove(client: string): void;
  /** Makes `client` eligible for `sort()`. Idempotent. Throws if unknown. */
  activate(client: string): void;
  /** Hides `client` from `sort()`, keeping its allocation (it still counts in shares). Idempotent. */
  deactivate(client: string): void;
  /** True when `client` has been added and not removed. */
  contains(client: string): boolean;
  /** True when `client` is known and active. */
  isActive(client: string): boolean;
  /** Changes the weight of a known client (a share is divided by it). Throws if unknown or ≤ 0. */
  updateWeight(client: string, weight: number): void;
  /** The weight of a known client. */
  weight(client: string): number;
  /** Adds an agent's total resources to the pool shares are computed against. Throws if present. */
  addTotal(agentId: string, resources: readonly Resource[]): void;
  /** Removes an agent's resources from the pool (allocations on it are kept). Throws if unknown. */
  removeTotal(agentId: string): void;
  /** The pool: the sum of every agent total added. */
  total(): Resource[];
  /** Records that `resources` on `agentId` were handed to `client` (counts one allocation). */
  allocated(client: string, agentId: string, resources: readonly Resource[]): void;
  /**
   * Adds `allocations` (a whole number ≥ 0) to the count of allocations of `client` without
   * recording resources: what earlier runs allocated, for a sorter rebuilt each run to break ties
   * as one that lived across the runs would (Mesos' `allocations` counter). Throws if unknown.
   */
  counted(client: string, allocations: number): void;
  /** Records that `client` gave `resources` on `agentId` back. Throws if it does not hold them. */
  unallocated(client: string, agentId: string, resources: readonly Resource[]): void;
  /** What `client` holds, on one agent or (without `agentId`) summed over all agents. */
  allocation(client: string, agentId?: string): Resource[];
  /** What `client` holds, per agent (Mesos `Sorter::allocation(client)`); agents where it holds nothing are left out. */
  allocationsByAgent(client: string): Map<string, Resource[]>;
  /** Active clients, best candidate for the next offer first (a fresh array). */
  sort(): string[];
  /**
   * The same order as `sort()` without a copy, for the allocator's inner loop: the array may be
   * the sorter's own, so it must not be changed, and it is only valid until the next `ordered()`
   * or `sort()` call (recording allocations meanwhile does not disturb it).
   */
  ordered(): readonly string[];
  /**
   * Calls `visit` with active clients in `sort()` order, as it stands at the call, until `visit`
   * returns false or every client was visited; allocations `visit` records take effect on the
   * order afterwards. The allocator's inner loop: it usually wants only the first client, which a
   * DRF sorter finds in O(log n) instead of keeping a whole order. No other call of this sorter
   * may read an order (`sort`, `ordered`, `visit`) from inside `visit`.
   */
  visit(visit: (client: string) => boolean): void;
  /** Number of clients known (active or not). */
  count(): number;
}

/** The allocation sorters `STRATA_ALLOCATOR_SORTER` may name. */
export const ALLOCATOR_SORTERS = ["drf", "random"] as const;
export type AllocatorSorterName = (typeof ALLOCATOR_SORTERS)[number];
