/**
 * A binary min-heap whose items remember where they sit (`heapIndex`), so one item can be
 * re-placed after its key changed, or taken out, in O(log n) without searching for it. The DRF
 * sorter keeps its clients in one: an allocation changes one client's share, and the allocator
 * mostly wants only the best client for each agent, so a run over A agents and F frameworks
 * costs O(A · log F) comparisons and moves no more than log F pointers per allocation (a sorted
 * array moved F of them). Iterating in order is pop, pop, … and putting back.
 */

/** An item the heap can hold: `heapIndex` is its slot while held, and −1 (or any negative) when not. */
export interface HeapItem {
  heapIndex: number;
}

/** A min-heap under `compare` (negative: `a` comes first); the order must be total for a deterministic pop order. */
export class IndexedHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  /** Number of items held. */
  get size(): number {
    return this.items.length;
  }

  /** True when `item` is held by this heap. */
  has(item: T): boolean {
    const i = item.heapIndex;
    return i >= 0 && i < this.items.length && this.items[i] === item;
  }

  /** The first item, left in place. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds an item that is not held (its key must not change while held, except through `update`). */
  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  /** Takes the first item out (its `heapIndex` becomes −1). */
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop()!;
    if (last !== top) {
      items[0] = last;
      last.heapIndex = 0;
      this.down(0);
    }
    top.heapIndex = -1;
    return top;
  }

  /** Takes a held item out, wherever it is. */
  remove(item: T): void {
    if (!this.has(item)) return;
    const items = this.items,
      at = item.heapIndex;
    const last = items.pop()!;
    item.heapIndex = -1;
    if (last === item) return;
    items[at] = last;
    last.heapIndex = at;
    this.update(last);
  }

  /** Re-places a held item after its key changed, either way. */
  update(item: T): void {
    if (!this.has(item)) return;
    if (!this.up(item.heapIndex)) this.down(item.heapIndex);
  }

  /** Replaces the contents with `items` (O(n)); items held before are let go. */
  reset(items: readonly T[]): void {
    for (const item of this.items) item.heapIndex = -1;
    this.items.length = 0;
    for (const item of items) {
      item.heapIndex = this.items.length;
      this.items.push(item);
    }
    for (let i = (this.items.length >>> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** The items held, in heap (not sorted) order; read-only, valid until the next change. */
  contents(): readonly T[] {
    return this.items;
  }

  /** Moves the item at `i` towards the root while it comes before its parent; true if it moved. */
  private up(i: number): boolean {
    const items = this.items,
      item = items[i]!;
    const from = i;
    while (i > 0) {
      const p = (i - 1) >>> 1,
        parent = items[p]!;
      if (this.compare(item, parent) >= 0) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = item;
    item.heapIndex = i;
    return i !== from;
  }

  /** Moves the item at `i` towards the leaves while a child comes before it. */
  private down(i: number): void {
    const items = this.items,
      n = items.length,
      item = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.compare(items[r]!, items[l]!) < 0 ? r : l;
      const child = items[c]!;
      if (this.compare(child, item) >= 0) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
