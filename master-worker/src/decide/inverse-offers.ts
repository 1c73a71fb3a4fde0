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
 * memory (`InverseOfferBook`, inverse-offer-book.ts) changes only through `commitInverseOfferChange`, called by commit.ts.
 */
import type { CallOf } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import type { MachineID, Unavailability } from "../../../schemas/mesos.ts";
import { agentUrl } from "../model/agent-address.ts";
import type { DecideContext, Effect } from "./effects.ts";
import { type InverseOfferChange, type InverseOfferView, pairKey } from "./inverse-offer-book.ts";
import { machineKey, maintenanceOf, sameUnavailability, scheduledMachineOf } from "./maintenance.ts";
import { isReachable } from "./partitions.ts";
import type { MasterView } from "./view.ts";

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
    const stillDraining =
      machine && !machine.down && agent !== undefined && isReachable(agent) && sameUnavailability(machine.window.unavailability, o.inverse.unavailability);
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
      machine: d.machine,
      machineId: d.machineId,
      inverse: {
        id: { value: nextId() },
        framework_id: { value: t.frameworkId },
        agent_id: { value: t.agentId },
        url: agentUrl(agent),
        unavailability: d.unavailability,
        resources: [],
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
  view: MasterView,
  fid: string,
  call: CallOf<"ACCEPT_INVERSE_OFFERS"> | CallOf<"DECLINE_INVERSE_OFFERS">,
  ctx: DecideContext,
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
