/**
 * `normalize(unallocated(resources))` without the cost when there is nothing to do: agents'
 * totals and what the master computes as available are almost always normalized already, and
 * the sdk's generic merge (a Map and fresh objects per call) dominated an allocation cycle over
 * thousands of agents. Falls back to the sdk whenever the fast check is not sure.
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { normalize, unallocated } from "../../../sdk/src/resources.ts";
import { roundQuantity } from "./scalar-quantities.ts";

/** True when `r` is exactly what the sdk's `normalize` would keep of it, alone. */
function isNormalEntry(r: Resource): boolean {
  if (r.allocation_info !== undefined) return false;
  if (r.type === "SCALAR") {
    const v = r.scalar?.value;
    return v !== undefined && v > 0 && roundQuantity(v) === v;
  }
  if (r.type === "RANGES") {
    const range = r.ranges?.range;
    if (!range || range.length === 0) return false;
    let last = -Infinity;
    for (const x of range) {
      if (x.end < x.begin || x.begin <= last + 1) return false;
      last = x.end;
    }
    return true;
  }
  return false; // SETs and unknown types: let the sdk decide
}

const keyOf = (r: Resource) => `${r.name}\u0000${r.type}\u0000${r.role ?? "*"}`;

/**
 * The same resources merged by name, type and role, empties dropped, without allocation_info
 * (equal in content to the sdk's `normalize(unallocated(rs))`). Returns `rs` itself when it is
 * already in that form; treat the result as read-only.
 */
export function normalizedResources(rs: readonly Resource[]): readonly Resource[] {
  if (rs.length > 16) return normalize(unallocated(rs)); // the pairwise check below is for short lists
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]!;
    if (!isNormalEntry(r)) return normalize(unallocated(rs));
    for (let j = 0; j < i; j++) {
      const o = rs[j]!;
      if (o.name === r.name && o.type === r.type && keyOf(o) === keyOf(r)) return normalize(unallocated(rs));
    }
  }
  return rs;
}
