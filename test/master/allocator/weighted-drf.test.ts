/**
 * Weighted, hierarchical DRF shares computed by hand (the arithmetic is in each case's comment):
 * a role's share is the dominant share of its whole subtree ÷ its weight, compared only with
 * its siblings; a role's own frameworks compete with its children as the virtual child `role/.`
 * (weight 1). Checked on the role sorter itself and on `allocate`'s offer order.
 */
import { describe, expect, it } from "vitest";
import { type AllocationFramework, allocate, DrfSorter, HierarchicalSorter } from "../../../master-worker/src/allocator/index.ts";
import { parseResources } from "../../../sdk/src/resources.ts";

const R = parseResources;
const POOL = R("cpus:10;mem:100");

/** A DRF role sorter over POOL with `held` recorded per role, every role active. */
function roleOrder(held: Record<string, string>, weights: Record<string, number> = {}): string[] {
  const s = new HierarchicalSorter(
    () => new DrfSorter(),
    (path) => weights[path] ?? 1,
  );
  s.addTotal("pool", POOL);
  for (const [role, res] of Object.entries(held)) {
    s.add(role);
    s.activate(role);
    if (res) s.allocated(role, "ag", R(res));
  }
  return s.sort();
}

describe("weighted DRF among roles (pool cpus:10, mem:100)", () => {
  const cases: Array<{ name: string; held: Record<string, string>; weights?: Record<string, number>; want: string[] }> = [
    {
      // a: max(4/10, 10/100) = 0.4, ÷ weight 2 = 0.2;  b: max(1/10, 30/100) = 0.3, ÷ 1 = 0.3  → a first
      name: "a weight halves a share",
      held: { a: "cpus:4;mem:10", b: "cpus:1;mem:30" },
      weights: { a: 2 },
      want: ["a", "b"],
    },
    {
      // without weights: a 0.4 > b 0.3 → b first
      name: "the same without weights",
      held: { a: "cpus:4;mem:10", b: "cpus:1;mem:30" },
      want: ["b", "a"],
    },
    {
      // eng = eng/x + eng/y = cpus 3 → 0.3;  ops: cpus 4 → 0.4  → eng's subtree first;
      // inside eng: eng/y 1/10 = 0.1 < eng/x 2/10 = 0.2
      name: "a subtree is ranked by its total, then its children among themselves",
      held: { "eng/x": "cpus:2", "eng/y": "cpus:1", ops: "cpus:4" },
      want: ["eng/y", "eng/x", "ops"],
    },
    {
      // ops: 0.4 ÷ 3 = 0.133… < eng 0.3 → ops first; eng's children as before
      name: "a weight on a top-level role moves it ahead of a whole subtree",
      held: { "eng/x": "cpus:2", "eng/y": "cpus:1", ops: "cpus:4" },
      weights: { ops: 3 },
      want: ["ops", "eng/y", "eng/x"],
    },
    {
      // eng/x: 0.2 ÷ 4 = 0.05 < eng/y 0.1;  eng's total is unchanged by its children's weights: 0.3 < ops 0.4
      name: "a weight on a child only counts among its siblings",
      held: { "eng/x": "cpus:2", "eng/y": "cpus:1", ops: "cpus:4" },
      weights: { "eng/x": 4 },
      want: ["eng/x", "eng/y", "ops"],
    },
    {
      // eng's own frameworks (virtual eng/.): 1/10 = 0.1; eng/x: 2/10 = 0.2 → eng before eng/x;
      // eng's subtree 3/10 = 0.3 > ops 0.25 (mem 25/100) → ops first
      name: "a role's own frameworks compete with its children",
      held: { eng: "cpus:1", "eng/x": "cpus:2", ops: "mem:25" },
      want: ["ops", "eng", "eng/x"],
    },
    {
      // eng/x: 0.2 ÷ 4 = 0.05 < eng/. 0.1 (the virtual child always weighs 1)
      name: "a weighted child can pass its parent's own frameworks",
      held: { eng: "cpus:1", "eng/x": "cpus:2", ops: "mem:25" },
      weights: { "eng/x": 4 },
      want: ["ops", "eng/x", "eng"],
    },
  ];
  for (const c of cases) it(c.name, () => expect(roleOrder(c.held, c.weights)).toEqual(c.want));
});

describe("allocate follows weighted role shares", () => {
  const fw = (id: string, role: string, held: string): AllocationFramework => ({ id, role, active: true, suppressed: false, allocated: R(held) });

  it("offers the next agent to the role with the lowest weighted share", () => {
    // pool: 3 agents × cpus:4;mem:400 = cpus 12, mem 1200 (held resources are on other agents, outside the pool)
    // a: cpus 3/12 = 0.25, ÷ 2 = 0.125;  b: cpus 2/12 = 0.1667  → a first; after a takes an agent:
    // a: 7/12 = 0.583 ÷ 2 = 0.2917 > b 0.1667 → b;  then b: 6/12 = 0.5 > a 0.2917 → a
    const agents = ["x", "y", "z"].map((id) => ({ id, total: R("cpus:4;mem:400"), available: R("cpus:4;mem:400"), active: true }));
    const ds = allocate({ agents, frameworks: [fw("fa", "a", "cpus:3"), fw("fb", "b", "cpus:2")], filters: [], now: 0, weights: { a: 2 } });
    expect(ds.map((d) => d.frameworkId)).toEqual(["fa", "fb", "fa"]);
    // without the weight: a 0.25 > b 0.1667 → b; b 6/12 = 0.5 > a 0.25 → a; a 7/12 = 0.583 > b 0.5 → b
    const plain = allocate({ agents, frameworks: [fw("fa", "a", "cpus:3"), fw("fb", "b", "cpus:2")], filters: [], now: 0 });
    expect(plain.map((d) => d.frameworkId)).toEqual(["fb", "fa", "fb"]);
  });

  it("within a role, frameworks are ranked by what they hold in that role", () => {
    // role r holds cpus 3 in all (f1: 1, f2: 2), role s cpus 4 → r first (3/12 < 4/12); in r, f1 (1/12) before f2 (2/12)
    const agents = [{ id: "x", total: R("cpus:12;mem:1200"), available: R("cpus:4;mem:400"), active: true }];
    const ds = allocate({ agents, frameworks: [fw("f2", "r", "cpus:2"), fw("f1", "r", "cpus:1"), fw("f3", "s", "cpus:4")], filters: [], now: 0 });
    expect(ds.map((d) => `${d.frameworkId}/${d.role}`)).toEqual(["f1/r"]);
  });
});
