/**
 * Whether an offer's agent may take new instances, given the maintenance window the master
 * attaches (`offer.unavailability`). Source: mesosphere/marathon
 * src/main/scala/mesosphere/mesos/Availability.scala (`offerAvailable`): an agent is unavailable
 * from `drainingSeconds` before the window starts until the window ends (for good when the window
 * has no duration).
 */
import type { Offer } from "../../schemas/mesos.ts";

const NS_PER_MS = 1e6;

/** True when the offer's agent is inside (or `drainingSeconds` before) its maintenance window at `nowMs`. */
export function inMaintenance(offer: Pick<Offer, "unavailability">, nowMs: number, drainingSeconds = 0): boolean {
  const u = offer.unavailability;
  if (!u) return false;
  const now = nowMs * NS_PER_MS;
  const start = u.start.nanoseconds;
  if (now < start - drainingSeconds * 1e9) return false;
  if (u.duration === undefined) return true;
  return now <= start + u.duration.nanoseconds;
}
