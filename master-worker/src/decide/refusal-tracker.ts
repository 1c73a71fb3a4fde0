/**
 * Which agents a refuse filter stopped covering between two allocation runs, so an incremental
 * run looks at them again: filters are per (framework, role, agent), and an agent counts when
 * any (framework, role) pair refused there is no longer refused (a REVIVE of one role clears
 * only its filters).
 */
import type { RefuseFilter } from "../allocator/index.ts";

/** One (framework, role) pair as a key (ids and role names never hold NUL). */
const refusedKey = (frameworkId: string, role: string): string => `${frameworkId}\u0000${role}`;

/** Nothing uncovered (shared: most runs see no filter change). */
const NONE: readonly string[] = [];

/** The refused pairs per agent at the last call; see the file comment. */
export class RefusalTracker {
  private filtersSeen: readonly unknown[] | undefined;
  /** agentId → the (framework, role) pairs refused there at the last call (`refusedKey`). */
  private refused = new Map<string, Set<string>>();
  /** The earliest expiry of those filters. */
  private nextExpiry = Infinity;

  /** The agents a filter stopped covering (removed, replaced or expired) since the last call: they need allocating. */
  uncovered(filters: readonly RefuseFilter[], now: number): readonly string[] {
    if (filters === this.filtersSeen && now < this.nextExpiry) return NONE;
    const out: string[] = [];
    const refused = new Map<string, Set<string>>();
    let nextExpiry = Infinity;
    for (const f of filters) {
      if (f.until <= now) continue;
      let pairs = refused.get(f.agentId);
      if (!pairs) refused.set(f.agentId, (pairs = new Set()));
      pairs.add(refusedKey(f.frameworkId, f.role));
      nextExpiry = Math.min(nextExpiry, f.until);
    }
    for (const [agentId, pairs] of this.refused) {
      const still = refused.get(agentId);
      for (const pair of pairs)
        if (!still?.has(pair)) {
          out.push(agentId);
          break;
        }
    }
    this.refused = refused;
    this.nextExpiry = nextExpiry;
    this.filtersSeen = filters;
    return out;
  }
}
