/**
 * An expected refusal of a call, as a value (design rule 5): which kind of refusal, the path of
 * the field it concerns, and a message for the client. Deciders, the core and the operator
 * handlers return one instead of effects or an answer; they never throw for a refusal. Only the
 * edge turns a kind into an HTTP status (`rejectionResponse` in edge/http-error.ts).
 */

/** The kinds of refusal; the edge maps each to one HTTP status. */
export type RejectionKind =
  /** The call is malformed, names something unknown, or is not allowed in this state. */
  | "invalid"
  /** The caller did not show who it is (an agent's missing or wrong token). */
  | "unauthenticated"
  /** The caller is known but may not do this (ACLs, ownership, a machine DOWN for maintenance). */
  | "forbidden"
  /** The call names something this master does not know and cannot take as new. */
  | "not_found"
  /** The caller was removed for good (an agent marked gone) and must not come back as it is. */
  | "gone"
  /** Too much is in flight for this caller right now: try again shortly. */
  | "busy"
  /** What the call needs (an agent's connection) is not there now. */
  | "unavailable"
  /** What the call waited for did not answer in time. */
  | "timeout"
  /** The call cannot apply to the state it finds (a backup restored into a master that has state). */
  | "conflict"
  /** This runtime lacks what the call needs (Durable Object bookmarks on a local workerd). */
  | "not_implemented"
  /** An agent refused a request the master relayed to it (a sandbox file read): its own 4xx goes along (`status`). */
  | "relayed";

/** A refusal: `field` is the path of the offending field (`accept.operations[0].launch…`), when there is one. */
export interface Rejection {
  readonly rejected: RejectionKind;
  readonly field?: string;
  readonly message: string;
  /** `relayed` only: the HTTP status (a 4xx) the agent refused with, passed through to the caller. */
  readonly status?: number;
}

/** A refusal of `kind` about `field` (undefined: the call as a whole). */
export function reject(kind: RejectionKind, field: string | undefined, message: string): Rejection {
  return field === undefined ? { rejected: kind, message } : { rejected: kind, field, message };
}

/** An agent's refusal (`status`, a 4xx, and its `message`) of a request relayed to it, about `field`. */
export function relayedRefusal(status: number, field: string | undefined, message: string): Rejection {
  return { ...reject("relayed", field, message), status };
}

/** Whether a decider's or handler's result is a refusal rather than its answer. */
export function isRejection(x: unknown): x is Rejection {
  return typeof x === "object" && x !== null && typeof (x as { rejected?: unknown }).rejected === "string";
}

/** The message a client reads: `field: message`, as Mesos words its validation errors. */
export function rejectionText(r: Rejection): string {
  return r.field === undefined ? r.message : `${r.field}: ${r.message}`;
}
