/**
 * Which outstanding offers an UPDATE_QUOTA rescinds, so the next allocation can honour the new
 * quotas at once instead of waiting for frameworks to decline or use what they hold.
 *
 * Mesos: the legacy SET_QUOTA rescinds offers agent by agent (every offer there, whatever its
 * role) until the resources rescinded hold the new guarantee and as many agents were visited as
 * the role has active frameworks; the 1.9+ UPDATE_QUOTA leaves rescinding as a TODO. Strata
 * rescinds on UPDATE_QUOTA, only what the new quotas need (a choice, in the spirit of both):
 *
 * - Limits. For each role whose quota the call set, and each role below it or above it with a
 *   limit, when what the role's subtree consumes (tasks and offers allocated to it, unreserved,
 *   plus every reservation for the subtree) is above a limit, its subtree's offers holding that
 *   resource are rescinded, newest first, until the consumption is within the limit or no such
 *   offer is left (what tasks hold is never taken back).
 * - Guarantees. When a role the call set (or its top-most guaranteed ancestor) consumes less than
 *   its guarantee, and the unreserved resources free on active agents do not cover what every
 *   unmet guarantee still lacks, offers to roles outside the unmet guarantees are rescinded agent
 *   by agent (all of them on an agent, as Mesos, so resources come back whole; agents in id
 *   order) while an agent's offers hold a lacking resource, until the free resources plus those
 *   rescinded cover the lack.
 *
 * Quantities are non-revocable scalars (`eachQuotaScalar`): a revocable offer is never rescinded
 * for quota. Pure: reads the view, returns `offerGone` effects (with RESCIND events).
 */
import type { Offer, Resource } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import { isWithinRole } from "../../../sdk/src/roles.ts";
import { eachQuotaScalar, frameworkRole, type RoleQuota, roundQuantity } from "../allocator/index.ts";
import { UNMARKED, useRole } from "./allocation-entries.ts";
import type { Effect } from "./effects.ts";
import type { MasterView } from "./view.ts";

type Quantities = Map<string, number>;

const add = (q: Quantities, name: string, v: number) => q.set(name, roundQuantity((q.get(name) ?? 0) + v));

/** Unreserved quota quantities of `resources`. */
function unreserved(resources: readonly Resource[]): Quantities {
  const q: Quantities = new Map();
  eachQuotaScalar(resources, (name, v, reservedFor) => {
    if (reservedFor === undefined) add(q, name, v);
  });
  return q;
}

/** One use of resources on an active agent (a live task or an outstanding offer), with the role it is allocated to. */
interface Held {
  role: string;
  agentId: string;
  unreserved: Quantities;
  offer?: Offer;
  createdAt: number;
}

/** What the cluster holds, as quota reads it. */
interface Ledger {
  uses: Held[];
  /** Reservation quantities by reservation role (active agents). */
  reservations: Map<string, Quantities>;
  /** Unreserved quantities not used by any task or offer (active agents). */
  free: Quantities;
}

function ledger(view: MasterView): Ledger {
  const uses: Held[] = [];
  const reservations = new Map<string, Quantities>();
  const free: Quantities = new Map();
  const active = (id: string) => view.agents.has(id) && view.agentActive(id);
  for (const a of view.agents.values()) {
    if (!active(a.id)) continue;
    eachQuotaScalar(a.resources, (name, v, reservedFor) => {
      if (reservedFor === undefined) add(free, name, v);
      else {
        let r = reservations.get(reservedFor);
        if (!r) reservations.set(reservedFor, (r = new Map()));
        add(r, name, v);
      }
    });
  }
  const roleOf = (resources: readonly Resource[], frameworkId: string) => {
    const role = useRole(resources);
    if (role !== UNMARKED) return role;
    const fw = view.frameworks.get(frameworkId);
    return fw ? frameworkRole(fw.info) : "*";
  };
  const use = (h: Held) => {
    uses.push(h);
    for (const [name, v] of h.unreserved) add(free, name, -v);
  };
  for (const t of view.tasks.values()) {
    if (isTerminal(t.state) || !active(t.agentId)) continue;
    use({ role: roleOf(t.info.resources, t.frameworkId), agentId: t.agentId, unreserved: unreserved(t.info.resources), createdAt: -Infinity });
  }
  for (const { offer, createdAt } of view.offers.values()) {
    if (!active(offer.agent_id.value)) continue;
    const role = offer.allocation_info?.role ?? roleOf(offer.resources, offer.framework_id.value);
    use({ role, agentId: offer.agent_id.value, unreserved: unreserved(offer.resources), offer, createdAt });
  }
  return { uses, reservations, free };
}

/** What `role`'s subtree consumes: its uses' unreserved quantities plus its reservations. */
function consumption(l: Ledger, role: string, gone: ReadonlySet<Held>): Quantities {
  const c: Quantities = new Map();
  for (const h of l.uses) if (!gone.has(h) && isWithinRole(h.role, role)) for (const [name, v] of h.unreserved) add(c, name, v);
  for (const [r, q] of l.reservations) if (isWithinRole(r, role)) for (const [name, v] of q) add(c, name, v);
  return c;
}

/** Offers to rescind after the quotas became `quotas` by a call setting `changed` roles. */
export function quotaRescinds(view: MasterView, quotas: Readonly<Record<string, RoleQuota>>, changed: readonly string[]): Effect[] {
  if (changed.length === 0 || view.offers.size === 0) return [];
  const l = ledger(view);
  const gone = new Set<Held>();
  const rescind = (h: Held) => {
    gone.add(h);
    for (const [name, v] of h.unreserved) add(l.free, name, v);
  };

  // Limits: the roles set, and those above or below them with a limit.
  const limited = Object.keys(quotas).filter(
    (r) => Object.keys(quotas[r]!.limits ?? {}).length > 0 && changed.some((c) => isWithinRole(r, c) || isWithinRole(c, r)),
  );
  for (const role of limited.sort()) {
    const limits = quotas[role]!.limits!;
    const c = consumption(l, role, gone);
    const newestFirst = l.uses
      .filter((h) => h.offer && !gone.has(h) && isWithinRole(h.role, role))
      .sort((a, b) => b.createdAt - a.createdAt || (a.offer!.id.value < b.offer!.id.value ? 1 : -1));
    for (const h of newestFirst) {
      const over = Object.entries(limits).filter(([name, limit]) => (c.get(name) ?? 0) > limit);
      if (over.length === 0) break;
      if (!over.some(([name]) => (h.unreserved.get(name) ?? 0) > 0)) continue;
      rescind(h);
      for (const [name, v] of h.unreserved) add(c, name, -v);
    }
  }

  // Guarantees: what every unmet top-most guarantee lacks, against what is free.
  const guaranteed = Object.keys(quotas).filter((r) => Object.keys(quotas[r]!.guarantees ?? {}).length > 0);
  const top = guaranteed.filter((r) => !guaranteed.some((q) => q !== r && isWithinRole(r, q)));
  const lacking: string[] = [];
  const shortfall: Quantities = new Map();
  for (const role of top) {
    const c = consumption(l, role, gone);
    let lacks = false;
    for (const [name, g] of Object.entries(quotas[role]!.guarantees!)) {
      const lack = g - (c.get(name) ?? 0);
      if (lack > 0) {
        add(shortfall, name, lack);
        lacks = true;
      }
    }
    if (lacks) lacking.push(role);
  }
  const touched = lacking.some((r) => changed.some((c) => isWithinRole(c, r) || isWithinRole(r, c)));
  for (const [name, v] of l.free) if (shortfall.has(name)) add(shortfall, name, -v);
  const needs = () => [...shortfall].some(([, v]) => v > 0);
  if (touched && needs()) {
    const byAgent = new Map<string, Held[]>();
    for (const h of l.uses) {
      if (!h.offer || gone.has(h) || lacking.some((r) => isWithinRole(h.role, r))) continue;
      let list = byAgent.get(h.agentId);
      if (!list) byAgent.set(h.agentId, (list = []));
      list.push(h);
    }
    for (const agentId of [...byAgent.keys()].sort()) {
      if (!needs()) break;
      const offers = byAgent.get(agentId)!;
      if (!offers.some((h) => [...h.unreserved].some(([name, v]) => v > 0 && (shortfall.get(name) ?? 0) > 0))) continue;
      for (const h of offers) {
        rescind(h);
        for (const [name, v] of h.unreserved) if (shortfall.has(name)) add(shortfall, name, -v);
      }
    }
  }
  return [...gone].map((h) => ({ kind: "offerGone", offerId: h.offer!.id.value, rescind: true }));
}
