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
 * Active clients are kept in an indexed min-heap, not in a sorted list: a change of one client
 * (an allocation) re-places it in O(log n), and `visit` — what the allocator uses — pops clients
 * best first only as far as it is asked to (usually one), then puts them back. A change of the
 * pool changes every share and rebuilds the heap at the next read (O(n)). `ordered()` sorts a
 * copy of the heap, once per change: for callers that want the whole order.
 */

import { BaseSorter, type ClientState } from "./base-sorter.ts";
import { byId } from "./by-id.ts";
import { IndexedHeap } from "./indexed-heap.ts";

/**
 * A client as this sorter keeps it: `share` as of its last change; `idRank` its id's place among
 * every client's id (−1 until ranked), so ties are broken without comparing strings;
 * `heapIndex` −1 when out of the heap, −2 while `visit` holds it.
 */
interface Ranked extends ClientState {
  share: number;
  idRank: number;
  heapIndex: number;
}

const VISITED = -2;

const compare = (a: Ranked, b: Ranked): number => a.share - b.share || a.allocations - b.allocations || a.idRank - b.idRank;

/** The default, fair sorter. */
export class DrfSorter extends BaseSorter {
  private readonly heap = new IndexedHeap<Ranked>(compare);
  /** False until the heap is built, and after the pool changes or a client is added: rebuild at the next read. */
  private built = false;
  /** False when a client was added since ids were last ranked. */
  private ranked = false;
  /** The whole order, as `ordered()` last computed it; undefined after any change. */
  private ids: string[] | undefined;
  /** Clients `visit` has taken out of the heap, in the order visited (reused between visits). */
  private readonly taken: Ranked[] = [];
  private visiting = false;

  /** The weighted dominant share of a known client (exposed for tests, metrics and debugging). */
  dominantShare(client: string): number {
    return this.share(this.state(client));
  }

  sort(): string[] {
    return [...this.ordered()];
  }

  ordered(): readonly string[] {
    this.ready();
    if (!this.ids) this.ids = [...this.heap.contents()].sort(compare).map((st) => st.id);
    return this.ids;
  }

  override visit(visit: (client: string) => boolean): void {
    this.ready();
    const heap = this.heap,
      taken = this.taken;
    this.visiting = true;
    try {
      for (let st = heap.pop(); st !== undefined; st = heap.pop()) {
        st.heapIndex = VISITED;
        taken.push(st);
        if (!visit(st.id)) break;
      }
    } finally {
      this.visiting = false;
      for (const st of taken) {
        st.heapIndex = -1;
        if (this.built && st.active && this.find(st.id) === st) {
          st.share = this.share(st);
          heap.push(st);
        }
      }
      taken.length = 0;
    }
  }

  protected override createState(st: ClientState): ClientState {
    const ranked = st as Ranked;
    ranked.share = 0;
    ranked.idRank = -1;
    ranked.heapIndex = -1;
    this.ranked = this.built = false;
    return ranked;
  }

  protected override changed(client: ClientState): void {
    this.ids = undefined;
    if (!this.built) return;
    const st = client as Ranked;
    if (st.heapIndex === VISITED) return; // put back, with its new rank, when the visit ends
    if (!st.active || this.find(st.id) !== st) {
      this.heap.remove(st);
      return;
    }
    st.share = this.share(st);
    if (this.heap.has(st)) this.heap.update(st);
    else this.heap.push(st);
  }

  protected override poolChanged(): void {
    this.ids = undefined;
    this.built = false;
  }

  /** Builds the heap when needed; refuses reads from inside `visit` (the heap lacks the clients taken out). */
  private ready(): void {
    if (this.visiting) throw new Error("sorter: the order cannot be read from inside visit()");
    if (this.built) return;
    if (!this.ranked) this.rankIds();
    const active: Ranked[] = [];
    for (const client of this.allClients()) {
      const st = client as Ranked;
      if (!st.active) continue;
      st.share = this.share(st);
      active.push(st);
    }
    this.heap.reset(active);
    this.built = true;
  }

  /** Numbers every client by id order (clients usually come in that order: then no sort is needed). */
  private rankIds(): void {
    const all: Ranked[] = [];
    for (const st of this.allClients()) all.push(st as Ranked);
    let sorted = true;
    for (let i = 1; i < all.length && sorted; i++) sorted = all[i - 1]!.id < all[i]!.id;
    if (!sorted) all.sort(byId);
    for (let i = 0; i < all.length; i++) all[i]!.idRank = i;
    this.ranked = true;
  }

  private share(st: ClientState): number {
    const totals = this.totalScalars(),
      held = st.scalars;
    let dominant = 0;
    for (let k = 0; k < held.length; k++) {
      const h = held[k] ?? 0,
        total = totals[k] ?? 0;
      if (h !== 0 && total > 0) dominant = Math.max(dominant, h / total);
    }
    return dominant / st.weight;
  }
}
