/**
 * Inverse offers (Mesos docs/maintenance.md): the master asks each framework that has tasks on
 * an agent of a DRAINING machine to give the agent back before the machine's unavailability.
 * The framework answers ACCEPT_INVERSE_OFFERS or DECLINE_INVERSE_OFFERS; the latest answer per
 * framework and machine is shown by GET_MAINTENANCE_STATUS (a framework holding an inverse offer
 * it has not answered yet shows `UNKNOWN`). An answered inverse offer is sent again once the
 * answer's refuse filter (`filters.refuse_seconds`, default `STRATA_DEFAULT_REFUSE_SECONDS`)
 * has expired and the framework still has tasks there; an outstanding one is rescinded when the
 * agent's machine leaves DRAINING or its unavailability changes or the agent becomes unreachable
 * or gone (none is sent for such an agent), and dropped without a word when
 * its framework disconnects. As in Mesos, all of this lives in memory only: a restarted master
 * forgets the answers and asks again.
 *
 * Deciding is pure (`inverseOfferChanges`, `decideInverseOfferAnswers` return effects); the
 * memory (`InverseOfferBook`) changes only through `commitInverseOfferChange`, called by commit.ts.
 */
import { timeInfo } from "../model/time-info.ts";
import type { CallOf, SchedulerEvent } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import type { MachineID, Unavailability } from "../../../schemas/mesos.ts";
import type { InverseOffer, InverseOfferStatus } from "../../../schemas/maintenance.ts";
import type { DecideContext, Effect } from "./effects.ts";
import { machineKey, maintenanceOf, sameUnavailability, scheduledMachineOf } from "./maintenance.ts";
import type { MasterView } from "./view.ts";
import { agentUrl } from "../model/agent-address.ts";
import { isReachable } from "./partitions.ts";

/** An outstanding inverse offer and the machine it is about. */
export interface InverseOfferRecord { inverse: InverseOffer; machine: string }

/** One change to the inverse-offer memory (the payload of the `inverseOffer` effect). */
export type InverseOfferChange =
  /** New inverse offers, sent to their frameworks; `machine` is each one's machine key. */
  | { op: "send"; offers: Array<{ inverse: InverseOffer; machine: string; machineId: MachineID }> }
  /** An inverse offer is over; `rescind` tells its framework (RESCIND_INVERSE_OFFER). */
  | { op: "gone"; id: string; rescind: boolean }
  /** The framework answered: the offer is over, its answer kept, no new one before `until`. */
  | { op: "answer"; id: string; status: "ACCEPT" | "DECLINE"; at: number; until: number }
  /** The machine is no longer DRAINING: forget the answers about it. */
  | { op: "forgetMachine"; machine: string };

/** Read-only side of the book, what deciders see. */
export interface InverseOfferView {
  readonly offers: ReadonlyMap<string, InverseOfferRecord>;
  /** `${frameworkId}/${agentId}` → until when no inverse offer is sent there. */
  readonly filters: ReadonlyMap<string, number>;
  /** machine key → the machine and frameworkId → latest status. */
  readonly statuses: ReadonlyMap<string, { id: MachineID; byFramework: ReadonlyMap<string, InverseOfferStatus> }>;
}

/** The master's inverse-offer memory (see the file comment). */
export class InverseOfferBook implements InverseOfferView {
  readonly offers = new Map<string, InverseOfferRecord>();
  readonly filters = new Map<string, number>();
  readonly statuses = new Map<string, { id: MachineID; byFramework: Map<string, InverseOfferStatus> }>();

  /** The earliest refuse filter expiry after `now` (a moment to look for inverse offers to send again). */
  nextFilterExpiry(now: number): number | undefined {
    let next: number | undefined;
    for (const until of this.filters.values()) if (until > now && (next === undefined || until < next)) next = until;
    return next;
  }
}

const pairKey = (frameworkId: string, agentId: string) => `${frameworkId}/${agentId}`;

/** Applies one change to `book` after the commit, and queues the events it sends (commit.ts calls it). */
export function commitInverseOfferChange(
  book: InverseOfferBook, change: InverseOfferChange, now: number,
  after: Array<() => void>, events: Array<[string, SchedulerEvent]>,
): void {
  switch (change.op) {
    case "send": {
      const byFramework = new Map<string, InverseOffer[]>();
      for (const o of change.offers) {
        const fid = o.inverse.framework_id.value;
        byFramework.set(fid, [...(byFramework.get(fid) ?? []), o.inverse]);
      }
      for (const [fid, inverse_offers] of byFramework) events.push([fid, { type: "INVERSE_OFFERS", inverse_offers: { inverse_offers } }]);
      after.push(() => {
        for (const o of change.offers) {
          book.offers.set(o.inverse.id.value, { inverse: o.inverse, machine: o.machine });
          let m = book.statuses.get(o.machine);
          if (!m) book.statuses.set(o.machine, (m = { id: o.machineId, byFramework: new Map() }));
          const fid = o.inverse.framework_id.value;
          if (!m.byFramework.has(fid)) m.byFramework.set(fid, { status: "UNKNOWN", framework_id: o.inverse.framework_id, timestamp: timeInfo(now) });
        }
      });
      break;
    }
    case "gone": {
      const o = book.offers.get(change.id);
      if (o && change.rescind) events.push([o.inverse.framework_id.value, { type: "RESCIND_INVERSE_OFFER", rescind_inverse_offer: { inverse_offer_id: { value: change.id } } }]);
      after.push(() => book.offers.delete(change.id));
      break;
    }
    case "answer": {
      after.push(() => {
        const o = book.offers.get(change.id);
        if (!o) return;
        book.offers.delete(change.id);
        const fid = o.inverse.framework_id.value;
        book.statuses.get(o.machine)?.byFramework.set(fid, { status: change.status, framework_id: o.inverse.framework_id, timestamp: timeInfo(change.at) });
        if (change.until > now) book.filters.set(pairKey(fid, o.inverse.agent_id!.value), change.until);
      });
      break;
    }
    case "forgetMachine": after.push(() => book.statuses.delete(change.machine)); break;
  }
}

const change = (c: InverseOfferChange): Effect => ({ kind: "inverseOffer", change: c });

/**
 * What the inverse offers should be at `now`: rescind those whose agent's machine left DRAINING
 * (or whose unavailability changed), drop those of disconnected frameworks, forget answers about
 * machines no longer DRAINING, and send new ones to frameworks with tasks on DRAINING machines'
 * agents that hold none there and are not filtered. `nextId` names each new inverse offer.
 */
export function inverseOfferChanges(view: MasterView, now: number, nextId: () => string): Effect[] {
  const book = view.inverseOffers;
  const state = maintenanceOf(view);
  const effects: Effect[] = [];
  if (book.offers.size === 0 && book.statuses.size === 0 && state.windows.length === 0) return effects;

  const held = new Set<string>();
  for (const [id, o] of book.offers) {
    const agent = view.agents.get(o.inverse.agent_id!.value);
    const machine = agent ? scheduledMachineOf(state, agent) : undefined;
    // An unreachable or gone agent is out of the cluster (as Mesos removes it): its inverse offers go.
    const stillDraining = machine && !machine.down && agent !== undefined && isReachable(agent) && sameUnavailability(machine.window.unavailability, o.inverse.unavailability);
    if (!stillDraining) effects.push(change({ op: "gone", id, rescind: true }));
    else if (!view.frameworkConnected(o.inverse.framework_id.value)) effects.push(change({ op: "gone", id, rescind: false }));
    else held.add(pairKey(o.inverse.framework_id.value, o.inverse.agent_id!.value));
  }

  // DRAINING machines' agents, with the machine each is on
  const draining = new Map<string, { machine: string; machineId: MachineID; unavailability: Unavailability }>();
  const drainingMachines = new Set<string>();
  if (state.windows.length > 0) {
    for (const agent of view.agents.values()) {
      const m = scheduledMachineOf(state, agent);
      if (!m || m.down) continue;
      drainingMachines.add(machineKey(m.id));
      if (isReachable(agent)) draining.set(agent.id, { machine: machineKey(m.id), machineId: m.id, unavailability: m.window.unavailability });
    }
  }
  for (const machine of book.statuses.keys()) if (!drainingMachines.has(machine)) effects.push(change({ op: "forgetMachine", machine }));
  if (draining.size === 0) return effects;

  const send: Extract<InverseOfferChange, { op: "send" }>["offers"] = [];
  for (const t of view.tasks.values()) {
    const d = draining.get(t.agentId);
    if (!d || isTerminal(t.state)) continue;
    const key = pairKey(t.frameworkId, t.agentId);
    if (held.has(key) || (book.filters.get(key) ?? 0) > now) continue;
    const framework = view.frameworks.get(t.frameworkId);
    if (!framework || framework.removed || !view.frameworkConnected(t.frameworkId)) continue;
    held.add(key);
    const agent = view.agents.get(t.agentId)!;
    send.push({
      machine: d.machine, machineId: d.machineId,
      inverse: {
        id: { value: nextId() }, framework_id: { value: t.frameworkId }, agent_id: { value: t.agentId },
        url: agentUrl(agent),
        unavailability: d.unavailability, resources: [],
      },
    });
  }
  if (send.length > 0) effects.push(change({ op: "send", offers: send }));
  return effects;
}

/** Expired refuse filters, to drop from the book (memory only, so done directly by the core). */
export function expiredInverseFilters(book: InverseOfferView, now: number): string[] {
  return [...book.filters].filter(([, until]) => until <= now).map(([key]) => key);
}

/**
 * ACCEPT_INVERSE_OFFERS / DECLINE_INVERSE_OFFERS: records the answer for each of the framework's
 * outstanding inverse offers named. Ids that are unknown, answered already or another
 * framework's are ignored, as Mesos ignores them (a rescind may cross the answer).
 */
export function decideInverseOfferAnswers(
  view: MasterView, fid: string, call: CallOf<"ACCEPT_INVERSE_OFFERS"> | CallOf<"DECLINE_INVERSE_OFFERS">, ctx: DecideContext,
): Effect[] {
  const body = call.type === "ACCEPT_INVERSE_OFFERS" ? call.accept_inverse_offers : call.decline_inverse_offers;
  const status = call.type === "ACCEPT_INVERSE_OFFERS" ? "ACCEPT" : "DECLINE";
  const seconds = body.filters?.refuse_seconds;
  const until = ctx.now + (seconds === undefined ? view.config.defaultRefuseMs : seconds * 1000);
  const effects: Effect[] = [];
  for (const { value: id } of body.inverse_offer_ids) {
    if (view.inverseOffers.offers.get(id)?.inverse.framework_id.value !== fid) continue;
    effects.push(change({ op: "answer", id, status, at: ctx.now, until }));
  }
  return effects;
}
