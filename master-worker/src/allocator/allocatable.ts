/**
 * Which leftovers are worth offering (Mesos `--min_allocatable_resources`): offering an agent
 * with 0.001 cpus left only churns offers, so an agent or a framework's share of it is offered
 * only when it holds at least one of the minimum quantities.
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { contains, normalize, scalar } from "../../../sdk/src/resources.ts";
import { roundQuantity } from "./scalar-quantities.ts";

/** Mesos' default minimum: `cpus:0.01` or `mem:32`. */
export const DEFAULT_MIN_ALLOCATABLE: readonly Resource[][] = [[scalar("cpus", 0.01)], [scalar("mem", 32)]];

/** The same resources as bare quantities (no role, no allocation_info), for comparisons. */
const quantities = (rs: readonly Resource[]): Resource[] => rs.map(({ role: _r, allocation_info: _a, ...r }) => r);

/** The sdk's tolerance when comparing scalars (`contains`). */
const EPSILON = 1e-9;

/**
 * True when `resources` is non-empty and contains at least one of `min` (each entry a bundle of
 * quantities, roles ignored). An empty `min` accepts any non-empty resources.
 */
export function isAllocatable(resources: readonly Resource[], min: readonly (readonly Resource[])[] = DEFAULT_MIN_ALLOCATABLE): boolean {
  const have = normalize(quantities(resources));
  if (have.length === 0) return false;
  return min.length === 0 || min.some((bundle) => contains(have, quantities(bundle)));
}

/**
 * `isAllocatable` with `min` compiled once, for the allocator's inner loop: when every bundle
 * holds only scalars (the usual case) a check sums a few numbers instead of merging lists.
 * The returned check expects normalized resources (no empty entries), as the allocator has.
 */
export function allocatableCheck(min: readonly (readonly Resource[])[] = DEFAULT_MIN_ALLOCATABLE): (resources: readonly Resource[]) => boolean {
  if (min === DEFAULT_MIN_ALLOCATABLE) return (defaultCheck ??= compile(min)); // every run without a custom minimum
  return compile(min);
}

let defaultCheck: ((resources: readonly Resource[]) => boolean) | undefined;

function compile(min: readonly (readonly Resource[])[]): (resources: readonly Resource[]) => boolean {
  const bundles = min.map((bundle) => normalize(quantities(bundle)));
  if (!bundles.every((b) => b.every((r) => r.type === "SCALAR"))) return (resources) => isAllocatable(resources, min);
  const wants = bundles.map((b) => b.map((r) => ({ name: r.name, value: r.scalar?.value ?? 0 })));
  const held = (resources: readonly Resource[], name: string): number => {
    let sum = 0;
    for (let i = 0; i < resources.length; i++) {
      const r = resources[i]!;
      if (r.type === "SCALAR" && r.name === name) sum = roundQuantity(sum + (r.scalar?.value ?? 0));
    }
    return sum;
  };
  return (resources) => {
    if (resources.length === 0) return false;
    if (wants.length === 0) return true;
    for (const bundle of wants) {
      let ok = true;
      for (const w of bundle)
        if (held(resources, w.name) + EPSILON < w.value) {
          ok = false;
          break;
        }
      if (ok) return true;
    }
    return false;
  };
}
