/**
 * Dominant Resource Fairness (Ghodsi et al., NSDI 2011; Mesos `DRFSorter`): the client with the
 * lowest weighted dominant share is offered first, which converges on max-min fairness across
 * multiple resource kinds.
 *
 * Share of a client = max over SCALAR resource names of held / pool total (names whose pool
 * total is 0 are ignored), divided by its weight. RANGES (ports) and SETs are left out, as in
 * Mesos: a port count is not a quantity worth equalising. Ties go to the client with fewer
 * allocations so far, then to the smaller id, so the order is fully deterministic.
 *
 * The order is kept, not recomputed: an allocation changes one client's share, so only that
 * client is taken out and put back (binary search) at the next read; a change of the pool
 * changes every share and re-sorts once. An allocation run over A agents and F frameworks
 * costs O(A · log F) comparisons instead of O(A · F log F).
 */
import { BaseSorter, type ClientState } from "./base-sorter.ts";

/** A client's place in the order: the share and allocation count it was ranked with. */
interface Placed { st: ClientState; share: number; allocations: number }

const compare = (a: Placed, b: Placed): number =>
  a.share - b.share || a.allocations - b.allocations || (a.st.id < b.st.id ? -1 : a.st.id > b.st.id ? 1 : 0);

/** The default, fair sorter. */
export class DrfSorter extends BaseSorter {
  /** Active clients, best first, and their ids (the same order: what `ordered()` hands out). */
  private order: Placed[] = [];
  private ids: string[] = [];
  private readonly placed = new Map<string, Placed>();
  /** Entries taken out during a refresh, put back with new values (no garbage per allocation). */
  private readonly reused = new Map<string, Placed>();
  /** False until the order is built, and after the pool changes: rebuild at the next read. */
  private built = false;
  /** Clients whose rank may have changed since they were placed. */
  private readonly stale = new Set<string>();

  /** The weighted dominant share of a known client (exposed for tests, metrics and debugging). */
  dominantShare(client: string): number {
    return this.share(this.state(client));
  }

  sort(): string[] {
    return [...this.ordered()];
  }

  ordered(): readonly string[] {
    if (!this.built) this.rebuild();
    else if (this.stale.size > 0) this.refresh();
    return this.ids;
  }

  protected override changed(client: string): void {
    if (this.built) this.stale.add(client);
  }

  protected override poolChanged(): void {
    this.built = false;
    this.stale.clear();
  }

  private rebuild(): void {
    this.order = this.activeClients().map((st) => this.placing(st));
    this.order.sort(compare);
    this.ids = this.order.map((p) => p.st.id);
    this.placed.clear();
    for (const p of this.order) this.placed.set(p.st.id, p);
    this.built = true;
    this.stale.clear();
  }

  /**
   * Takes every stale client out and puts the active ones back where they now rank. In place:
   * an `ordered()` array is only valid until the next read.
   */
  private refresh(): void {
    for (const id of this.stale) {
      const was = this.placed.get(id);
      if (!was) continue;
      const at = this.position(was);
      this.order.splice(at, 1);
      this.ids.splice(at, 1);
      this.placed.delete(id);
      this.reused.set(id, was);
    }
    for (const id of this.stale) {
      const st = this.find(id);
      if (!st?.active) continue;
      const p = this.reused.get(id) ?? this.placing(st);
      p.st = st; p.share = this.share(st); p.allocations = st.allocations;
      const at = this.position(p);
      this.order.splice(at, 0, p);
      this.ids.splice(at, 0, id);
      this.placed.set(id, p);
    }
    this.stale.clear();
    this.reused.clear();
  }

  /** The first index in the order that does not rank before `p`. */
  private position(p: Placed): number {
    const order = this.order;
    let lo = 0, hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(order[mid]!, p) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private placing(st: ClientState): Placed {
    return { st, share: this.share(st), allocations: st.allocations };
  }

  private share(st: ClientState): number {
    const totals = this.totalScalars(), held = st.scalars;
    let dominant = 0;
    for (let k = 0; k < held.length; k++) {
      const h = held[k] ?? 0, total = totals[k] ?? 0;
      if (h !== 0 && total > 0) dominant = Math.max(dominant, h / total);
    }
    return dominant / st.weight;
  }
}
