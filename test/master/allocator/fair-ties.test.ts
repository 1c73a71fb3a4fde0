/**
 * Equal shares take turns across allocation runs (issue 11): the tie-break "fewer allocations so
 * far" counts what earlier runs offered (`AllocationCounts`, kept by the caller), as Mesos'
 * long-lived sorters do, instead of starting from 0 each run (which gave every offer to the
 * smallest id).
 */
import { describe, expect, it } from "vitest";
import { AllocationCounts, type AllocationFramework, type AllocationInput, allocate } from "../../../master-worker/src/allocator/index.ts";
import { parseResources } from "../../../sdk/src/resources.ts";

const R = parseResources;
const fw = (id: string, over: Partial<AllocationFramework> = {}): AllocationFramework => ({
  id,
  role: "*",
  active: true,
  suppressed: false,
  allocated: [],
  ...over,
});

/** Runs `allocate` `runs` times over the same idle cluster (every offer declined, no filter left), keeping the counts; offers per framework. */
function offersOver(runs: number, base: Omit<AllocationInput, "now">, sorter: "drf" | "random" = "drf"): Map<string, number> {
  const counts = new AllocationCounts();
  const got = new Map<string, number>(base.frameworks.map((f) => [`${f.id}@${f.role}`, 0]));
  for (let run = 1; run <= runs; run++) {
    const decisions = allocate({ ...base, now: run * 1_000, seed: run, sorter, counts });
    counts.record(decisions);
    for (const d of decisions) got.set(`${d.frameworkId}@${d.role}`, (got.get(`${d.frameworkId}@${d.role}`) ?? 0) + 1);
  }
  return got;
}

const spread = (got: Map<string, number>) => Math.max(...got.values()) - Math.min(...got.values());

describe("allocate: equal shares take turns from run to run", () => {
  const agent = { id: "a1", total: R("cpus:4;mem:4096"), available: R("cpus:4;mem:4096"), active: true };
  const cases: Array<{ name: string; runs: number; frameworks: AllocationFramework[]; agents?: AllocationInput["agents"] }> = [
    { name: "three frameworks, one agent, 20 runs", runs: 20, frameworks: [fw("f1"), fw("f2"), fw("f3")] },
    { name: "three frameworks, one agent, 30 runs", runs: 30, frameworks: [fw("f3"), fw("f1"), fw("f2")] },
    { name: "three frameworks, one agent, 58 runs", runs: 58, frameworks: [fw("f1"), fw("f2"), fw("f3")] },
    {
      name: "three roles with one framework each (the role level counts too)",
      runs: 30,
      frameworks: [fw("f1", { role: "a" }), fw("f2", { role: "b" }), fw("f3", { role: "c" })],
    },
    {
      name: "sibling roles below one parent, two frameworks each",
      runs: 40,
      frameworks: [fw("f1", { role: "eng/a" }), fw("f2", { role: "eng/a" }), fw("f3", { role: "eng/b" }), fw("f4", { role: "eng/b" })],
    },
    {
      name: "five frameworks, two agents",
      runs: 25,
      frameworks: ["f1", "f2", "f3", "f4", "f5"].map((id) => fw(id)),
      agents: [agent, { ...agent, id: "a2" }],
    },
  ];
  for (const c of cases) {
    it(`${c.name}: offers split evenly (each within ±1)`, () => {
      const got = offersOver(c.runs, { agents: c.agents ?? [agent], frameworks: c.frameworks, filters: [] });
      const offers = (c.agents ?? [agent]).length * c.runs;
      expect([...got.values()].reduce((s, n) => s + n, 0)).toBe(offers);
      expect(spread(got), JSON.stringify([...got])).toBeLessThanOrEqual(1);
    });
  }

  it("a share still comes first: counts only break ties", () => {
    const counts = new AllocationCounts();
    counts.record(Array.from({ length: 50 }, () => ({ frameworkId: "f1", role: "*" })));
    const decisions = allocate({
      agents: [agent],
      frameworks: [fw("f1"), fw("f2", { allocated: R("cpus:1") })],
      filters: [],
      now: 1_000,
      counts,
    });
    expect(decisions.map((d) => d.frameworkId)).toEqual(["f1"]);
  });

  it("without counts a run starts every count at 0 (smallest id first), as before", () => {
    const decisions = allocate({ agents: [agent], frameworks: [fw("f2"), fw("f1")], filters: [], now: 1_000 });
    expect(decisions.map((d) => d.frameworkId)).toEqual(["f1"]);
  });

  it("a count is per role: a MULTI_ROLE framework's offers in one role do not hold it back in another", () => {
    const counts = new AllocationCounts();
    counts.record([
      { frameworkId: "f1", role: "a" },
      { frameworkId: "f1", role: "a" },
      { frameworkId: "f2", role: "b" },
    ]);
    const decisions = allocate({
      agents: [agent],
      frameworks: [fw("f1", { role: "a", roles: ["a", "b"] }), fw("f2", { role: "b" })],
      filters: [],
      now: 1_000,
      counts,
    });
    // role a: 2 offers so far, role b: 1 → role b first; within b: f1 has 0, f2 has 1 → f1
    expect(decisions.map((d) => `${d.frameworkId}@${d.role}`)).toEqual(["f1@b"]);
  });

  it("the random sorter ignores counts (its order is random either way) and still offers the agent", () => {
    const got = offersOver(10, { agents: [agent], frameworks: [fw("f1"), fw("f2"), fw("f3")], filters: [] }, "random");
    expect([...got.values()].reduce((s, n) => s + n, 0)).toBe(10);
  });
});

describe("AllocationCounts", () => {
  it("counts one offer per decision per (framework, role) and forgets frameworks not retained", () => {
    const counts = new AllocationCounts();
    counts.record([
      { frameworkId: "f1", role: "*" },
      { frameworkId: "f1", role: "*" },
      { frameworkId: "f1", role: "web" },
      { frameworkId: "f2", role: "*" },
    ]);
    expect([counts.of("f1", "*"), counts.of("f1", "web"), counts.of("f2", "*"), counts.of("f3", "*")]).toEqual([2, 1, 1, 0]);
    const copy = counts.copy();
    copy.record([{ frameworkId: "f1", role: "*" }]);
    expect([copy.of("f1", "*"), counts.of("f1", "*")]).toEqual([3, 2]); // a copy goes its own way
    counts.retain(["f2", "f3"]);
    expect([counts.of("f1", "*"), counts.of("f2", "*")]).toEqual([0, 1]);
  });
});
