import { describe, expect, it } from "vitest";
import { HierarchicalSorter, mulberry32, RandomSorter, shuffle } from "../../../master-worker/src/allocator/index.ts";
import { runSorterConformance } from "./sorter-conformance.ts";

runSorterConformance("RandomSorter", () => new RandomSorter(mulberry32(42)));

function sorterWith(seed: number, clients: Array<[string, number?]>): RandomSorter {
  const s = new RandomSorter(mulberry32(seed));
  for (const [c, w] of clients) {
    s.add(c, w);
    s.activate(c);
  }
  return s;
}

const ids = ["a", "b", "c", "d", "e"].map((c) => [c] as [string]);

describe("RandomSorter", () => {
  it("gives the same orders for the same seed, whatever the insertion order", () => {
    const s1 = sorterWith(7, ids);
    const s2 = sorterWith(7, [...ids].reverse());
    for (let i = 0; i < 20; i++) expect(s2.sort()).toEqual(s1.sort());
  });

  it("gives different orders for different seeds", () => {
    const run = (seed: number) => {
      const s = sorterWith(seed, ids);
      return Array.from({ length: 10 }, () => s.sort().join(""));
    };
    expect(run(1)).not.toEqual(run(2));
  });

  it("puts every active client first eventually", () => {
    const s = sorterWith(3, ids);
    const firsts = new Set<string>();
    for (let i = 0; i < 200; i++) firsts.add(s.sort()[0]!);
    expect([...firsts].sort()).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("puts heavier clients first more often", () => {
    const s = sorterWith(11, [
      ["light", 1],
      ["heavy", 4],
    ]);
    let heavy = 0;
    for (let i = 0; i < 2000; i++) if (s.sort()[0] === "heavy") heavy++;
    expect(heavy / 2000).toBeGreaterThan(0.7);
    expect(heavy / 2000).toBeLessThan(0.9);
  });
});

describe("seeded random", () => {
  it("mulberry32 is deterministic and in [0, 1)", () => {
    const a = mulberry32(123),
      b = mulberry32(123);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it("shuffle is a seeded permutation that leaves its input alone", () => {
    const input = [1, 2, 3, 4, 5, 6, 7, 8];
    const out = shuffle(input, mulberry32(5));
    expect(input).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...out].sort()).toEqual(input);
    expect(shuffle(input, mulberry32(5))).toEqual(out);
  });
});

runSorterConformance(
  "HierarchicalSorter(random)",
  () => {
    const random = mulberry32(7);
    return new HierarchicalSorter(() => new RandomSorter(random));
  },
  { hierarchical: true },
);
