/**
 * The conformance suite every `Sorter` must pass (Mesos `CommonSorterTest`): client lifecycle,
 * activity, allocation bookkeeping and the pool. Policy-specific ordering is tested beside each
 * implementation; this file only fixes what the allocator relies on from any of them.
 */
import { describe, expect, it } from "vitest";
import type { Sorter } from "../../../master-worker/src/allocator/index.ts";
import { scalar, scalarOf } from "../../../sdk/src/resources.ts";

const res = (cpus: number, mem: number) => [scalar("cpus", cpus), scalar("mem", mem)];
const sorted = (xs: string[]) => [...xs].sort();

/**
 * Registers the shared sorter tests under `name`; `makeSorter` must return a fresh, empty sorter.
 * With `hierarchical`, also the tests of role paths (`a/b` is a child of `a`), which a role
 * sorter must pass whatever its policy.
 */
export function runSorterConformance(name: string, makeSorter: () => Sorter, opts: { hierarchical?: boolean } = {}): void {
  if (opts.hierarchical) runHierarchyConformance(name, makeSorter);
  describe(`${name} (sorter conformance)`, () => {
    it("starts empty", () => {
      const s = makeSorter();
      expect(s.count()).toBe(0);
      expect(s.sort()).toEqual([]);
      expect(s.total()).toEqual([]);
    });

    it("adds clients inactive; sort returns only activated ones", () => {
      const s = makeSorter();
      s.add("a");
      s.add("b");
      s.add("c");
      expect(s.count()).toBe(3);
      expect(s.contains("a")).toBe(true);
      expect(s.isActive("a")).toBe(false);
      expect(s.sort()).toEqual([]);
      s.activate("a");
      s.activate("c");
      expect(sorted(s.sort())).toEqual(["a", "c"]);
    });

    it("activate and deactivate are idempotent and reversible", () => {
      const s = makeSorter();
      s.add("a");
      s.add("b");
      s.activate("a");
      s.activate("a");
      s.activate("b");
      expect(sorted(s.sort())).toEqual(["a", "b"]);
      s.deactivate("a");
      s.deactivate("a");
      expect(s.sort()).toEqual(["b"]);
      expect(s.isActive("a")).toBe(false);
      s.activate("a");
      expect(sorted(s.sort())).toEqual(["a", "b"]);
    });

    it("remove forgets the client and its allocation; re-adding starts fresh", () => {
      const s = makeSorter();
      s.addTotal("ag1", res(10, 1000));
      s.add("a");
      s.activate("a");
      s.allocated("a", "ag1", res(2, 100));
      s.remove("a");
      expect(s.contains("a")).toBe(false);
      expect(s.count()).toBe(0);
      expect(s.sort()).toEqual([]);
      s.add("a");
      expect(s.allocation("a")).toEqual([]);
      expect(s.isActive("a")).toBe(false);
    });

    it("throws on misuse: duplicate add, unknown client, bad weight", () => {
      const s = makeSorter();
      s.add("a");
      expect(() => s.add("a")).toThrow(/already/);
      expect(() => s.remove("x")).toThrow(/unknown/);
      expect(() => s.activate("x")).toThrow(/unknown/);
      expect(() => s.deactivate("x")).toThrow(/unknown/);
      expect(() => s.allocated("x", "ag1", res(1, 1))).toThrow(/unknown/);
      expect(() => s.allocation("x")).toThrow(/unknown/);
      expect(() => s.add("b", 0)).toThrow(/weight/);
      expect(() => s.add("c", -1)).toThrow(/weight/);
      expect(() => s.updateWeight("a", Number.NaN)).toThrow(/weight/);
    });

    it("counted adds to the count without resources; refuses an unknown client and a count that is no whole number ≥ 0", () => {
      const s = makeSorter();
      s.add("a");
      s.activate("a");
      s.counted("a", 3);
      s.counted("a", 0);
      expect(s.allocation("a")).toEqual([]);
      expect(s.allocationsByAgent("a").size).toBe(0);
      expect(s.sort()).toEqual(["a"]);
      expect(() => s.counted("x", 1)).toThrow(/unknown/);
      expect(() => s.counted("a", -1)).toThrow(/allocations/);
      expect(() => s.counted("a", 1.5)).toThrow(/allocations/);
      expect(() => s.counted("a", Number.NaN)).toThrow(/allocations/);
    });

    it("keeps weights", () => {
      const s = makeSorter();
      s.add("a");
      s.add("b", 2.5);
      expect(s.weight("a")).toBe(1);
      expect(s.weight("b")).toBe(2.5);
      s.updateWeight("a", 3);
      expect(s.weight("a")).toBe(3);
    });

    it("tracks allocations per agent and in total", () => {
      const s = makeSorter();
      s.add("a");
      s.allocated("a", "ag1", res(1, 100));
      s.allocated("a", "ag1", res(2, 50));
      s.allocated("a", "ag2", res(4, 0));
      expect(scalarOf(s.allocation("a", "ag1"), "cpus")).toBe(3);
      expect(scalarOf(s.allocation("a", "ag1"), "mem")).toBe(150);
      expect(scalarOf(s.allocation("a", "ag2"), "cpus")).toBe(4);
      expect(scalarOf(s.allocation("a"), "cpus")).toBe(7);
      expect(s.allocation("a", "ag3")).toEqual([]);
    });

    it("allocationsByAgent splits what a client holds by agent, leaving out agents given back in full", () => {
      const s = makeSorter();
      s.add("a");
      s.allocated("a", "ag1", res(1, 100));
      s.allocated("a", "ag2", res(2, 200));
      s.allocated("a", "ag1", res(1, 0));
      s.unallocated("a", "ag2", res(2, 200));
      const byAgent = s.allocationsByAgent("a");
      expect([...byAgent.keys()]).toEqual(["ag1"]);
      expect(scalarOf(byAgent.get("ag1")!, "cpus")).toBe(2);
      expect(() => s.allocationsByAgent("x")).toThrow(/unknown/);
    });

    it("unallocated gives resources back; all of them empties the agent entry", () => {
      const s = makeSorter();
      s.add("a");
      s.allocated("a", "ag1", res(3, 300));
      s.unallocated("a", "ag1", res(1, 100));
      expect(scalarOf(s.allocation("a", "ag1"), "cpus")).toBe(2);
      s.unallocated("a", "ag1", res(2, 200));
      expect(s.allocation("a", "ag1")).toEqual([]);
      expect(s.allocation("a")).toEqual([]);
    });

    it("refuses to give back what was not allocated", () => {
      const s = makeSorter();
      s.add("a");
      s.allocated("a", "ag1", res(1, 100));
      expect(() => s.unallocated("a", "ag1", res(2, 100))).toThrow(/does not hold/);
      expect(() => s.unallocated("a", "ag2", res(1, 1))).toThrow(/does not hold/);
    });

    it("keeps the allocation of a deactivated client", () => {
      const s = makeSorter();
      s.add("a");
      s.activate("a");
      s.allocated("a", "ag1", res(1, 100));
      s.deactivate("a");
      expect(scalarOf(s.allocation("a"), "cpus")).toBe(1);
    });

    it("sums agent totals into the pool and removes them", () => {
      const s = makeSorter();
      s.addTotal("ag1", res(4, 1000));
      s.addTotal("ag2", res(2, 500));
      expect(scalarOf(s.total(), "cpus")).toBe(6);
      expect(() => s.addTotal("ag1", res(1, 1))).toThrow(/already/);
      s.removeTotal("ag1");
      expect(scalarOf(s.total(), "mem")).toBe(500);
      expect(() => s.removeTotal("ag1")).toThrow(/no total/);
    });

    it("sort returns each active client exactly once, allocations or not", () => {
      const s = makeSorter();
      s.addTotal("ag1", res(100, 10000));
      for (const c of ["e", "d", "c", "b", "a"]) {
        s.add(c);
        s.activate(c);
      }
      s.allocated("c", "ag1", res(10, 10));
      s.allocated("e", "ag1", res(1, 5000));
      for (let i = 0; i < 5; i++) expect(sorted(s.sort())).toEqual(["a", "b", "c", "d", "e"]);
    });

    it("ordered returns each active client exactly once, and recording allocations does not disturb it", () => {
      const s = makeSorter();
      s.addTotal("ag1", res(100, 10000));
      for (const c of ["e", "d", "c", "b", "a"]) {
        s.add(c);
        s.activate(c);
      }
      s.deactivate("d");
      const order = s.ordered();
      const copy = [...order];
      expect(sorted(copy)).toEqual(["a", "b", "c", "e"]);
      for (const c of copy) s.allocated(c, "ag2", res(1, 1));
      expect(order).toEqual(copy);
      expect(sorted([...s.ordered()])).toEqual(["a", "b", "c", "e"]);
      expect(scalarOf(s.allocation("a"), "cpus")).toBe(1);
    });

    it("visit goes through the active clients once each and stops when told to", () => {
      const s = makeSorter();
      s.addTotal("ag1", res(100, 10000));
      for (const c of ["e", "d", "c", "b", "a"]) {
        s.add(c);
        s.activate(c);
      }
      s.deactivate("d");
      const seen: string[] = [];
      s.visit((c) => {
        seen.push(c);
        return true;
      });
      expect(sorted(seen)).toEqual(["a", "b", "c", "e"]);
      let calls = 0;
      s.visit(() => {
        calls += 1;
        return false;
      });
      expect(calls).toBe(1);
      expect(sorted(s.sort())).toEqual(["a", "b", "c", "e"]); // a visit leaves every client in place
    });

    it("allocations recorded during a visit are kept and do not disturb it", () => {
      const s = makeSorter();
      s.addTotal("ag1", res(100, 10000));
      for (const c of ["a", "b", "c"]) {
        s.add(c);
        s.activate(c);
      }
      const seen: string[] = [];
      s.visit((c) => {
        seen.push(c);
        s.allocated(c, "ag2", res(1, 1));
        return true;
      });
      expect(sorted(seen)).toEqual(["a", "b", "c"]);
      for (const c of ["a", "b", "c"]) expect(scalarOf(s.allocation(c, "ag2"), "cpus")).toBe(1);
      expect(sorted(s.sort())).toEqual(["a", "b", "c"]);
    });

    it("a client removed or deactivated during a visit stays out", () => {
      const s = makeSorter();
      for (const c of ["a", "b", "c"]) {
        s.add(c);
        s.activate(c);
      }
      s.visit((c) => {
        s.remove(c);
        return false;
      });
      expect(s.count()).toBe(2);
      s.visit((c) => {
        s.deactivate(c);
        return true;
      });
      expect(s.sort()).toEqual([]);
    });
  });
}

function runHierarchyConformance(name: string, makeSorter: () => Sorter): void {
  describe(`${name} (hierarchical sorter conformance)`, () => {
    it("sorts only clients (leaves and inner roles that are clients), each once", () => {
      const s = makeSorter();
      s.addTotal("ag1", res(10, 1000));
      for (const c of ["a/b", "a/c/d", "a", "e"]) {
        s.add(c);
        s.activate(c);
      }
      expect(s.count()).toBe(4);
      expect(s.contains("a/c")).toBe(false); // an inner node made for a/c/d is no client
      expect(sorted(s.sort())).toEqual(["a", "a/b", "a/c/d", "e"]);
    });

    it("keeps a subtree's clients together in the order (depth first)", () => {
      const s = makeSorter();
      s.addTotal("ag1", res(10, 1000));
      for (const c of ["x/1", "y/1", "x/2", "y/2", "x/3"]) {
        s.add(c);
        s.activate(c);
      }
      for (let i = 0; i < 5; i++) {
        const order = s.sort().map((c) => c[0]);
        expect(order.join("")).toMatch(/^(xxxyy|yyxxx)$/);
      }
    });

    it("a parent with every descendant inactive is left out; one active descendant brings it back", () => {
      const s = makeSorter();
      s.add("a/b");
      s.add("a/c");
      s.add("d");
      s.activate("d");
      expect(s.sort()).toEqual(["d"]);
      s.activate("a/c");
      expect(sorted(s.sort())).toEqual(["a/c", "d"]);
      s.deactivate("a/c");
      expect(s.sort()).toEqual(["d"]);
    });

    it("tracks allocations of a child apart from its parent's, and removes a client without its children", () => {
      const s = makeSorter();
      s.add("a");
      s.add("a/b");
      s.activate("a");
      s.activate("a/b");
      s.allocated("a", "ag1", res(1, 10));
      s.allocated("a/b", "ag1", res(2, 20));
      expect(scalarOf(s.allocation("a"), "cpus")).toBe(1);
      expect(scalarOf(s.allocation("a/b"), "cpus")).toBe(2);
      s.remove("a");
      expect(s.contains("a")).toBe(false);
      expect(s.sort()).toEqual(["a/b"]);
      expect(scalarOf(s.allocation("a/b", "ag1"), "mem")).toBe(20);
      s.unallocated("a/b", "ag1", res(2, 20));
      expect(s.allocation("a/b")).toEqual([]);
      s.remove("a/b");
      expect(s.count()).toBe(0);
      expect(s.sort()).toEqual([]);
    });

    it("a name that only shares a prefix is no child ('ab' is not below 'a')", () => {
      const s = makeSorter();
      s.add("a");
      s.add("ab");
      s.activate("ab");
      expect(s.sort()).toEqual(["ab"]);
    });

    it("keeps weights of hierarchical clients", () => {
      const s = makeSorter();
      s.add("a/b", 2);
      expect(s.weight("a/b")).toBe(2);
      s.updateWeight("a/b", 4);
      expect(s.weight("a/b")).toBe(4);
    });
  });
}
