/**
 * Bridges the cluster view and the pure allocator: builds the allocator's snapshot (what is
 * free on each connected agent, what each connected framework holds) and turns its decisions
 * into Mesos `Offer`s.
 */
import type { Offer, Resource } from "../../schemas/index.ts";
import { isTerminal } from "../../schemas/index.ts";
import { add, subtract, unallocated } from "../../sdk/src/resources.ts";
import { allocate } from "./allocator/index.ts";
import type { MasterView } from "./view.ts";

/** The role a framework's offers are allocated to (single-role frameworks for now). */
export const frameworkRole = (info: { role?: string; roles?: string[] }) => info.roles?.[0] ?? info.role ?? "*";

/** Runs one allocation over the view; `nextOfferId` names each new offer. */
export function allocationOffers(view: MasterView, now: number, seed: number, nextOfferId: () => string): Offer[] {
  const usedOnAgent = new Map<string, Resource[]>();
  const heldBy = new Map<string, Resource[]>();
  const charge = (m: Map<string, Resource[]>, k: string, rs: Resource[]) => m.set(k, add(m.get(k) ?? [], unallocated(rs)));
  for (const t of view.tasks.values()) {
    if (isTerminal(t.state)) continue;
    charge(usedOnAgent, t.agentId, t.info.resources);
    charge(heldBy, t.frameworkId, t.info.resources);
  }
  for (const { offer } of view.offers.values()) {
    charge(usedOnAgent, offer.agent_id.value, offer.resources);
    charge(heldBy, offer.framework_id.value, offer.resources);
  }
  const agents = [...view.agents.values()].map((a) => ({
    id: a.id, total: a.resources, available: subtract(a.resources, usedOnAgent.get(a.id) ?? []), active: view.agentConnected(a.id),
  }));
  const frameworks = [...view.frameworks.values()].filter((f) => !f.removed).map((f) => ({
    id: f.id, role: frameworkRole(f.info), active: view.frameworkConnected(f.id), suppressed: view.suppressed.has(f.id),
    allocated: heldBy.get(f.id) ?? [],
  }));
  const decisions = allocate({ agents, frameworks, filters: [...view.filters], now, seed });
  return decisions.map((d) => {
    const agent = view.agents.get(d.agentId)!;
    const role = frameworkRole(view.frameworks.get(d.frameworkId)!.info);
    return {
      id: { value: nextOfferId() },
      framework_id: { value: d.frameworkId },
      agent_id: { value: d.agentId },
      hostname: agent.hostname,
      url: { scheme: "http", address: { hostname: agent.hostname, port: agent.port }, path: "/slave(1)" },
      resources: d.resources,
      attributes: agent.attributes,
      executor_ids: [],
      allocation_info: { role },
    };
  });
}
