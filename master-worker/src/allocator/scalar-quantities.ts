/**
 * Scalar quantities as numeric vectors: one slot per resource name (cpus, mem, disk, gpus
 * first; other names get the next slot the first time they are seen), roles summed. These are
 * the numbers DRF shares are computed from, kept as plain numbers so the allocator records an
 * offer in a few additions instead of merging `Resource` lists (and without hashing name
 * strings, which come fresh from every parsed record). Values are kept to 3 decimals like the
 * sdk's arithmetic (Mesos' fixed point), which makes every sum exact and independent of the
 * order things were added in: a running total equals a total recomputed from scratch.
 */

import type { Resource } from "../../../schemas/mesos.ts";
import { roundScalar } from "../../../sdk/src/resources.ts";

/** Quantity by slot (`slotOf(name)`); a missing slot is 0. */
export type ScalarVector = number[];

const names = ["cpus", "mem", "disk", "gpus"];
const slots = new Map<string, number>(names.map((n, i) => [n, i]));

/** The vector slot of a resource name (stable for the life of the process). */
export function slotOf(name: string): number {
  switch (name) {
    case "cpus":
      return 0;
    case "mem":
      return 1;
    case "disk":
      return 2;
    case "gpus":
      return 3;
  }
  let slot = slots.get(name);
  if (slot === undefined) {
    slot = names.length;
    names.push(name);
    slots.set(name, slot);
  }
  return slot;
}

/** An empty vector. */
export const scalarVector = (): ScalarVector => [0, 0, 0, 0];

/** Mesos rounding of scalars (3 decimals): the SDK's, so allocator and arithmetic agree. */
export const roundQuantity = roundScalar;

/**
 * Adds (`sign` 1) or takes away (−1) the non-revocable SCALAR resources of `resources` into
 * `into`. Revocable resources are left out of every share and total: the pool the shares are
 * computed against is the agents' totals, which hold no revocable resources (those come from the
 * oversubscription pass, with its own DRF over revocable resources alone), so counting a
 * framework's revocable tasks against it would inflate its share with resources the pool does
 * not have. (Mesos adds the estimated revocable resources to an agent's total in the role
 * sorter, so there they count on both sides; quota counts only non-revocable ones in both.)
 */
export function addScalars(into: ScalarVector, resources: readonly Resource[], sign: 1 | -1 = 1): void {
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i]!;
    if (r.type !== "SCALAR" || r.revocable !== undefined) continue;
    const v = roundQuantity(r.scalar?.value ?? 0);
    if (v === 0) continue;
    const k = slotOf(r.name);
    into[k] = roundQuantity((into[k] ?? 0) + sign * v);
  }
}

/** The positive quantities as SCALAR resources (role `*`): a compact stand-in for what DRF reads. */
export function scalarResources(vector: ScalarVector): Resource[] {
  const out: Resource[] = [];
  for (let k = 0; k < vector.length; k++) {
    const value = vector[k];
    if (value !== undefined && value > 0) out.push({ name: names[k]!, type: "SCALAR", scalar: { value } });
  }
  return out;
}
