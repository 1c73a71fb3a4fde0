/**
 * The master's inverse-offer memory (docs/maintenance.md): outstanding inverse offers, the
 * frameworks' latest answers per machine and the answers' refuse filters, and how one
 * committed change alters it (`commitInverseOfferChange`, called by the core's commit). The
 * deciding is in inverse-offers.ts; this file imports no decider, so effects and the view can
 * name its types.
 */

import type { SchedulerEvent } from "../../../schemas/index.ts";
import type { InverseOffer, InverseOfferStatus } from "../../../schemas/maintenance.ts";
import type { MachineID } from "../../../schemas/mesos.ts";
import { timeInfo } from "../model/time-info.ts";

/** An outstanding inverse offer and the machine it is about. */
export interface InverseOfferRecord {
  inverse: InverseOffer;
  machine: string;
}

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

/** The key of a refuse filter: (framework, agent). */
export const pairKey = (frameworkId: string, agentId: string) => `${frameworkId}/${agentId}`;

/** Applies one change to `book` after the commit, and queues the events it sends (commit.ts calls it). */
export function commitInverseOfferChange(
  book: InverseOfferBook,
  change: InverseOfferChange,
  now: number,
  after: Array<() => void>,
  events: Array<[string, SchedulerEvent]>,
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
      if (o && change.rescind)
        events.push([o.inverse.framework_id.value, { type: "RESCIND_INVERSE_OFFER", rescind_inverse_offer: { inverse_offer_id: { value: change.id } } }]);
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
    case "forgetMachine":
      after.push(() => book.statuses.delete(change.machine));
      break;
  }
}
