/**
 * The allocator as first written (before issue 3's speed-ups), kept as a test oracle: list
 * arithmetic from the sdk throughout and every framework re-sorted for every agent. The fast
 * `allocate` must decide exactly what this decides. The one change from the original is the
 * agent visit order (`visitOrder`, which incremental runs rely on).
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { allocatedTo, contains, normalize, scalarTotals, subtract, unallocated } from "../../../sdk/src/resources.ts";
import { DEFAULT_MIN_ALLOCATABLE, isAllocatable, refusedPairs, visitOrder, type AllocationInput, type OfferDecision } from "../../../master-worker/src/allocator/index.ts";

const scalarsOnly = (rs: readonly Resource[]) => scalarTotals(rs.filter((r) => r.type === "SCALAR"));

/** DRF only (the random sorter has no second implementation to compare with). */
export function referenceAllocate(input: AllocationInput): OfferDecision[] {
  const min = input.minAllocatable ?? DEFAULT_MIN_ALLOCATABLE;
  const refused = refusedPairs(input.filters, input.now);
  const agents = visitOrder(input.agents.filter((a) => a.active), input.seed ?? 0);
  const pool = scalarsOnly(normalize(unallocated(input.pool ? [...input.pool] : agents.flatMap((a) => a.total))));
  const clients = new Map<string, { held: Resource[]; allocations: number; weight: number; role: string; eligible: boolean }>();
  for (const fw of input.frameworks) {
    clients.set(fw.id, {
      held: normalize(fw.allocated), allocations: fw.allocated.length > 0 ? 1 : 0, weight: input.weights?.[fw.role] ?? 1,
      role: fw.role, eligible: fw.active && !fw.suppressed,
    });
  }
  const share = (id: string) => {
    const c = clients.get(id)!;
    let dominant = 0;
    for (const [name, held] of scalarsOnly(c.held)) {
      const total = pool.get(name) ?? 0;
      if (total > 0) dominant = Math.max(dominant, held / total);
    }
    return dominant / c.weight;
  };
  const decisions: OfferDecision[] = [];
  for (const agent of agents) {
    let remaining = normalize(unallocated(agent.available));
    if (!isAllocatable(remaining, min)) continue;
    const order = [...clients].filter(([, c]) => c.eligible).map(([id, c]) => ({ id, share: share(id), allocations: c.allocations }))
      .sort((a, b) => a.share - b.share || a.allocations - b.allocations || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const { id } of order) {
      const c = clients.get(id)!;
      if (refused(id, agent.id)) continue;
      const offer = remaining.filter((r) => (r.role ?? "*") === "*" || r.role === c.role);
      if (!isAllocatable(offer, min)) continue;
      if (!contains(remaining, offer)) throw new Error("reference: offer beyond what remains");
      c.held = normalize([...c.held, ...offer]);
      c.allocations += 1;
      decisions.push({ frameworkId: id, agentId: agent.id, agent, resources: allocatedTo(offer, c.role) });
      remaining = subtract(remaining, offer);
      if (!isAllocatable(remaining, min)) break;
    }
  }
  return decisions;
}
