/**
 * Quota bookkeeping for one allocation run (Mesos 1.9+ quota: guarantees and limits,
 * docs/quota.md, the two stages of `HierarchicalAllocatorProcess::__allocate`).
 *
 * - A role's *consumption* is what its subtree is allocated (tasks and offers, reserved or not)
 *   plus the reservations for its subtree nobody is allocated yet (reserved resources are the
 *   role's whether used or not).
 * - *Required headroom*: for each top-most role with a guarantee (no ancestor has one: a parent's
 *   guarantee already covers its children's), what its guarantee still lacks. *Available
 *   headroom*: unreserved resources not allocated anywhere. Stage 2 may hand out unreserved
 *   resources only from available − required, so unsatisfied guarantees can still be met.
 * - Limits: an offer never takes a role (or any ancestor with a limit) past its limit.
 *
 * Only non-revocable scalar quantities are tracked (`eachQuotaScalar`); names a quota does not
 * mention are unconstrained by it.
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { isWithinRole, reservationRole } from "../../../sdk/src/roles.ts";
import { roundQuantity } from "./scalar-quantities.ts";

/** One role's quota as the allocator reads it: scalar quantities by resource name. */
export interface RoleQuota {
  guarantees?: Readonly<Record<string, number>>;
  limits?: Readonly<Record<string, number>>;
}

type Quantities = Map<string, number>;

const addTo = (q: Quantities, name: string, v: number) => q.set(name, roundQuantity((q.get(name) ?? 0) + v));

/**
 * The scalar quantities of `resources` that quota counts, split into unreserved and reserved
 * (with the reservation's role). Revocable resources are left out: as in Mesos, quota is
 * consumed and guaranteed in non-revocable resources only (`quotaConsumed` counts allocated
 * unreserved non-revocable resources), so a role's revocable tasks neither use up its
 * guarantee nor count towards its limit.
 */
export function eachQuotaScalar(resources: readonly Resource[], f: (name: string, value: number, reservedFor: string | undefined) => void): void {
  for (const r of resources)
    if (r.type === "SCALAR" && r.scalar && r.scalar.value > 0 && r.revocable === undefined) f(r.name, r.scalar.value, reservationRole(r));
}

/** What each quota role consumes and what headroom is left, updated offer by offer. */
export class QuotaTracker {
  private readonly consumed = new Map<string, Quantities>();
  private readonly available: Quantities = new Map();
  /** Roles with a guarantee and no ancestor with one. */
  private readonly topGuaranteed: string[];

  constructor(private readonly quotas: Readonly<Record<string, RoleQuota>>) {
    const guaranteed = Object.keys(quotas).filter((r) => Object.keys(quotas[r]!.guarantees ?? {}).length > 0);
    this.topGuaranteed = guaranteed.filter((r) => !guaranteed.some((q) => q !== r && isWithinRole(r, q)));
    for (const role of Object.keys(quotas)) this.consumed.set(role, new Map());
  }

  /** True when some quota has a guarantee (stage 1 is needed). */
  get hasGuarantees(): boolean {
    return this.topGuaranteed.length > 0;
  }

  /** Counts what a framework of `role` already holds (its reserved resources too: they are in no agent's unallocated list). */
  held(role: string, resources: readonly Resource[]): void {
    this.charge(role, resources, false);
  }

  /** Counts an agent's unallocated resources: unreserved ones as available headroom, reserved ones as their role's. */
  unallocated(resources: readonly Resource[]): void {
    eachQuotaScalar(resources, (name, value, reservedFor) => {
      if (reservedFor === undefined) addTo(this.available, name, value);
      else for (const [q, c] of this.consumed) if (isWithinRole(reservedFor, q)) addTo(c, name, value);
    });
  }

  /** Counts an offer of `resources` to `role` (its unreserved part leaves the available headroom). */
  offered(role: string, resources: readonly Resource[]): void {
    this.charge(role, resources, true);
    eachQuotaScalar(resources, (name, value, reservedFor) => {
      if (reservedFor === undefined) addTo(this.available, name, -value);
    });
  }

  /** True when `role` or an ancestor has a guarantee it does not yet consume in full (stage 1 serves it). */
  belowGuarantee(role: string): boolean {
    for (const [q, quota] of Object.entries(this.quotas)) {
      if (!isWithinRole(role, q)) continue;
      const c = this.consumed.get(q)!;
      for (const [name, g] of Object.entries(quota.guarantees ?? {})) if ((c.get(name) ?? 0) < g) return true;
    }
    return false;
  }

  /**
   * How much of each named unreserved scalar `role` may be offered now: limits of the role and
   * its ancestors; in stage 1 what its guarantees (and its ancestors') still lack, for the names
   * they guarantee; otherwise the headroom surplus. Names absent are not capped.
   */
  caps(role: string, stage: 1 | 2): Quantities {
    const caps: Quantities = new Map();
    const cap = (name: string, v: number) => caps.set(name, Math.max(0, Math.min(caps.get(name) ?? Infinity, v)));
    const guaranteedHere = new Set<string>();
    for (const [q, quota] of Object.entries(this.quotas)) {
      if (!isWithinRole(role, q)) continue;
      const c = this.consumed.get(q)!;
      for (const [name, limit] of Object.entries(quota.limits ?? {})) cap(name, roundQuantity(limit - (c.get(name) ?? 0)));
      if (stage === 1) {
        for (const [name, g] of Object.entries(quota.guarantees ?? {})) {
          guaranteedHere.add(name);
          cap(name, roundQuantity(g - (c.get(name) ?? 0)));
        }
      }
    }
    if (this.hasGuarantees) {
      const required = this.required();
      for (const [name, need] of required) {
        if (guaranteedHere.has(name)) continue;
        cap(name, roundQuantity((this.available.get(name) ?? 0) - need));
      }
    }
    return caps;
  }

  /** What the top-most guarantees still lack, by name. */
  private required(): Quantities {
    const out: Quantities = new Map();
    for (const r of this.topGuaranteed) {
      const c = this.consumed.get(r)!;
      for (const [name, g] of Object.entries(this.quotas[r]!.guarantees ?? {})) {
        const lack = g - (c.get(name) ?? 0);
        if (lack > 0) addTo(out, name, lack);
      }
    }
    return out;
  }

  /**
   * Adds `resources` given to `role` to every quota role `q` containing it, as Mesos counts
   * consumption (allocated unreserved resources plus the reservations of `q`'s subtree):
   * unreserved ones always; those reserved within `q`'s subtree unless `unallocatedCounted`
   * (an offer of them: `unallocated` counted them already); those reserved for a role above `q`
   * never (they are not `q`'s reservations).
   */
  private charge(role: string, resources: readonly Resource[], unallocatedCounted: boolean): void {
    for (const [q, c] of this.consumed) {
      if (!isWithinRole(role, q)) continue;
      eachQuotaScalar(resources, (name, value, reservedFor) => {
        if (reservedFor !== undefined && (unallocatedCounted || !isWithinRole(reservedFor, q))) return;
        addTo(c, name, value);
      });
    }
  }
}

/**
 * `resources` with unreserved scalars cut down to `caps` (by name); reserved resources and
 * names without a cap are kept. The same list when nothing had to be cut.
 */
export function capped(resources: readonly Resource[], caps: ReadonlyMap<string, number>): readonly Resource[] {
  if (caps.size === 0) return resources;
  let out: Resource[] | undefined;
  const left = new Map(caps);
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i]!;
    const limit = r.type === "SCALAR" && reservationRole(r) === undefined ? left.get(r.name) : undefined;
    let keep: Resource | undefined = r;
    if (limit !== undefined) {
      const value = r.scalar?.value ?? 0;
      const take = roundQuantity(Math.min(value, limit));
      left.set(r.name, roundQuantity(limit - take));
      keep = take <= 0 ? undefined : take < value ? { ...r, scalar: { value: take } } : r;
    }
    if (keep !== r && !out) out = resources.slice(0, i);
    if (out && keep) out.push(keep);
  }
  return out ?? resources;
}
