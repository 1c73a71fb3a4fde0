/**
 * Refuse filters (a DECLINE's `filters.refuse_seconds`): while one is unexpired the allocator
 * does not offer that agent to that framework. Expiry is a plain comparison with `now`, so the
 * master only has to re-run allocation when the next filter expires.
 */

/** "Do not offer `agentId` to `frameworkId` before `until`" (ms since epoch). */
export interface RefuseFilter { frameworkId: string; agentId: string; until: number }

/** True while the filter still applies: `until > now`. */
export const isUnexpired = (filter: RefuseFilter, now: number): boolean => filter.until > now;

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

/** Fast lookup of the filters unexpired at `now`, answering "is this pair refused?" (no allocation per question). */
export function refusedPairs(filters: readonly RefuseFilter[], now: number): (frameworkId: string, agentId: string) => boolean {
  const byAgent = new Map<string, Set<string>>();
  for (const f of filters) {
    if (!isUnexpired(f, now)) continue;
    let fws = byAgent.get(f.agentId);
    if (!fws) byAgent.set(f.agentId, (fws = new Set()));
    fws.add(f.frameworkId);
  }
  if (byAgent.size === 0) return () => false;
  return (frameworkId, agentId) => byAgent.get(agentId)?.has(frameworkId) ?? false;
}
