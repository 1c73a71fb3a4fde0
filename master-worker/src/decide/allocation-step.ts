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
 * Each offer is for one (framework, role): its `allocation_info.role` and its resources' say which.
 * Ties between equal shares go to the framework offered least so far: the cache keeps the counts
 * between runs (`AllocationCounts`), so equal-share frameworks take turns.
 * Role weights, quotas and the sorter come from the master's settings and config
 * (`allocation-settings.ts`).
 *
 * An offer shares its resources with the other offers of the same list and role, and its
 * framework id and allocation info with the framework's other offers (records are replaced,
 * never edited): a cycle of 10,000 offers makes five objects per offer instead of sixteen.
 */
import type { FrameworkID, Offer } from "../../../schemas/index.ts";
import { allocate } from "../allocator/index.ts";
import { agentUrl } from "../model/agent-address.ts";
import type { FrameworkRecord } from "../store/records.ts";
import { AllocationInputCache, type AllocationView } from "./allocation-input-cache.ts";
import { type AllocationSettingsView, allocationSettings } from "./allocation-settings.ts";

/** One cache per master view, made on its first run (the view's records are replaced, never edited, so identity tells what changed). */
const caches = new WeakMap<AllocationView, AllocationInputCache>();

/** The cache `allocationOffers` uses for `view` by default. */
export function allocationCacheFor(view: AllocationView): AllocationInputCache {
  let cache = caches.get(view);
  if (!cache) caches.set(view, (cache = new AllocationInputCache()));
  return cache;
}

type FrameworkParts = Pick<Offer, "framework_id" | "allocation_info">;
/** Per framework record, the parts of its offers for each of its roles. */
const frameworkParts = new WeakMap<FrameworkRecord, Map<string, FrameworkParts>>();
/** Offers name no executors; one shared, frozen list. */
const NO_EXECUTORS = Object.freeze([]) as unknown as Offer["executor_ids"];

/** The id and allocation info every offer to `framework` for `role` carries, made once per framework record and role. */
function partsOfFramework(framework: FrameworkRecord, role: string): FrameworkParts {
  let byRole = frameworkParts.get(framework);
  if (!byRole) frameworkParts.set(framework, (byRole = new Map()));
  let parts = byRole.get(role);
  if (!parts) {
    const frameworkId: FrameworkID = byRole.values().next().value?.framework_id ?? { value: framework.id };
    byRole.set(role, (parts = { framework_id: frameworkId, allocation_info: { role } }));
  }
  return parts;
}

/**
 * Runs one allocation over the view; `nextOfferId` names each new offer. The master must commit
 * the offers returned, in the order returned (as it does): the cache counts them as outstanding
 * from now on (and copes with any other order, or with offers not committed). Offers share
 * their unchanging parts with each other: read-only, like the records they come from.
 */
export function allocationOffers(
  view: AllocationView & AllocationSettingsView,
  now: number,
  seed: number,
  nextOfferId: () => string,
  cache = allocationCacheFor(view),
): Offer[] {
  const { weights, quotas, sorter } = allocationSettings(view);
  cache.settingsChanged([weights, quotas]);
  if (quotas) cache.requireFull(); // headroom is cluster-wide: every agent counts
  const { agents, frameworks, pool } = cache.input(view, now);
  if (agents.length === 0) return [];
  const decisions = allocate({
    agents,
    frameworks,
    pool,
    filters: view.filters,
    now,
    seed,
    sorter,
    counts: cache.counts,
    ...(weights ? { weights } : {}),
    ...(quotas ? { quotas } : {}),
  });
  const offers: Offer[] = [];
  for (const d of decisions) {
    const agent = d.agent.record,
      framework = partsOfFramework(view.frameworks.get(d.frameworkId)!, d.role);
    const offer: Offer = {
      id: { value: nextOfferId() },
      framework_id: framework.framework_id,
      agent_id: { value: d.agentId },
      hostname: agent.hostname,
      url: agentUrl(agent),
      resources: d.resources,
      attributes: agent.attributes,
      executor_ids: NO_EXECUTORS,
      allocation_info: framework.allocation_info,
    };
    offers.push(offer);
    cache.offered(offer, d.agent, d.cut);
  }
  cache.counts.record(decisions);
  return offers;
}
