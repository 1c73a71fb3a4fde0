/**
 * Bridges the cluster view and the pure allocator: gets the allocator's input (what is free on
 * each connected agent, what each connected framework holds) from an `AllocationInputCache`
 * that follows the view between runs, and turns the decisions into Mesos `Offer`s.
 *
 * A run allocates every agent when a framework changed (or on the first run), and otherwise
 * only the agents whose resources changed since the last run (a task ended, an offer was
 * declined or rescinded, an agent (re)connected, a refuse filter lapsed); either way it decides
 * what a full run over the whole view would (see `allocate`).
 */
import type { Offer } from "../../schemas/index.ts";
import { allocate } from "./allocator/allocate.ts";
import { AllocationInputCache, type AllocationView } from "./allocator/allocation-input-cache.ts";

export { frameworkRole } from "./allocator/allocation-input-cache.ts";

/** One cache per master view, made on its first run (the view's records are replaced, never edited, so identity tells what changed). */
const caches = new WeakMap<AllocationView, AllocationInputCache>();

/** The cache `allocationOffers` uses for `view` by default. */
export function allocationCacheFor(view: AllocationView): AllocationInputCache {
  let cache = caches.get(view);
  if (!cache) caches.set(view, (cache = new AllocationInputCache()));
  return cache;
}

/**
 * Runs one allocation over the view; `nextOfferId` names each new offer. The master must commit
 * the offers returned (as it does): the cache counts them as outstanding from now on.
 */
export function allocationOffers(view: AllocationView, now: number, seed: number, nextOfferId: () => string, cache = allocationCacheFor(view)): Offer[] {
  const { agents, frameworks, roles, pool } = cache.input(view, now);
  if (agents.length === 0) return [];
  const decisions = allocate({ agents, frameworks, pool, filters: view.filters, now, seed });
  const offers = decisions.map((d): Offer => {
    const agent = view.agents.get(d.agentId)!;
    return {
      id: { value: nextOfferId() },
      framework_id: { value: d.frameworkId },
      agent_id: { value: d.agentId },
      hostname: agent.hostname,
      url: { scheme: "http", address: { hostname: agent.hostname, port: agent.port }, path: "/slave(1)" },
      resources: d.resources,
      attributes: agent.attributes,
      executor_ids: [],
      allocation_info: { role: roles.get(d.frameworkId)! },
    };
  });
  cache.offered(offers);
  return offers;
}
