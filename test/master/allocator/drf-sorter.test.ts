import { describe, expect, it } from "vitest";
import { DrfSorter, HierarchicalSorter } from "../../../master-worker/src/allocator/index.ts";
import { ranges, scalar } from "../../../sdk/src/resources.ts";
import { runSorterConformance } from "./sorter-conformance.ts";

runSorterConformance("DrfSorter", () => new DrfSorter());

const res = (cpus: number, mem: number) => [scalar("cpus", cpus), scalar("mem", mem)];

function drfWithClients(clients: Array<[string, number?]>, cpus: number, mem: number): DrfSorter {
  const s = new DrfSorter();
  s.addTotal("ag1", res(cpus, mem));
  for (const [c, w] of clients) {
    s.add(c, w);
    s.activate(c);
  }
  return s;
}

describe("DrfSorter", () => {
  it("reproduces the DRF paper: 9 cpus/18 GB, A <1,4>, B <3,1> → A 3 tasks, B 2 tasks", () => {
    const s = drfWithClients([["A"], ["B"]], 9, 18);
    const demand: Record<string, [number, number]> = { A: [1, 4], B: [3, 1] };
    const tasks: Record<string, number> = { A: 0, B: 0 };
    let free: [number, number] = [9, 18];
    for (;;) {
      const next = s.sort()[0]!;
      const [c, m] = demand[next]!;
      if (c > free[0] || m > free[1]) break; // the paper's loop stops when the lowest share cannot fit
      free = [free[0] - c, free[1] - m];
      s.allocated(next, "ag1", res(c, m));
      tasks[next]! += 1;
    }
    expect(tasks).toEqual({ A: 3, B: 2 });
    expect(s.dominantShare("A")).toBeCloseTo(2 / 3);
    expect(s.dominantShare("B")).toBeCloseTo(2 / 3);
  });

  it("puts the lowest dominant share first", () => {
    const s = drfWithClients([["a"], ["b"], ["c"]], 10, 1000);
    s.allocated("a", "ag1", res(5, 100)); // 0.5 (cpus)
    s.allocated("b", "ag1", res(1, 200)); // 0.2 (mem)
    s.allocated("c", "ag1", res(3, 0)); // 0.3
    expect(s.sort()).toEqual(["b", "c", "a"]);
    expect(s.dominantShare("a")).toBe(0.5);
  });

  it("divides shares by weight", () => {
    const s = drfWithClients([["a", 2], ["b"]], 10, 1000);
    s.allocated("a", "ag1", res(6, 0)); // 0.6 / 2 = 0.3
    s.allocated("b", "ag1", res(4, 0)); // 0.4
    expect(s.sort()).toEqual(["a", "b"]);
    s.updateWeight("a", 1);
    expect(s.sort()).toEqual(["b", "a"]);
  });

  it("breaks ties by fewer allocations, then by client id", () => {
    const s = drfWithClients([["b"], ["a"], ["c"]], 10, 1000);
    expect(s.sort()).toEqual(["a", "b", "c"]);
    s.allocated("a", "ag1", res(1, 0));
    s.unallocated("a", "ag1", res(1, 0)); // share back to 0, one allocation counted
    expect(s.sort()).toEqual(["b", "c", "a"]);
  });

  it("counts allocations of earlier runs (counted) in the tie-break, never before a share", () => {
    const s = drfWithClients([["a"], ["b"], ["c"]], 10, 1000);
    s.counted("a", 2);
    s.counted("b", 1);
    expect(s.sort()).toEqual(["c", "b", "a"]);
    s.allocated("c", "ag1", res(0, 0)); // one more allocation, no share: c ties with b on count (1 each), b sorts first by id
    expect(s.sort()).toEqual(["b", "c", "a"]);
    s.allocated("b", "ag1", res(1, 0)); // a share outranks any count
    expect(s.sort()).toEqual(["c", "a", "b"]);
  });

  it("counted in a role tree counts for the role and for each ancestor's subtree", () => {
    const s = new HierarchicalSorter(() => new DrfSorter());
    s.addTotal("ag1", res(10, 1000));
    for (const c of ["eng/a", "eng/b", "ops"]) {
      s.add(c);
      s.activate(c);
    }
    expect(s.sort()).toEqual(["eng/a", "eng/b", "ops"]);
    s.counted("eng/a", 1); // eng (1) now after ops (0); within eng, b (0) before a (1)
    expect(s.sort()).toEqual(["ops", "eng/b", "eng/a"]);
  });

  it("ignores resource names with no pool total, and ports", () => {
    const s = drfWithClients([["a"], ["b"]], 10, 1000);
    s.allocated("a", "ag1", [scalar("gpus", 4), ranges("ports", [[31000, 31999]]), scalar("cpus", 1)]);
    s.allocated("b", "ag1", res(2, 0));
    expect(s.dominantShare("a")).toBe(0.1);
    expect(s.sort()).toEqual(["a", "b"]);
  });

  it("follows changes of the pool", () => {
    const s = drfWithClients([["a"], ["b"]], 10, 100);
    s.allocated("a", "ag1", res(5, 0)); // 0.5
    s.allocated("b", "ag1", res(0, 40)); // 0.4
    expect(s.sort()).toEqual(["b", "a"]);
    s.addTotal("ag2", res(10, 0)); // a: 5/20 = 0.25
    expect(s.sort()).toEqual(["a", "b"]);
    s.removeTotal("ag2");
    expect(s.sort()).toEqual(["b", "a"]);
  });

  it("is deterministic whatever the insertion order", () => {
    const orders = [
      ["x", "y", "z"],
      ["z", "y", "x"],
      ["y", "x", "z"],
    ].map((ids) => {
      const s = drfWithClients(
        ids.map((id) => [id] as [string]),
        10,
        100,
      );
      return s.sort();
    });
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
  });
});

describe("DrfSorter.visit", () => {
  it("visits in sort() order, and the order after it is the order a full sort gives", () => {
    const s = drfWithClients([["a"], ["b"], ["c"], ["d"]], 10, 1000);
    s.allocated("a", "ag1", res(5, 0));
    s.allocated("c", "ag1", res(1, 0));
    const seen: string[] = [];
    s.visit((c) => {
      seen.push(c);
      return true;
    });
    expect(seen).toEqual(s.sort());
    expect(seen).toEqual(["b", "d", "c", "a"]);
  });

  it("an allocation made during a visit re-ranks the client after the visit, not during it", () => {
    const s = drfWithClients([["a"], ["b"], ["c"]], 10, 1000);
    const seen: string[] = [];
    s.visit((c) => {
      seen.push(c);
      if (c === "a") s.allocated("a", "ag1", res(1, 0));
      return true;
    });
    expect(seen).toEqual(["a", "b", "c"]);
    expect(s.sort()).toEqual(["b", "c", "a"]);
  });

  it("refuses to read the order from inside a visit", () => {
    const s = drfWithClients([["a"], ["b"]], 10, 1000);
    expect(() =>
      s.visit(() => {
        s.sort();
        return true;
      }),
    ).toThrow(/inside visit/);
    expect(s.sort()).toEqual(["a", "b"]); // the failed visit put everything back
  });

  it("follows pool changes made during a visit", () => {
    const s = drfWithClients([["a"], ["b"]], 10, 100);
    s.allocated("a", "ag1", res(5, 0)); // 0.5
    s.allocated("b", "ag1", res(0, 40)); // 0.4
    s.visit(() => {
      s.addTotal("ag2", res(10, 0));
      return false;
    }); // a: 5/20 = 0.25
    expect(s.sort()).toEqual(["a", "b"]);
  });
});

describe("DrfSorter keeps its order incrementally", () => {
  it("matches a full re-sort after any sequence of changes", () => {
    for (let seed = 1; seed <= 50; seed++) {
      let x = seed;
      const random = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
      const kept = new DrfSorter(),
        fresh = new DrfSorter();
      const both = (f: (s: DrfSorter) => void) => {
        f(kept);
        f(fresh);
      };
      both((s) => s.addTotal("ag1", res(64, 65536)));
      const clients = ["a", "b", "c", "d", "e", "f", "g"];
      for (const c of clients)
        both((s) => {
          s.add(c);
          s.activate(c);
        });
      for (let i = 0; i < 200; i++) {
        const c = clients[Math.floor(random() * clients.length)]!;
        const r = random();
        if (!kept.contains(c))
          both((s) => {
            s.add(c);
            s.activate(c);
          });
        else if (r < 0.5) {
          const cpus = Math.floor(random() * 4),
            mem = Math.floor(random() * 4096);
          both((s) => s.allocated(c, "ag1", res(cpus, mem)));
        } else if (r < 0.6) {
          const held = kept.allocation(c, "ag1");
          if (held.length) both((s) => s.unallocated(c, "ag1", held));
        } else if (r < 0.7) {
          const w = 1 + Math.floor(random() * 3);
          both((s) => s.updateWeight(c, w));
        } else if (r < 0.8) both((s) => s.deactivate(c));
        else if (r < 0.9) both((s) => s.activate(c));
        else if (r < 0.95) both((s) => s.remove(c));
        else if (r < 0.98) {
          const n = Math.floor(random() * 3);
          both((s) => s.counted(c, n));
        }
        if (random() < 0.3) kept.ordered(); // reads in between keep the order incrementally
        if (random() < 0.3) {
          // so do visits, with allocations recorded during them
          const visits = Math.floor(random() * 3);
          const order = kept.sort(),
            seen: string[] = [];
          kept.visit((v) => {
            seen.push(v);
            if (random() < 0.5) both((x) => x.allocated(v, "ag1", res(1, 16)));
            return seen.length <= visits;
          });
          expect(seen, `seed ${seed}, step ${i}`).toEqual(order.slice(0, seen.length));
        }
        fresh.addTotal("nudge", []); // a pool change: the next read re-sorts from scratch
        fresh.removeTotal("nudge");
        expect(kept.sort(), `seed ${seed}, step ${i}`).toEqual(fresh.sort());
      }
    }
  });
});

runSorterConformance("HierarchicalSorter(DRF)", () => new HierarchicalSorter(() => new DrfSorter()), { hierarchical: true });
