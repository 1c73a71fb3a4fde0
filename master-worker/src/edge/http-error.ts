/**
 * The one error type for faults a client caused or must see. Turned into an HTTP response in
 * exactly one place (`errorResponse`), with a clear message and, where known, the field path.
 */
import { ValidationError } from "../../../schemas/parse.ts";
import { type Rejection, type RejectionKind, rejectionText } from "../model/rejection.ts";

/** A fault to report to the client with this HTTP status (and headers). */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
  }
}

/** Shorthands for the statuses the APIs use. */
export const badRequest = (m: string) => new HttpError(400, m);
export const forbidden = (m: string) => new HttpError(403, m);
export const notFound = (m: string) => new HttpError(404, m);

/** Maps any thrown value to a response; unexpected errors become a 500 without internals. */
export function errorResponse(err: unknown): Response {
  if (err instanceof HttpError) return text(err.status, err.message, err.headers);
  if (err instanceof ValidationError) return text(400, `Failed to validate call: ${err.message}`);
  console.error("internal error:", err instanceof Error ? err.stack ?? err.message : String(err));
  return text(500, "Internal error in the master; it has been logged");
}

function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(message + "\n", { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
}

/** The HTTP status of each kind of refusal: the one place a rejection's kind becomes a status. */
const REJECTION_STATUS: Record<RejectionKind, number> = {
  invalid: 400, unauthenticated: 401, forbidden: 403, not_found: 404, gone: 410, busy: 503, unavailable: 503, timeout: 504,
};

/** Extra headers a kind of refusal carries (`busy`: when to try again). */
const REJECTION_HEADERS: Partial<Record<RejectionKind, Record<string, string>>> = { busy: { "retry-after": "1" } };

/** The response to a refusal: its kind's status, `field: message` as plain text. */
export function rejectionResponse(r: Rejection): Response {
  return text(REJECTION_STATUS[r.rejected], rejectionText(r), REJECTION_HEADERS[r.rejected]);
}
