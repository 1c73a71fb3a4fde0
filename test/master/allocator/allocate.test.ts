import { describe, expect, it } from "vitest";
import {
  type AllocationAgent,
  type AllocationFramework,
  type AllocationInput,
  allocate,
  expiredFilters,
  nextFilterExpiry,
  type OfferDecision,
  refusedPairs,
  withoutFrameworkFilters,
} from "../../../master-worker/src/allocator/index.ts";
import type { Resource } from "../../../schemas/mesos.ts";
import { parseResources, ranges, scalar, scalarOf } from "../../../sdk/src/resources.ts";

const R = parseResources;
const agent = (id: string, res = "cpus:4;mem:4096", over: Partial<AllocationAgent> = {}): AllocationAgent => ({
  id,
  total: R(res),
  available: R(res),
  active: true,
  ...over,
});
const fw = (id: string, over: Partial<AllocationFramework> = {}): AllocationFramework => ({
  id,
  role: "*",
  active: true,
  suppressed: false,
  allocated: [],
  ...over,
});
const input = (over: Partial<AllocationInput>): AllocationInput => ({ agents: [], frameworks: [], filters: [], now: 1_000, ...over });
const pairs = (ds: OfferDecision[]) => ds.map((d) => `${d.frameworkId}@${d.agentId}`);
const firstTaker = (inp: AllocationInput) => allocate(inp)[0]?.frameworkId;

describe("allocate: who gets the offer", () => {
  const cases: Array<{ name: string; in: Partial<AllocationInput>; want: string[] }> = [
    {
      name: "lowest dominant share gets the first offer",
      in: { agents: [agent("a1", "cpus:10;mem:10000")], frameworks: [fw("f1", { allocated: R("cpus:1") }), fw("f2", { allocated: R("mem:500") })] },
      want: ["f2@a1"], // f1: 1/10 cpus, f2: 500/10000 mem
    },
    {
      name: "the framework holding nothing is offered before the one holding resources",
      in: { agents: [agent("a1")], frameworks: [fw("f1", { allocated: R("cpus:1;mem:10") }), fw("f2")] },
      want: ["f2@a1"],
    },
    {
      name: "equal shares: ties go to the smaller framework id",
      in: { agents: [agent("a1")], frameworks: [fw("f2"), fw("f1")] },
      want: ["f1@a1"],
    },
    {
      name: "an unexpired refuse filter skips that framework for that agent",
      in: { agents: [agent("a1")], frameworks: [fw("f1"), fw("f2")], filters: [{ frameworkId: "f1", role: "*", agentId: "a1", until: 1_001 }] },
      want: ["f2@a1"],
    },
    {
      name: "a filter for another agent does not apply",
      in: { agents: [agent("a1")], frameworks: [fw("f1"), fw("f2")], filters: [{ frameworkId: "f1", role: "*", agentId: "a9", until: 9_999 }] },
      want: ["f1@a1"],
    },
    {
      name: "a filter expiring exactly now no longer applies",
      in: { agents: [agent("a1")], frameworks: [fw("f1"), fw("f2")], filters: [{ frameworkId: "f1", role: "*", agentId: "a1", until: 1_000 }] },
      want: ["f1@a1"],
    },
    {
      name: "an expired filter no longer applies",
      in: { agents: [agent("a1")], frameworks: [fw("f1"), fw("f2")], filters: [{ frameworkId: "f1", role: "*", agentId: "a1", until: 10 }] },
      want: ["f1@a1"],
    },
    {
      name: "a filter for another role of the framework does not apply",
      in: { agents: [agent("a1")], frameworks: [fw("f1"), fw("f2")], filters: [{ frameworkId: "f1", role: "web", agentId: "a1", until: 5_000 }] },
      want: ["f1@a1"],
    },
    {
      name: "every framework filtered: the agent is not offered",
      in: { agents: [agent("a1")], frameworks: [fw("f1")], filters: [{ frameworkId: "f1", role: "*", agentId: "a1", until: 5_000 }] },
      want: [],
    },
    {
      name: "suppressed frameworks get nothing",
      in: { agents: [agent("a1"), agent("a2")], frameworks: [fw("f1", { suppressed: true }), fw("f2")] },
      want: ["f2@a1", "f2@a2"],
    },
    {
      name: "inactive frameworks get nothing",
      in: { agents: [agent("a1")], frameworks: [fw("f1", { active: false }), fw("f2", { active: false })] },
      want: [],
    },
    {
      name: "inactive agents are skipped",
      in: { agents: [agent("a1", undefined, { active: false })], frameworks: [fw("f1")] },
      want: [],
    },
    {
      name: "agents with less than the minimum allocatable are skipped",
      in: { agents: [agent("a1", "cpus:0.005;mem:16;disk:1000")], frameworks: [fw("f1")] },
      want: [],
    },
    {
      name: "either minimum (cpus:0.01 or mem:32) is enough",
      in: { agents: [agent("a1", "cpus:0.01"), agent("a2", "mem:32")], frameworks: [fw("f1")] },
      want: ["f1@a1", "f1@a2"],
    },
    {
      name: "a custom minimum applies",
      in: { agents: [agent("a1", "cpus:1;mem:128"), agent("a2", "cpus:4;mem:128")], frameworks: [fw("f1")], minAllocatable: [[scalar("cpus", 2)]] },
      want: ["f1@a2"],
    },
    {
      name: "agents with nothing available are skipped",
      in: { agents: [agent("a1", "cpus:4;mem:4096", { available: [] })], frameworks: [fw("f1")] },
      want: [],
    },
    {
      name: "no frameworks, no offers",
      in: { agents: [agent("a1")] },
      want: [],
    },
  ];
  // agents are visited in a seeded shuffle: compare the set of offers, order is tested below
  for (const c of cases) it(c.name, () => expect(pairs(allocate(input(c.in))).sort()).toEqual(c.want));
});

describe("allocate: fairness across agents", () => {
  it("spreads identical agents evenly between two frameworks", () => {
    const agents = ["a1", "a2", "a3", "a4"].map((id) => agent(id));
    const ds = allocate(input({ agents, frameworks: [fw("f1"), fw("f2")] }));
    expect(ds).toHaveLength(4);
    expect(ds.filter((d) => d.frameworkId === "f1")).toHaveLength(2);
    expect(new Set(ds.map((d) => d.agentId)).size).toBe(4);
    // alternates: each offer raises the taker's share above the other's
    expect(ds.map((d) => d.frameworkId)).toEqual(["f1", "f2", "f1", "f2"]);
  });

  it("counts what a framework already holds", () => {
    const agents = ["a1", "a2", "a3"].map((id) => agent(id));
    const ds = allocate(input({ agents, frameworks: [fw("f1", { allocated: R("cpus:8;mem:8192") }), fw("f2")] }));
    expect(ds.map((d) => d.frameworkId)).toEqual(["f2", "f2", "f1"]);
  });

  it("honours role weights", () => {
    const agents = ["a1", "a2", "a3"].map((id) => agent(id));
    const frameworks = [fw("f1", { role: "heavy" }), fw("f2", { role: "light" })];
    const ds = allocate(input({ agents, frameworks, weights: { heavy: 3 } }));
    expect(ds.filter((d) => d.frameworkId === "f1")).toHaveLength(2);
  });

  it("gives at most one offer per (framework, agent)", () => {
    const agents = ["a1", "a2", "a3", "a4", "a5"].map((id) => agent(id, "cpus:2;mem:2048"));
    const ds = allocate(input({ agents, frameworks: [fw("f1"), fw("f2"), fw("f3")], seed: 9 }));
    expect(new Set(pairs(ds)).size).toBe(ds.length);
    expect(ds).toHaveLength(5);
  });
});

describe("allocate: what is offered", () => {
  it("offers every available resource of the agent, marked allocated to the role", () => {
    const available = [...R("cpus:3.5;mem:2048;disk:10000;gpus:1"), ranges("ports", [[31000, 31999]])];
    const a = agent("a1", "cpus:8;mem:8192;disk:20000;gpus:1;ports:[31000-32000]", { available });
    const [d, ...rest] = allocate(input({ agents: [a], frameworks: [fw("f1", { role: "web", gpuResources: true })] }));
    expect(rest).toEqual([]);
    expect(d!.frameworkId).toBe("f1");
    for (const name of ["cpus", "mem", "disk", "gpus"]) expect(scalarOf(d!.resources, name)).toBe(scalarOf(available, name));
    expect(d!.resources.find((r) => r.name === "ports")!.ranges!.range).toEqual([{ begin: 31000, end: 31999 }]);
    expect(d!.resources).toHaveLength(5);
    for (const r of d!.resources) expect(r.allocation_info).toEqual({ role: "web" });
  });

  it("ignores allocation_info on the input's available resources", () => {
    const available: Resource[] = R("cpus:1;mem:64").map((r) => ({ ...r, allocation_info: { role: "old" } }));
    const [d] = allocate(input({ agents: [agent("a1", "cpus:1;mem:64", { available })], frameworks: [fw("f1", { role: "new" })] }));
    for (const r of d!.resources) expect(r.allocation_info).toEqual({ role: "new" });
  });

  it("offers resources reserved for a role only to that role's frameworks", () => {
    const res = [...R("cpus:2;mem:1024"), ...R("cpus(dev):4;mem(dev):2048")];
    const a: AllocationAgent = { id: "a1", total: res, available: res, active: true };
    // roles tie at share 0 and are then taken by name: "prod" comes first only when "dev" already holds something
    const ds = allocate(input({ agents: [a], frameworks: [fw("f1", { role: "prod" }), fw("f2", { role: "dev", allocated: R("cpus:0.001") })] }));
    expect(pairs(ds)).toEqual(["f1@a1", "f2@a1"]);
    expect(ds[0]!.resources.every((r) => r.role === "*")).toBe(true);
    expect(scalarOf(ds[0]!.resources, "cpus")).toBe(2);
    expect(ds[1]!.resources.every((r) => r.role === "dev" && r.allocation_info?.role === "dev")).toBe(true);
    expect(scalarOf(ds[1]!.resources, "cpus")).toBe(4);
  });

  it("does not touch its input", () => {
    const inp = input({ agents: [agent("a1"), agent("a2")], frameworks: [fw("f1", { allocated: R("cpus:1") }), fw("f2")] });
    const before = JSON.stringify(inp);
    allocate(inp);
    expect(JSON.stringify(inp)).toBe(before);
  });
});

describe("allocate: determinism and sorters", () => {
  const agents = Array.from({ length: 12 }, (_, i) => agent(`a${String(i).padStart(2, "0")}`));
  const frameworks = [fw("f1"), fw("f2"), fw("f3")];

  it("same input and seed, same decisions, whatever the input order", () => {
    for (const sorter of ["drf", "random"] as const) {
      const a = allocate(input({ agents, frameworks, seed: 17, sorter }));
      const b = allocate(input({ agents: [...agents].reverse(), frameworks: [...frameworks].reverse(), seed: 17, sorter }));
      expect(b).toEqual(a);
    }
  });

  it("the default seed is deterministic", () => {
    expect(allocate(input({ agents, frameworks }))).toEqual(allocate(input({ agents, frameworks, seed: 0 })));
  });

  it("the seed shuffles the order agents are visited in", () => {
    const orders = new Set(
      [1, 2, 3, 4, 5].map((seed) =>
        allocate(input({ agents, frameworks, seed }))
          .map((d) => d.agentId)
          .join(),
      ),
    );
    expect(orders.size).toBeGreaterThan(1);
  });

  it("the random sorter offers to eligible frameworks only and varies with the seed", () => {
    const fws = [fw("f1"), fw("f2"), fw("f3", { suppressed: true }), fw("f4", { active: false })];
    const firsts = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const ds = allocate(input({ agents: [agent("a1")], frameworks: fws, sorter: "random", seed }));
      expect(ds).toHaveLength(1);
      firsts.add(ds[0]!.frameworkId);
    }
    expect([...firsts].sort()).toEqual(["f1", "f2"]);
  });

  it("the random sorter honours refuse filters", () => {
    const filters = [{ frameworkId: "f1", role: "*", agentId: "a1", until: 2_000 }];
    for (let seed = 0; seed < 20; seed++)
      expect(firstTaker(input({ agents: [agent("a1")], frameworks: [fw("f1"), fw("f2")], filters, sorter: "random", seed }))).toBe("f2");
  });
});

describe("refuse filters per (framework, role, agent)", () => {
  const multi = fw("f1", { role: "a", roles: ["a", "b"] });
  const roleOf = (ds: OfferDecision[]) => ds.map((d) => `${d.frameworkId}/${d.role}@${d.agentId}`);

  it("a MULTI_ROLE framework that declined for one role is still offered the agent for its other role", () => {
    const unfiltered = allocate(input({ agents: [agent("a1")], frameworks: [multi] }));
    expect(roleOf(unfiltered)).toHaveLength(1);
    const taken = unfiltered[0]!.role;
    const other = taken === "a" ? "b" : "a";
    const ds = allocate(input({ agents: [agent("a1")], frameworks: [multi], filters: [{ frameworkId: "f1", role: taken, agentId: "a1", until: 5_000 }] }));
    expect(roleOf(ds)).toEqual([`f1/${other}@a1`]);
  });

  it("filters for every role of the framework keep the agent from it", () => {
    const filters = ["a", "b"].map((role) => ({ frameworkId: "f1", role, agentId: "a1", until: 5_000 }));
    expect(allocate(input({ agents: [agent("a1")], frameworks: [multi], filters }))).toEqual([]);
    expect(roleOf(allocate(input({ agents: [agent("a1"), agent("a2")], frameworks: [multi], filters })))).toEqual(["f1/a@a2"]);
  });

  it("withoutFrameworkFilters clears the roles named, or every role of the framework", () => {
    const filters = [
      { frameworkId: "f1", role: "a", agentId: "a1", until: 5_000 },
      { frameworkId: "f1", role: "b", agentId: "a1", until: 5_000 },
      { frameworkId: "f2", role: "a", agentId: "a1", until: 5_000 },
    ];
    expect(withoutFrameworkFilters(filters, "f1", ["a"]).map((f) => `${f.frameworkId}/${f.role}`)).toEqual(["f1/b", "f2/a"]);
    expect(withoutFrameworkFilters(filters, "f1").map((f) => `${f.frameworkId}/${f.role}`)).toEqual(["f2/a"]);
  });

  it("refusedPairs answers per role", () => {
    const refused = refusedPairs([{ frameworkId: "f1", role: "a", agentId: "a1", until: 5_000 }], 1_000);
    expect(refused("f1", "a", "a1")).toBe(true);
    expect(refused("f1", "b", "a1")).toBe(false);
    expect(refused("f2", "a", "a1")).toBe(false);
    expect(refused("f1", "a", "a2")).toBe(false);
  });
});

describe("refuse filter helpers", () => {
  const filters = [
    { frameworkId: "f1", role: "*", agentId: "a1", until: 500 },
    { frameworkId: "f1", role: "*", agentId: "a2", until: 1_000 },
    { frameworkId: "f2", role: "*", agentId: "a1", until: 3_000 },
    { frameworkId: "f2", role: "*", agentId: "a2", until: 2_000 },
  ];

  it("nextFilterExpiry is the earliest future expiry", () => {
    expect(nextFilterExpiry(filters, 1_000)).toBe(2_000);
    expect(nextFilterExpiry(filters, 0)).toBe(500);
    expect(nextFilterExpiry(filters, 3_000)).toBeUndefined();
    expect(nextFilterExpiry([], 0)).toBeUndefined();
  });

  it("expiredFilters lists those with until ≤ now", () => {
    expect(expiredFilters(filters, 1_000).map((f) => f.until)).toEqual([500, 1_000]);
    expect(expiredFilters(filters, 0)).toEqual([]);
  });
});
