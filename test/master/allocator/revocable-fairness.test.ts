/**
 * Revocable resources and fairness: DRF shares and quota consumption count only non-revocable
 * resources (the pool shares are computed against holds none; Mesos' quota counts non-revocable
 * resources only), so a framework's revocable tasks neither push it back in the offer order nor
 * use up its role's guarantee or limit.
 */
import { describe, expect, it } from "vitest";
import {
  type AllocationAgent,
  type AllocationFramework,
  allocate,
  HeldResources,
  type OfferDecision,
  QuotaTracker,
} from "../../../master-worker/src/allocator/index.ts";
import type { Resource } from "../../../schemas/mesos.ts";
import { parseResources, scalarOf } from "../../../sdk/src/resources.ts";

const R = parseResources;
const revocable = (s: string): Resource[] => R(s).map((r) => ({ ...r, revocable: {} }));
const agent = (id: string, res = "cpus:10;mem:10240"): AllocationAgent => ({ id, total: R(res), available: R(res), active: true });
const fw = (id: string, role: string, allocated: Resource[] = []): AllocationFramework => ({ id, role, active: true, suppressed: false, allocated });
const cpus = (ds: OfferDecision[], id: string) => ds.filter((d) => d.frameworkId === id).reduce((s, d) => s + scalarOf(d.resources, "cpus"), 0);

describe("revocable resources in DRF shares", () => {
  it("a framework holding only revocable resources ranks as holding nothing of the pool", () => {
    // counted, f1's 8 revocable cpus of 10 would put it behind f2's 1 cpu
    const ds = allocate({ agents: [agent("a1")], frameworks: [fw("f1", "*", revocable("cpus:8;mem:1024")), fw("f2", "*", R("cpus:1"))], filters: [], now: 0 });
    expect(ds[0]!.frameworkId).toBe("f1");
  });

  it("the same holding as regular resources does put it behind (the test tells the difference)", () => {
    const ds = allocate({ agents: [agent("a1")], frameworks: [fw("f1", "*", R("cpus:8;mem:1024")), fw("f2", "*", R("cpus:1"))], filters: [], now: 0 });
    expect(ds[0]!.frameworkId).toBe("f2");
  });

  it("HeldResources (what the master's cache keeps per framework) leaves revocable scalars out", () => {
    const held = new HeldResources();
    held.add([...R("cpus:1"), ...revocable("cpus:3;mem:512")]);
    expect(held.allocated()).toEqual(R("cpus:1"));
    held.remove(revocable("cpus:3;mem:512"));
    expect(held.allocated()).toEqual(R("cpus:1"));
  });
});

describe("revocable resources in quota", () => {
  it("revocable resources held do not count towards a limit", () => {
    const ds = allocate({
      agents: [agent("a1")],
      frameworks: [fw("f", "q", revocable("cpus:4"))],
      filters: [],
      now: 0,
      quotas: { q: { limits: { cpus: 2 } } },
    });
    expect(cpus(ds, "f")).toBe(2);
  });

  it("revocable resources held do not meet a guarantee: the role is still served first", () => {
    const frameworks = [fw("fq", "q", revocable("cpus:8")), fw("fb", "b")];
    const ds = allocate({
      agents: [agent("a1", "cpus:4;mem:4096"), agent("a2", "cpus:4;mem:4096")],
      frameworks,
      filters: [],
      now: 0,
      quotas: { q: { guarantees: { cpus: 4 } } },
    });
    expect(ds[0]!.frameworkId).toBe("fq");
    expect(cpus(ds, "fq")).toBe(4);
  });

  it("QuotaTracker: a guarantee stays unmet while only revocable resources are held", () => {
    const t = new QuotaTracker({ q: { guarantees: { cpus: 2 } } });
    t.held("q", revocable("cpus:5"));
    expect(t.belowGuarantee("q")).toBe(true);
    t.held("q", R("cpus:2"));
    expect(t.belowGuarantee("q")).toBe(false);
  });
});
