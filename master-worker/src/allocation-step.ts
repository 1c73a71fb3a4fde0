/**
 * Bridges the cluster view and the pure allocator: gets the allocator's input (what is free on
 * each connected agent, what each connected framework holds) from an `AllocationInputCache`
 * that follows the view between runs, and turns the decisions into Mesos `Offer`s.
 *
 * A run allocates every agent when a framework changed (or on the first run), and otherwise
 * only the agents whose resources changed since the last run (a task ended, an offer was
 * declined or rescinded, an agent (re)connected, a refuse filter lapsed); either way it decides
 * what a full run over the whole view would (see `allocate`).
 *
 * An offer shares its resources with the other offers of the same list and role, and its
 * framework id and allocation info with the framework's other offers (records are replaced,
 * never edited): a cycle of 10,000 offers makes five objects per offer instead of sixteen.
 */
import type { FrameworkID, Offer } from "../../schemas/index.ts";
import { allocate } from "./allocator/allocate.ts";
import { AllocationInputCache, frameworkRole, type AllocationView } from "./allocator/allocation-input-cache.ts";
import type { FrameworkRecord } from "./records.ts";

export { frameworkRole } from "./allocator/allocation-input-cache.ts";

/** One cache per master view, made on its first run (the view's records are replaced, never edited, so identity tells what changed). */
const caches = new WeakMap<AllocationView, AllocationInputCache>();

/** The cache `allocationOffers` uses for `view` by default. */
export function allocationCacheFor(view: AllocationView): AllocationInputCache {
  let cache = caches.get(view);
  if (!cache) caches.set(view, (cache = new AllocationInputCache()));
  return cache;
}

type FrameworkParts = Pick<Offer, "framework_id" | "allocation_info">;
const frameworkParts = new WeakMap<FrameworkRecord, FrameworkParts>();
/** Offers name no executors; one shared, frozen list. */
const NO_EXECUTORS = Object.freeze([]) as unknown as Offer["executor_ids"];

/** The id and allocation info every offer to `framework` carries, made once per framework record. */
function partsOfFramework(framework: FrameworkRecord): FrameworkParts {
  let parts = frameworkParts.get(framework);
  if (!parts) {
    const frameworkId: FrameworkID = { value: framework.id };
    frameworkParts.set(framework, (parts = { framework_id: frameworkId, allocation_info: { role: frameworkRole(framework.info) } }));
  }
  return parts;
}

/**
 * Runs one allocation over the view; `nextOfferId` names each new offer. The master must commit
 * the offers returned, in the order returned (as it does): the cache counts them as outstanding
 * from now on (and copes with any other order, or with offers not committed). Offers share
 * their unchanging parts with each other: read-only, like the records they come from.
 */
export function allocationOffers(view: AllocationView, now: number, seed: number, nextOfferId: () => string, cache = allocationCacheFor(view)): Offer[] {
  const { agents, frameworks, pool } = cache.input(view, now);
  if (agents.length === 0) return [];
  const decisions = allocate({ agents, frameworks, pool, filters: view.filters, now, seed });
  const offers: Offer[] = [];
  for (const d of decisions) {
    const agent = d.agent.record, framework = partsOfFramework(view.frameworks.get(d.frameworkId)!);
    const offer: Offer = {
      id: { value: nextOfferId() },
      framework_id: framework.framework_id,
      agent_id: { value: d.agentId },
      hostname: agent.hostname,
      url: { scheme: "http", address: { hostname: agent.hostname, port: agent.port }, path: "/slave(1)" },
      resources: d.resources,
      attributes: agent.attributes,
      executor_ids: NO_EXECUTORS,
      allocation_info: framework.allocation_info,
    };
    offers.push(offer);
    cache.offered(offer, d.agent);
  }
  return offers;
}
