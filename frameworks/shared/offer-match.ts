/**
 * Does an offer fit one instance, and with which of its resources? Marathon's offer matching:
 * the roles the instance may use, its constraints, the agent's maintenance window, the scalar
 * resources, its host ports and GPU scarcity. Pure: the instances already placed and the time
 * are inputs.
 *
 * Sources (mesosphere/marathon): src/main/scala/mesosphere/mesos/ResourceMatcher.scala
 * (`matchResources`, `ResourceSelector`: resources of an accepted role, no volumes, no resident
 * reservation labels unless relaunching on them), RunSpecOfferMatcher.scala (acceptedResourceRoles
 * defaulting), NoOfferMatchReason.scala (the reasons), Availability.scala (maintenance), and the
 * GPU scheduling integration test (an app without GPUs declines offers that have some:
 * DeclinedScarceResources, unless `--gpu_scheduling_behavior=unrestricted`).
 *
 * Unlike Marathon, which stops at the first failing stage, every reason that applies is listed
 * (so "why is this waiting" can say all an agent lacks); `funnelReason` gives Marathon's one.
 */
import type { Resource } from "../../schemas/mesos.ts";
import { takeScalars } from "../../sdk/src/offer-fit.ts";
import { DEFAULT_ROLE, reservationRole } from "../../sdk/src/roles.ts";
import { type Constraint, unmetConstraints } from "./constraints.ts";
import { choosePorts } from "./host-ports.ts";
import { inMaintenance } from "./maintenance-window.ts";
import { inFunnelOrder, type NoOfferMatchReason } from "./no-offer-match-reason.ts";
import { type MatchableOffer, type Placement, placementOfOffer } from "./placement.ts";

/** What one instance needs: Marathon's app resources, ports, roles and constraints. */
export interface InstanceRequest {
  cpus: number;
  /** MB. */
  mem: number;
  /** MB of scratch disk. */
  disk: number;
  gpus: number;
  /** One entry per host port: the port itself, or 0 for any (see `hostPortsOf`). */
  hostPorts: readonly number[];
  /** The app's role (Marathon's `role`, by default the framework's). */
  role: string;
  /** Roles whose resources it takes; absent or empty: `*` and `role` (reserved for it or not). */
  acceptedResourceRoles?: readonly string[];
  constraints?: readonly Constraint[];
  /**
   * Relaunching a resident instance: only resources reserved with these labels count, and an offer
   * without them is NoCorrespondingReservationFound. Absent: resources reserved with labels of a
   * resident instance (`reservedFor`) are left alone.
   */
  reservationLabels?: Readonly<Record<string, string>>;
  /** Marathon's `--gpu_scheduling_behavior`: `restricted` (default) keeps GPU agents for GPU apps. */
  gpuSchedulingBehavior?: "restricted" | "unrestricted";
}

/** What the decision depends on besides the offer and the request. */
export interface MatchContext {
  /** Where the app's instances (of its current configuration) already are: for constraints. */
  placed: readonly Placement[];
  /** Now, ms since the epoch: for maintenance windows. */
  nowMs: number;
  /** Marathon's `--draining_seconds`: how long before a maintenance window an agent stops taking instances (default 0). */
  drainingSeconds?: number;
  /** Reservation label keys that mark a resident instance's reservation (Marathon's `marathon_framework_id`, `marathon_task_id`). */
  residentLabelKeys?: readonly string[];
}

/** The outcome: the resources to launch with and the host ports chosen, or every reason it does not fit. */
export type OfferMatch =
  | { matched: true; resources: Resource[]; hostPorts: number[] }
  | { matched: false; reasons: NoOfferMatchReason[]; unmetConstraints: Constraint[] };

/** Marathon's labels on a resident instance's reservation. */
export const RESIDENT_LABEL_KEYS = ["marathon_framework_id", "marathon_task_id"] as const;

/** The roles a request takes resources of: its `acceptedResourceRoles`, or `*` and its role. */
export function acceptedRoles(request: Pick<InstanceRequest, "role" | "acceptedResourceRoles">): Set<string> {
  const given = request.acceptedResourceRoles ?? [];
  return new Set(given.length > 0 ? given : [DEFAULT_ROLE, request.role]);
}

/** The labels of the reservation a resource is under (the top of its stack), as a map. */
function reservationLabelsOf(r: Resource): Map<string, string> {
  const top = r.reservations?.length ? r.reservations[r.reservations.length - 1] : r.reservation;
  return new Map((top?.labels?.labels ?? []).map((l) => [l.key, l.value ?? ""] as const));
}

const SCALARS = [
  ["cpus", "InsufficientCpus"],
  ["mem", "InsufficientMemory"],
  ["disk", "InsufficientDisk"],
  ["gpus", "InsufficientGpus"],
] as const;

/** Matches one offer against one instance's request. */
export function matchOffer(offer: MatchableOffer, request: InstanceRequest, context: MatchContext): OfferMatch {
  const roles = acceptedRoles(request);
  const residentKeys = context.residentLabelKeys ?? RESIDENT_LABEL_KEYS;
  const wantLabels = request.reservationLabels ? Object.entries(request.reservationLabels) : undefined;
  const labelsFit = (r: Resource) => {
    const have = reservationLabelsOf(r);
    return wantLabels ? wantLabels.every(([k, v]) => have.get(k) === v) : !residentKeys.some((k) => have.has(k));
  };
  const roleFits = (r: Resource) => roles.has(reservationRole(r) ?? DEFAULT_ROLE) && !r.disk?.volume && !r.disk?.persistence && !r.revocable;
  const usable = offer.resources.filter((r) => roleFits(r) && labelsFit(r));

  const reasons = new Set<NoOfferMatchReason>();
  if (!offer.resources.some(roleFits)) reasons.add("UnfulfilledRole");
  if (wantLabels && !offer.resources.some((r) => reservationRole(r) !== undefined && labelsFit(r))) reasons.add("NoCorrespondingReservationFound");
  const unmet = unmetConstraints(request.constraints ?? [], placementOfOffer(offer), context.placed);
  if (unmet.length > 0) reasons.add("UnfulfilledConstraint");
  if (inMaintenance(offer, context.nowMs, context.drainingSeconds)) reasons.add("AgentMaintenance");
  const wants: Record<string, number> = {};
  for (const [name, reason] of SCALARS) {
    if (!(request[name] > 0)) continue;
    wants[name] = request[name];
    if (!takeScalars(usable, { [name]: request[name] })) reasons.add(reason);
  }
  const ports = choosePorts(usable, request.hostPorts);
  if (!ports) reasons.add("InsufficientPorts");
  const offersGpus = offer.resources.some((r) => r.name === "gpus" && (r.scalar?.value ?? 0) > 0);
  if (request.gpus === 0 && offersGpus && (request.gpuSchedulingBehavior ?? "restricted") === "restricted") reasons.add("DeclinedScarceResources");

  const scalars = takeScalars(usable, wants); // each name fits on its own, so all do: they are taken from different entries
  if (reasons.size > 0 || !ports || !scalars) return { matched: false, reasons: inFunnelOrder(reasons), unmetConstraints: unmet };
  return { matched: true, resources: [...scalars, ...ports.resources], hostPorts: ports.hostPorts };
}
