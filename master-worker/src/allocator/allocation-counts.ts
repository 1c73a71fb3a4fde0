/**
 * How many offers each framework has had in each role so far: the DRF tie-break ("fewer
 * allocations so far", docs/allocation.md) kept across allocation runs. Mesos' sorters live as
 * long as the master and count every allocation for a client's lifetime, so frameworks of equal
 * share take turns. `allocate` builds its sorters afresh each run, from a snapshot: the caller
 * keeps the counts here between runs, hands them in (`AllocationInput.counts`) and records each
 * run's decisions (`record`). A role's count is the sum of its frameworks' counts (in its
 * subtree, at the role level). Memory only, as Mesos' are.
 */

/** The counts as `allocate` reads them. */
export interface AllocationCountsView {
  /** Offers made so far to `frameworkId` in `role` (0 when none). */
  of(frameworkId: string, role: string): number;
}

/** Counts kept by the caller of `allocate`, between its runs; see the file comment. */
export class AllocationCounts implements AllocationCountsView {
  /** frameworkId → role → offers made. */
  private readonly counts = new Map<string, Map<string, number>>();

  of(frameworkId: string, role: string): number {
    return this.counts.get(frameworkId)?.get(role) ?? 0;
  }

  /** Counts one offer per decision, for its (framework, role). */
  record(decisions: Iterable<{ readonly frameworkId: string; readonly role: string }>): void {
    for (const { frameworkId, role } of decisions) {
      let byRole = this.counts.get(frameworkId);
      if (!byRole) this.counts.set(frameworkId, (byRole = new Map()));
      byRole.set(role, (byRole.get(role) ?? 0) + 1);
    }
  }

  /** A copy to run on without changing these (a dry run, or a full run to compare an incremental one with). */
  copy(): AllocationCounts {
    const out = new AllocationCounts();
    for (const [id, byRole] of this.counts) out.counts.set(id, new Map(byRole));
    return out;
  }

  /** Forgets every framework not in `frameworkIds` (removed ones: Mesos drops a removed client's count). */
  retain(frameworkIds: Iterable<string>): void {
    const keep = new Set(frameworkIds);
    for (const id of this.counts.keys()) if (!keep.has(id)) this.counts.delete(id);
  }
}
