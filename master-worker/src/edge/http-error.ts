/**
 * The one error type for faults a client caused or must see, and the one place a refusal's kind
 * becomes an HTTP status. Thrown faults become a response in `errorResponse`, returned
 * refusals (model/rejection.ts) in `rejectionResponse`, each with a clear message and, where
 * known, the field path.
 */
import { ValidationError } from "../../../schemas/parse.ts";
import { type Rejection, type RejectionKind, reject, rejectionText } from "../model/rejection.ts";

/** A fault to report to the client with this HTTP status (and headers). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** Shorthands for the statuses the APIs use. */
export const badRequest = (m: string) => new HttpError(400, m);
export const forbidden = (m: string) => new HttpError(403, m);
export const notFound = (m: string) => new HttpError(404, m);

/** A message that failed its schema, as the refusal the client reads (`Failed to validate call: …`). */
export function validationRejection(err: ValidationError): Rejection {
  return reject("invalid", undefined, `Failed to validate call: ${err.message}`);
}

/** Maps any thrown value to a response; unexpected errors become a 500 without internals. */
export function errorResponse(err: unknown): Response {
  if (err instanceof HttpError) return text(err.status, err.message, err.headers);
  if (err instanceof ValidationError) return rejectionResponse(validationRejection(err));
  console.error("internal error:", err instanceof Error ? (err.stack ?? err.message) : String(err));
  return text(500, "Internal error in the master; it has been logged");
}

function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
}

/** The HTTP status of each kind of refusal: the one place a rejection's kind becomes a status. */
const REJECTION_STATUS: Record<RejectionKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  gone: 410,
  busy: 503,
  unavailable: 503,
  timeout: 504,
  conflict: 409,
  not_implemented: 501,
  // An agent's own 4xx goes through as it is (`refusalStatus`); 400 only if none came with it.
  relayed: 400,
};

/** The HTTP status a kind of refusal is answered with. */
export const rejectionStatus = (kind: RejectionKind): number => REJECTION_STATUS[kind];

/** The HTTP status of refusal `r`: its kind's, or for a `relayed` one the agent's own 4xx. */
export function refusalStatus(r: Rejection): number {
  return r.rejected === "relayed" && r.status !== undefined && r.status >= 400 && r.status <= 499 ? r.status : rejectionStatus(r.rejected);
}

/** Extra headers a kind of refusal carries (`busy`: when to try again). */
const REJECTION_HEADERS: Partial<Record<RejectionKind, Record<string, string>>> = { busy: { "retry-after": "1" } };

/** The headers a kind of refusal is answered with, besides the content type. */
export const rejectionHeaders = (kind: RejectionKind): Record<string, string> => REJECTION_HEADERS[kind] ?? {};

/** The response to a refusal: its kind's status, `field: message` as plain text. */
export function rejectionResponse(r: Rejection): Response {
  return text(refusalStatus(r), rejectionText(r), rejectionHeaders(r.rejected));
}
