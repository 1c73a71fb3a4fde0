/**
 * The fast allocator against the reference one (`reference-allocate.ts`) on many random
 * clusters: reservations, fractional quantities, ports, weights, refuse filters, suppressed and
 * inactive frameworks, hierarchical and multiple roles, per-role suppression, GPU filtering, custom minimums, offers of earlier runs (the
 * tie-break counts), and incremental runs over a subset of agents.
 */
import { describe, expect, it } from "vitest";
import {
  type AllocationAgent,
  AllocationCounts,
  type AllocationFramework,
  type AllocationInput,
  allocate,
  mulberry32,
  type Random,
} from "../../../master-worker/src/allocator/index.ts";
import type { Resource } from "../../../schemas/mesos.ts";
import { normalize, ranges, scalar } from "../../../sdk/src/resources.ts";
import { referenceAllocate } from "./reference-allocate.ts";

const pick = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const qty = (random: Random, max: number) => Math.round(random() * max * 1000) / 1000;
const ROLES = ["*", "web", "batch", "web/a"];

function resources(random: Random): Resource[] {
  const out: Resource[] = [];
  for (const role of ROLES) {
    if (role !== "*" && random() < 0.7) continue;
    const r = role === "*" ? undefined : role;
    if (random() < 0.9) out.push(scalar("cpus", qty(random, 8), r));
    if (random() < 0.9) out.push(scalar("mem", qty(random, 4096), r));
    if (random() < 0.5) out.push(scalar("disk", qty(random, 10000), r));
    if (random() < 0.2) out.push(scalar("gpus", Math.floor(random() * 3), r));
    if (random() < 0.5) {
      const b = 31000 + Math.floor(random() * 500);
      out.push(ranges("ports", [[b, b + Math.floor(random() * 500)]], r));
    }
  }
  return random() < 0.3 ? [...out].reverse() : out; // not always in normalized order
}

function cluster(seed: number): AllocationInput {
  const random = mulberry32(seed);
  const agents: AllocationAgent[] = Array.from({ length: 1 + Math.floor(random() * 30) }, (_, i) => {
    const total = normalize(resources(random));
    const available = random() < 0.3 ? total : random() < 0.5 ? [] : normalize(total.filter(() => random() < 0.7));
    return { id: `a${i}`, total, available, active: random() < 0.9 };
  });
  const frameworks: AllocationFramework[] = Array.from({ length: 1 + Math.floor(random() * 12) }, (_, i) => {
    const role = pick(random, ROLES);
    const multi = random() < 0.3 ? [role, pick(random, ROLES)].filter((r, j, all) => all.indexOf(r) === j) : undefined;
    const allocated = random() < 0.5 ? resources(random) : [];
    const byRole = multi && random() < 0.5 ? new Map(multi.map((r) => [r, resources(random)] as const)) : undefined;
    return {
      id: `f${String(i).padStart(2, "0")}`,
      role,
      active: random() < 0.85,
      suppressed: random() < 0.1,
      allocated,
      ...(multi ? { roles: multi } : {}),
      ...(byRole ? { allocatedByRole: byRole } : {}),
      ...(multi && random() < 0.3 ? { suppressedRoles: new Set([multi[0]!]) } : {}),
      gpuResources: random() < 0.5,
    };
  });
  const filters = Array.from({ length: Math.floor(random() * 20) }, () => {
    const f = pick(random, frameworks);
    return { frameworkId: f.id, role: pick(random, f.roles ?? [f.role]), agentId: pick(random, agents).id, until: pick(random, [500, 1_000, 2_000]) };
  });
  const weights = random() < 0.3 ? { web: 2, batch: 0.5, "web/a": 3 } : undefined;
  const minAllocatable = random() < 0.2 ? [[scalar("cpus", 1), scalar("mem", 256)]] : random() < 0.1 ? [] : undefined;
  // offers of earlier runs (the tie-break), for some of the frameworks' roles
  const counts = random() < 0.5 ? new AllocationCounts() : undefined;
  for (const f of counts ? frameworks : [])
    for (const role of [...(f.roles ?? [f.role]), ...ROLES])
      if (random() < 0.4) counts!.record(Array.from({ length: Math.floor(random() * 4) }, () => ({ frameworkId: f.id, role })));
  return {
    agents,
    frameworks,
    filters,
    now: 1_000,
    seed,
    ...(weights ? { weights } : {}),
    ...(minAllocatable ? { minAllocatable } : {}),
    ...(counts ? { counts } : {}),
  };
}

describe("allocate decides what the reference allocator decides", () => {
  it("on 400 random clusters", () => {
    for (let seed = 1; seed <= 400; seed++) {
      const input = cluster(seed);
      expect(allocate(input), `seed ${seed}`).toEqual(referenceAllocate(input));
    }
  });

  it("on incremental runs: a subset of agents with the whole pool", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const input = cluster(seed);
      const pool = input.agents.filter((a) => a.active).flatMap((a) => a.total);
      const subset = { ...input, agents: input.agents.filter((_, i) => i % 3 === seed % 3), pool };
      expect(allocate(subset), `seed ${seed}`).toEqual(referenceAllocate(subset));
    }
  });

  it("an incremental run over the agents that have anything to offer equals the full run", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const input = cluster(seed);
      const full = allocate(input);
      const offered = new Set(full.map((d) => d.agentId));
      const pool = input.agents.filter((a) => a.active).flatMap((a) => a.total);
      expect(allocate({ ...input, agents: input.agents.filter((a) => offered.has(a.id)), pool }), `seed ${seed}`).toEqual(full);
    }
  });
});
