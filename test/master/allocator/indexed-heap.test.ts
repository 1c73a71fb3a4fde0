import { describe, expect, it } from "vitest";
import { IndexedHeap, mulberry32 } from "../../../master-worker/src/allocator/index.ts";

interface Item {
  id: number;
  key: number;
  heapIndex: number;
}

const compare = (a: Item, b: Item) => a.key - b.key || a.id - b.id;
const item = (id: number, key: number): Item => ({ id, key, heapIndex: -1 });

/** Pops everything (emptying the heap) and returns the ids in pop order. */
function drain(heap: IndexedHeap<Item>): number[] {
  const out: number[] = [];
  for (let x = heap.pop(); x !== undefined; x = heap.pop()) out.push(x.id);
  return out;
}

describe("IndexedHeap", () => {
  it("pops in order and marks popped items as out", () => {
    const heap = new IndexedHeap<Item>(compare);
    const items = [5, 3, 9, 1, 7, 3].map((key, id) => item(id, key));
    for (const x of items) heap.push(x);
    expect(heap.size).toBe(6);
    expect(heap.peek()!.id).toBe(3);
    expect(drain(heap)).toEqual([3, 1, 5, 0, 4, 2]);
    expect(heap.size).toBe(0);
    expect(items.every((x) => x.heapIndex === -1 && !heap.has(x))).toBe(true);
    expect(heap.pop()).toBeUndefined();
  });

  it("reset builds a heap from any order and lets go of what it held", () => {
    const heap = new IndexedHeap<Item>(compare);
    const old = item(99, 0);
    heap.push(old);
    const items = [4, 8, 1, 6, 2].map((key, id) => item(id, key));
    heap.reset(items);
    expect(heap.has(old)).toBe(false);
    expect(old.heapIndex).toBe(-1);
    expect(drain(heap)).toEqual([2, 4, 0, 3, 1]);
  });

  it("matches a sorted list through random pushes, pops, updates and removals", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = mulberry32(seed);
      const heap = new IndexedHeap<Item>(compare);
      const all = Array.from({ length: 40 }, (_, id) => item(id, Math.floor(random() * 10)));
      const held = new Set<Item>();
      for (let step = 0; step < 400; step++) {
        const x = all[Math.floor(random() * all.length)]!;
        const r = random();
        if (r < 0.3) {
          if (!held.has(x)) {
            heap.push(x);
            held.add(x);
          }
        } else if (r < 0.45) {
          const top = heap.pop();
          if (top) held.delete(top);
        } else if (r < 0.75) {
          x.key = Math.floor(random() * 10);
          if (held.has(x)) heap.update(x);
          else if (heap.has(x)) throw new Error("held out of step");
        } else {
          heap.remove(x);
          held.delete(x);
        }
        const wrong = all.filter((y) => heap.has(y) !== held.has(y)).length;
        const first = [...held].sort(compare)[0];
        if (heap.size !== held.size || wrong > 0 || heap.peek() !== first) expect.fail(`seed ${seed}, step ${step}: heap out of step`);
      }
      expect(drain(heap)).toEqual([...held].sort(compare).map((y) => y.id));
    }
  });

  it("contents lists exactly the items held", () => {
    const heap = new IndexedHeap<Item>(compare);
    const items = [3, 1, 2].map((key, id) => item(id, key));
    for (const x of items) heap.push(x);
    heap.remove(items[0]!);
    expect(
      heap
        .contents()
        .map((x) => x.id)
        .sort(),
    ).toEqual([1, 2]);
    heap.remove(items[0]!); // not held: nothing happens
    expect(heap.size).toBe(2);
  });
});
