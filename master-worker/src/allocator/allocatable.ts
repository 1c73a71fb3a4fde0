/**
 * Which leftovers are worth offering (Mesos `--min_allocatable_resources`): offering an agent
 * with 0.001 cpus left only churns offers, so an agent or a framework's share of it is offered
 * only when it holds at least one of the minimum quantities.
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { contains, normalize, scalar } from "../../../sdk/src/resources.ts";

/** Mesos' default minimum: `cpus:0.01` or `mem:32`. */
export const DEFAULT_MIN_ALLOCATABLE: readonly Resource[][] = [[scalar("cpus", 0.01)], [scalar("mem", 32)]];

/** The same resources as bare quantities (no role, no allocation_info), for comparisons. */
const quantities = (rs: readonly Resource[]): Resource[] => rs.map(({ role: _r, allocation_info: _a, ...r }) => r);

/**
 * True when `resources` is non-empty and contains at least one of `min` (each entry a bundle of
 * quantities, roles ignored). An empty `min` accepts any non-empty resources.
 */
export function isAllocatable(resources: readonly Resource[], min: readonly (readonly Resource[])[] = DEFAULT_MIN_ALLOCATABLE): boolean {
  const have = normalize(quantities(resources));
  if (have.length === 0) return false;
  return min.length === 0 || min.some((bundle) => contains(have, quantities(bundle)));
}
