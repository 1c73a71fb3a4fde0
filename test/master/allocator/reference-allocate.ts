/**
 * The allocator as first written (before issue 3's speed-ups), kept as a test oracle, extended
 * for roles (issue 4): list arithmetic from the sdk throughout, and every order recomputed from
 * scratch for every agent, by walking the role tree naively. The fast `allocate` must decide
 * exactly what this decides (without quotas, GPUs aside). The agent visit order is `visitOrder`,
 * which incremental runs rely on.
 *
 * Orders: roles form a tree by `/`; the children of a node (and the node's own frameworks, as a
 * virtual child `<role>/.` of weight 1) are ranked by (dominant share of the subtree ÷ weight,
 * allocations recorded in the subtree, key); within a role, frameworks by (dominant share of
 * what they hold in that role, allocations, id).
 *
 * Allocations (the tie-break) are the offers of earlier runs (`input.counts`, per framework and
 * role; issue 11, so that equal shares take turns from run to run) plus one for what a
 * framework already holds in the role, plus the offers of this run; a role's are the sum of its
 * subtree's frameworks'.
 */

import {
  type AllocationInput,
  DEFAULT_MIN_ALLOCATABLE,
  isAllocatable,
  type OfferDecision,
  refusedPairs,
  visitOrder,
} from "../../../master-worker/src/allocator/index.ts";
import type { Resource } from "../../../schemas/mesos.ts";
import { allocatedTo, contains, normalize, scalarTotals, subtract, unallocated } from "../../../sdk/src/resources.ts";
import { isWithinRole, usableByRole } from "../../../sdk/src/roles.ts";

const scalarsOnly = (rs: readonly Resource[]) => scalarTotals(rs.filter((r) => r.type === "SCALAR"));

interface Client {
  held: Resource[];
  allocations: number;
}

/** DRF only (the random sorter has no second implementation to compare with); no quotas. */
export function referenceAllocate(input: AllocationInput): OfferDecision[] {
  const min = input.minAllocatable ?? DEFAULT_MIN_ALLOCATABLE;
  const refused = refusedPairs(input.filters, input.now);
  const agents = visitOrder(
    input.agents.filter((a) => a.active),
    input.seed ?? 0,
  );
  const pool = scalarsOnly(normalize(unallocated(input.pool ? [...input.pool] : agents.flatMap((a) => a.total))));
  const share = (held: readonly Resource[]) => {
    let dominant = 0;
    for (const [name, h] of scalarsOnly([...held])) {
      const total = pool.get(name) ?? 0;
      if (total > 0) dominant = Math.max(dominant, h / total);
    }
    return dominant;
  };
  // (framework, role) → what it holds there
  const clients = new Map<string, Client>();
  const key = (fw: string, role: string) => `${fw}\u0000${role}`;
  const eligible = new Map<string, string[]>(); // role → frameworks that may be offered in it
  const roles = new Set<string>();
  const earlier = (fw: string, role: string) => input.counts?.of(fw, role) ?? 0;
  const fws = new Map(input.frameworks.map((fw) => [fw.id, fw]));
  for (const fw of input.frameworks) {
    const subscribed = fw.roles ?? [fw.role];
    for (const role of subscribed) {
      roles.add(role);
      if (!clients.has(key(fw.id, role))) clients.set(key(fw.id, role), { held: [], allocations: earlier(fw.id, role) });
      if (fw.active && !fw.suppressed && !fw.suppressedRoles?.has(role)) eligible.set(role, [...(eligible.get(role) ?? []), fw.id]);
    }
    const held = fw.allocatedByRole ?? new Map([[fw.role, fw.allocated]]);
    for (const [role, rs] of held) {
      if (rs.length === 0) continue;
      roles.add(role);
      clients.set(key(fw.id, role), { held: normalize(rs), allocations: earlier(fw.id, role) + 1 });
    }
  }
  const inSubtree = (role: string, node: string) => isWithinRole(role, node);
  const subtree = (node: string, self: boolean) => {
    let held: Resource[] = [];
    let allocations = 0;
    for (const [k, c] of clients) {
      const role = k.slice(k.indexOf("\u0000") + 1);
      if (self ? role === node : inSubtree(role, node) || (node !== "*" && role.startsWith(`${node}/`))) {
        held = [...held, ...c.held];
        allocations += c.allocations;
      }
    }
    return { share: share(held), allocations };
  };
  const allNodes = new Set<string>();
  for (const r of roles) {
    allNodes.add(r);
    for (let i = r.indexOf("/"); i > 0; i = r.indexOf("/", i + 1)) allNodes.add(r.slice(0, i));
  }
  const hasEligible = (node: string, self: boolean) => [...eligible.keys()].some((r) => (self ? r === node : r === node || r.startsWith(`${node}/`)));
  const roleOrder = (parent: string | undefined): string[] => {
    const entries: Array<{ key: string; node: string; self: boolean; share: number; allocations: number }> = [];
    if (parent !== undefined && roles.has(parent) && hasEligible(parent, true))
      entries.push({ key: `${parent}/.`, node: parent, self: true, ...subtree(parent, true) });
    for (const n of allNodes) {
      const isChild = parent === undefined ? !n.includes("/") : n.startsWith(`${parent}/`) && !n.slice(parent.length + 1).includes("/");
      if (!isChild || !hasEligible(n, false)) continue;
      const s = subtree(n, false);
      entries.push({ key: n, node: n, self: false, share: s.share / (input.weights?.[n] ?? 1), allocations: s.allocations });
    }
    entries.sort((a, b) => a.share - b.share || a.allocations - b.allocations || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return entries.flatMap((e) => (e.self ? [e.node] : roleOrder(e.node)));
  };
  const decisions: OfferDecision[] = [];
  for (const agent of agents) {
    let remaining = normalize(unallocated(agent.available));
    if (!isAllocatable(remaining, min)) continue;
    const gpus = agent.total.some((r) => r.name === "gpus" && (r.scalar?.value ?? 0) > 0);
    let more = true;
    for (const role of roleOrder(undefined)) {
      const order = (eligible.get(role) ?? [])
        .map((id) => ({ id, c: clients.get(key(id, role))! }))
        .map(({ id, c }) => ({ id, c, share: share(c.held) }))
        .sort((a, b) => a.share - b.share || a.c.allocations - b.c.allocations || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const { id, c } of order) {
        if (refused(id, role, agent.id)) continue;
        if (gpus && !fws.get(id)!.gpuResources) continue;
        const offer = remaining.filter((r) => usableByRole(r, role));
        if (!isAllocatable(offer, min)) continue;
        if (!contains(remaining, offer)) throw new Error("reference: offer beyond what remains");
        c.held = normalize([...c.held, ...offer]);
        c.allocations += 1;
        decisions.push({ frameworkId: id, role, agentId: agent.id, agent, resources: allocatedTo(offer, role) });
        remaining = subtract(remaining, offer);
        if (!isAllocatable(remaining, min)) {
          more = false;
          break;
        }
      }
      if (!more) break;
    }
  }
  return decisions;
}
