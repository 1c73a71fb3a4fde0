/**
 * Why an offer was not used for an instance: Marathon's `NoOfferMatchReason` names, exactly as
 * `/v2/queue` reports them (`processedOffersSummary.rejectSummaryLastOffers[].reason`).
 * Source: mesosphere/marathon src/main/scala/mesosphere/mesos/NoOfferMatchReason.scala (the
 * funnel: UnfulfilledRole, UnfulfilledConstraint, NoCorrespondingReservationFound, then the
 * Insufficient* in this order). AgentMaintenance and DeclinedScarceResources came in later
 * releases; their places in the funnel here (an agent's state before its resources, a declined
 * scarce resource last) are this module's choice. InsufficientNetworkBandwidth (DC/OS network
 * bandwidth) has no resource in Strata and is left out.
 */

/** Every reason, in Marathon's funnel order (the first that applies is the one an offer is counted under). */
export const NO_OFFER_MATCH_REASONS = [
  "UnfulfilledRole",
  "UnfulfilledConstraint",
  "NoCorrespondingReservationFound",
  "AgentMaintenance",
  "InsufficientCpus",
  "InsufficientMemory",
  "InsufficientDisk",
  "InsufficientGpus",
  "InsufficientPorts",
  "DeclinedScarceResources",
] as const;

/** One of Marathon's reject reasons. */
export type NoOfferMatchReason = (typeof NO_OFFER_MATCH_REASONS)[number];

/** `reasons` sorted into funnel order, each once. */
export function inFunnelOrder(reasons: Iterable<NoOfferMatchReason>): NoOfferMatchReason[] {
  const have = new Set(reasons);
  return NO_OFFER_MATCH_REASONS.filter((r) => have.has(r));
}

/**
 * The one reason an unmatched offer is counted under in `rejectSummaryLastOffers`: the earliest of
 * `reasons` in the funnel (Marathon's `reasonFunnel`), undefined for none.
 */
export function funnelReason(reasons: Iterable<NoOfferMatchReason>): NoOfferMatchReason | undefined {
  return inFunnelOrder(reasons)[0];
}
