/**
 * Where an instance runs or could run, as constraints see it: the agent's hostname, attributes
 * and fault domain (region, zone). Marathon's `Placed` (mesosphere/marathon
 * src/main/scala/mesosphere/mesos/Constraints.scala) and its readers of an offer.
 */
import type { Attribute, Offer } from "../../schemas/mesos.ts";

/** Mesos `DomainInfo`: the agent's fault domain (`--domain`), as an offer carries it (`offer.domain`). */
export interface DomainInfo {
  /** Region and zone names; absent on agents started without a domain. */
  fault_domain?: { region?: { name?: string }; zone?: { name?: string } };
}

/** An offer as the matcher reads it: the Mesos v1 Offer, plus its `domain` when the master sends one. */
export type MatchableOffer = Offer & { domain?: DomainInfo };

/** An agent as constraints see it: an offer's agent, or the agent an instance was placed on. */
export interface Placement {
  /** The agent's hostname (`@hostname`). */
  hostname: string;
  /** The agent's attributes (`--attributes`). */
  attributes: readonly Attribute[];
  /** The fault domain's region (`@region`), when the agent has a domain. */
  region?: string;
  /** The fault domain's zone (`@zone`), when the agent has a domain. */
  zone?: string;
}

/** The placement an offer would give an instance: its agent's hostname, attributes and domain. */
export function placementOfOffer(offer: MatchableOffer): Placement {
  const fd = offer.domain?.fault_domain;
  return {
    hostname: offer.hostname,
    attributes: offer.attributes ?? [],
    ...(fd?.region?.name !== undefined ? { region: fd.region.name } : {}),
    ...(fd?.zone?.name !== undefined ? { zone: fd.zone.name } : {}),
  };
}
