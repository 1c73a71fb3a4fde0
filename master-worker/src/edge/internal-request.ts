/** The messages the Worker forwards to the `ClusterMaster` object (a POST to one of its internal paths). */
import type { Rejection } from "../model/rejection.ts";

/** What the Worker sends the object: a validated message plus who sent it. */
export interface InternalRequest {
  origin: string;
  principal?: string;
  streamId?: string | null;
  body: unknown;
}

/**
 * The body of `/scheduler/rejected-accept`: an ACCEPT the Worker could not parse, reduced to
 * what lets the core release its offers (the framework and the offer ids it could read), and
 * the refusal to answer it with.
 */
export interface RejectedAccept {
  frameworkId: string;
  offerIds: string[];
  rejection: Rejection;
}
