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

/** Fast lookup of the filters unexpired at `now`, answering "is this pair refused?". */
export function refusedPairs(filters: readonly RefuseFilter[], now: number): (frameworkId: string, agentId: string) => boolean {
  const refused = new Set(filters.filter((f) => isUnexpired(f, now)).map((f) => `${f.frameworkId}\u0000${f.agentId}`));
  return (frameworkId, agentId) => refused.has(`${frameworkId}\u0000${agentId}`);
}
