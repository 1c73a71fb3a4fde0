/**
 * Dominant Resource Fairness (Ghodsi et al., NSDI 2011; Mesos `DRFSorter`): the client with the
 * lowest weighted dominant share is offered first, which converges on max-min fairness across
 * multiple resource kinds.
 *
 * Share of a client = max over SCALAR resource names of held / pool total (names whose pool
 * total is 0 are ignored), divided by its weight. RANGES (ports) and SETs are left out, as in
 * Mesos: a port count is not a quantity worth equalising. Ties go to the client with fewer
 * allocations so far, then to the smaller id, so the order is fully deterministic.
 */
import { BaseSorter, type ClientState } from "./base-sorter.ts";

/** The default, fair sorter. */
export class DrfSorter extends BaseSorter {
  /** The weighted dominant share of a known client (exposed for tests, metrics and debugging). */
  dominantShare(client: string): number {
    return this.share(this.state(client), this.totalScalars());
  }

  sort(): string[] {
    const totals = this.totalScalars();
    return this.activeClients()
      .map(([id, st]) => ({ id, share: this.share(st, totals), allocations: st.allocations }))
      .sort((a, b) => a.share - b.share || a.allocations - b.allocations || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((c) => c.id);
  }

  private share(st: ClientState, totals: Map<string, number>): number {
    let dominant = 0;
    for (const [name, held] of this.heldScalars(st)) {
      const total = totals.get(name) ?? 0;
      if (total > 0) dominant = Math.max(dominant, held / total);
    }
    return dominant / st.weight;
  }
}
