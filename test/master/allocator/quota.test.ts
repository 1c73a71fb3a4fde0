/**
 * Quota in the pure allocator (Mesos 1.9+ semantics, docs/quota.md): guarantees are served
 * first (stage 1), unallocated resources that unmet guarantees need are held back from other
 * roles (headroom), limits are never exceeded (a role's subtree included), and reservations
 * count toward their role's consumption.
 */
import { describe, expect, it } from "vitest";
import { type AllocationAgent, type AllocationFramework, allocate, capped, type OfferDecision } from "../../../master-worker/src/allocator/index.ts";
import { parseResources, scalarOf } from "../../../sdk/src/resources.ts";

const R = parseResources;
const agents = (n: number, res = "cpus:4;mem:4096"): AllocationAgent[] =>
  Array.from({ length: n }, (_, i) => ({ id: `a${i}`, total: R(res), available: R(res), active: true }));
const fw = (id: string, role: string, held = ""): AllocationFramework => ({ id, role, active: true, suppressed: false, allocated: held ? R(held) : [] });
const sum = (ds: OfferDecision[], name: string, pred: (d: OfferDecision) => boolean = () => true) =>
  Math.round(ds.filter(pred).reduce((s, d) => s + scalarOf(d.resources, name), 0) * 1000) / 1000;
const count = (ds: OfferDecision[], id: string) => ds.filter((d) => d.frameworkId === id).length;

describe("quota guarantees (stage 1)", () => {
  it("serves a role below its guarantee before DRF would", () => {
    // 3 agents × cpus 4: DRF alone gives b (share 0) one agent, q (1/12) the next, b (4/12 < 5/12) the last;
    // q's guarantee of 9 cpus takes two agents in stage 1 (1 held + 4 + 4 = 9), b gets the third in stage 2
    const frameworks = [fw("fq", "q", "cpus:1;mem:1024"), fw("fb", "b")];
    const plain = allocate({ agents: agents(3), frameworks, filters: [], now: 0 });
    expect([count(plain, "fq"), count(plain, "fb")]).toEqual([1, 2]);
    const ds = allocate({ agents: agents(3), frameworks, filters: [], now: 0, quotas: { q: { guarantees: { cpus: 9, mem: 9216 } } } });
    expect([count(ds, "fq"), count(ds, "fb")]).toEqual([2, 1]);
    expect(ds[0]!.frameworkId).toBe("fq");
  });

  it("a guarantee on a parent role serves its descendants' frameworks", () => {
    const frameworks = [fw("fq", "eng/web", "cpus:1"), fw("fb", "b")];
    const ds = allocate({ agents: agents(3), frameworks, filters: [], now: 0, quotas: { eng: { guarantees: { cpus: 9 } } } });
    expect(count(ds, "fq")).toBe(2);
    expect(ds.filter((d) => d.frameworkId === "fq").every((d) => d.role === "eng/web")).toBe(true);
  });
});

describe("quota headroom", () => {
  it("keeps unallocated resources an unmet guarantee needs away from other roles", () => {
    // total cpus 12; q (no framework yet) is guaranteed 8 → only 12 − 8 = 4 cpus may go to b
    const ds = allocate({ agents: agents(3), frameworks: [fw("fb", "b")], filters: [], now: 0, quotas: { q: { guarantees: { cpus: 8, mem: 8192 } } } });
    expect(sum(ds, "cpus")).toBe(4);
    expect(sum(ds, "mem")).toBe(4096);
  });

  it("cuts an agent's resources down to the surplus", () => {
    // guarantee cpus 6 / mem 6144 of 12 / 12288 → b may take 6 cpus, 6144 mem: one whole agent and half of another
    const ds = allocate({ agents: agents(3), frameworks: [fw("fb", "b")], filters: [], now: 0, quotas: { q: { guarantees: { cpus: 6, mem: 6144 } } } });
    expect(sum(ds, "cpus")).toBe(6);
    expect(sum(ds, "mem")).toBe(6144);
    expect(ds.map((d) => scalarOf(d.resources, "cpus")).sort()).toEqual([2, 4]);
  });

  it("resources the guarantee does not name are not held back", () => {
    // only cpus are guaranteed: b gets 4 cpus but the mem of every agent
    const ds = allocate({ agents: agents(3), frameworks: [fw("fb", "b")], filters: [], now: 0, quotas: { q: { guarantees: { cpus: 8 } } } });
    expect(sum(ds, "cpus")).toBe(4);
    expect(sum(ds, "mem")).toBe(3 * 4096);
  });

  it("a guarantee met by the role's reservations needs no headroom", () => {
    // q's 4 reserved cpus (unallocated) count as consumed: its guarantee of 4 is met, b may take every unreserved cpu
    const res = "cpus:4;mem:4096;cpus(q):4";
    const ds = allocate({ agents: agents(2, res), frameworks: [fw("fb", "b")], filters: [], now: 0, quotas: { q: { guarantees: { cpus: 4 } } } });
    expect(sum(ds, "cpus")).toBe(8);
    expect(ds.flatMap((d) => d.resources).every((r) => (r.role ?? "*") === "*")).toBe(true);
  });

  it("a guarantee met by reserved resources the role's framework already holds needs no headroom either", () => {
    // q's framework holds its 4 reserved cpus (a task): they are in no agent's available list, yet q's guarantee is met
    const frameworks = [fw("fq", "q", "cpus(q):4"), fw("fb", "b")];
    const ds = allocate({ agents: agents(2), frameworks, filters: [], now: 0, quotas: { q: { guarantees: { cpus: 4 } } } });
    expect(sum(ds, "cpus", (d) => d.frameworkId === "fb")).toBe(8);
  });

  it("resources reserved for a parent role held by a child role count to the parent's consumption, not the child's", () => {
    // eng/a holds 4 cpus reserved for eng: its own limit of 2 unreserved cpus is untouched by them
    const frameworks = [fw("fa", "eng/a", "cpus(eng):4")];
    const ds = allocate({ agents: agents(1), frameworks, filters: [], now: 0, quotas: { "eng/a": { limits: { cpus: 2 } } } });
    expect(sum(ds, "cpus")).toBe(2);
    const capped = allocate({ agents: agents(1), frameworks, filters: [], now: 0, quotas: { eng: { limits: { cpus: 5 } } } });
    expect(sum(capped, "cpus")).toBe(1);
  });
});

describe("quota limits", () => {
  it("never offers a role beyond its limit, its subtree included", () => {
    const frameworks = [fw("fa", "eng/a"), fw("fb", "eng/b"), fw("fo", "ops")];
    const ds = allocate({ agents: agents(4), frameworks, filters: [], now: 0, quotas: { eng: { limits: { cpus: 5 } } } });
    expect(sum(ds, "cpus", (d) => d.role.startsWith("eng/"))).toBe(5);
    expect(sum(ds, "cpus")).toBe(16); // the rest went to ops
  });

  it("counts what the role already holds against the limit", () => {
    const ds = allocate({ agents: agents(2), frameworks: [fw("fa", "eng", "cpus:5")], filters: [], now: 0, quotas: { eng: { limits: { cpus: 5 } } } });
    expect(sum(ds, "cpus")).toBe(0);
    expect(sum(ds, "mem")).toBe(8192); // mem is not limited
  });

  it("a guarantee is served only up to the limit", () => {
    const ds = allocate({
      agents: agents(2),
      frameworks: [fw("fq", "q")],
      filters: [],
      now: 0,
      quotas: { q: { guarantees: { cpus: 2 }, limits: { cpus: 3 } } },
    });
    expect(sum(ds, "cpus")).toBe(3);
  });
});

describe("capped", () => {
  it("cuts unreserved scalars to the caps and keeps everything else", () => {
    const rs = R("cpus:4;mem:100;cpus(eng):2;ports:[1-2]");
    const out = capped(rs, new Map([["cpus", 1.5]]));
    expect(
      scalarOf(
        out.filter((r) => (r.role ?? "*") === "*"),
        "cpus",
      ),
    ).toBe(1.5);
    expect(
      scalarOf(
        out.filter((r) => r.role === "eng"),
        "cpus",
      ),
    ).toBe(2);
    expect(out.some((r) => r.name === "ports")).toBe(true);
    expect(capped(rs, new Map([["gpus", 1]]))).toBe(rs);
  });
});
