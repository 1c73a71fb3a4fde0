/**
 * Carving task resources out of an offer. A task must carry resources exactly as offered
 * (same role, same allocation_info), so quantities are taken from the offer's own entries
 * rather than built fresh.
 */
import type { Resource } from "../../schemas/mesos.ts";
import { roundScalar, SCALAR_EPSILON } from "./resources.ts";

/**
 * Takes `wants` (e.g. `{ cpus: 0.1, mem: 32 }`) from the SCALAR entries of `available`,
 * across roles, keeping each entry's role and allocation_info. Undefined when it does not fit.
 */
export function takeScalars(available: readonly Resource[], wants: Readonly<Record<string, number>>): Resource[] | undefined {
  const taken: Resource[] = [];
  for (const [name, amount] of Object.entries(wants)) {
    let left = amount;
    for (const r of available) {
      if (left <= SCALAR_EPSILON) break;
      if (r.name !== name || r.type !== "SCALAR" || !r.scalar?.value) continue;
      const value = Math.min(left, r.scalar.value);
      taken.push({ ...r, scalar: { value: roundScalar(value) } });
      left -= value;
    }
    if (left > SCALAR_EPSILON) return undefined;
  }
  return taken;
}
