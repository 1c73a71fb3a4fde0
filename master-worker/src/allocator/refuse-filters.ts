/**
 * Refuse filters (a DECLINE's or ACCEPT's `filters.refuse_seconds`): while one is unexpired the
 * allocator does not offer that agent to that framework in that role. As Mesos' offer filters
 * they are kept per (framework, role, agent): the role is the `allocation_info.role` of the
 * offer declined or accepted, so a MULTI_ROLE framework that declines an offer for one role is
 * still offered the agent for its other roles, and REVIVE with `roles` clears only those roles'
 * filters. Expiry is a plain comparison with `now`, so the master only has to re-run
 * allocation when the next filter expires.
 *
 * Unlike Mesos, a filter covers the whole agent rather than only offers contained in the
 * resources refused (Mesos lets a larger offer through): a simpler rule, said in
 * docs/allocation.md.
 */

import type { FrameworkInfo, Offer } from "../../../schemas/index.ts";
import { frameworkRole } from "./framework-roles.ts";

/** "Do not offer `agentId` to `frameworkId` for `role` before `until`" (ms since epoch). */
export interface RefuseFilter {
  frameworkId: string;
  role: string;
  agentId: string;
  until: number;
}

/**
 * The role a DECLINE or ACCEPT of `offer` filters: the offer's `allocation_info.role`, or (an
 * offer made before offers carried one) the framework's first role.
 */
export const filterRole = (offer: Pick<Offer, "allocation_info">, framework: { info: Pick<FrameworkInfo, "role" | "roles"> } | undefined): string =>
  offer.allocation_info?.role ?? (framework ? frameworkRole(framework.info) : "*");

/** True while the filter still applies: `until > now`. */
export const isUnexpired = (filter: RefuseFilter, now: number): boolean => filter.until > now;

/** True when `a` and `b` filter the same (framework, role, agent) (a new filter replaces the old one). */
export const sameFilterTarget = (a: RefuseFilter, b: RefuseFilter): boolean => a.frameworkId === b.frameworkId && a.agentId === b.agentId && a.role === b.role;

/**
 * The filters left once a framework's filters are cleared (REVIVE): those of `roles`, or all of
 * them when `roles` is undefined (REVIVE without roles).
 */
export function withoutFrameworkFilters(filters: readonly RefuseFilter[], frameworkId: string, roles?: readonly string[]): RefuseFilter[] {
  return filters.filter((f) => f.frameworkId !== frameworkId || (roles !== undefined && !roles.includes(f.role)));
}

/** Filters that no longer apply at `now`, so the master can drop them (and allocate again). */
export function expiredFilters(filters: readonly RefuseFilter[], now: number): RefuseFilter[] {
  return filters.filter((f) => !isUnexpired(f, now));
}

/** The earliest future expiry, when allocation should run again; undefined when none is pending. */
export function nextFilterExpiry(filters: readonly RefuseFilter[], now: number): number | undefined {
  let next: number | undefined;
  for (const f of filters) if (isUnexpired(f, now) && (next === undefined || f.until < next)) next = f.until;
  return next;
}

/** Answers "is this (framework, role, agent) refused?" for the filters unexpired at `now`. */
export type RefusedCheck = (frameworkId: string, role: string, agentId: string) => boolean;

/** Fast lookup of the filters unexpired at `now` (no allocation per question). */
export function refusedPairs(filters: readonly RefuseFilter[], now: number): RefusedCheck {
  // agentId → frameworkId → roles refused
  const byAgent = new Map<string, Map<string, Set<string>>>();
  for (const f of filters) {
    if (!isUnexpired(f, now)) continue;
    let fws = byAgent.get(f.agentId);
    if (!fws) byAgent.set(f.agentId, (fws = new Map()));
    let roles = fws.get(f.frameworkId);
    if (!roles) fws.set(f.frameworkId, (roles = new Set()));
    roles.add(f.role);
  }
  if (byAgent.size === 0) return () => false;
  return (frameworkId, role, agentId) => byAgent.get(agentId)?.get(frameworkId)?.has(role) ?? false;
}
