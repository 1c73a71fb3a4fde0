/**
 * Refusals in tests as the edge answers them: the core, the deciders and the operator handlers
 * return a `Rejection`; here it becomes an `HttpError` with the status, headers and text the
 * client would get (edge/http-error.ts), so tests keep asserting the status and the message.
 */
import { HttpError, refusalStatus, rejectionHeaders } from "../../master-worker/src/edge/http-error.ts";
import { isRejection, type Rejection, rejectionText } from "../../master-worker/src/model/rejection.ts";

/** The error a refusal is answered as: its status and headers, and `field: message`. */
export function refusedError(r: Rejection): HttpError {
  return new HttpError(refusalStatus(r), rejectionText(r), rejectionHeaders(r.rejected));
}

/** `result`, unless it is a refusal: that is thrown as the error the edge would answer with. */
export function orThrow<T>(result: T | Rejection): T {
  if (isRejection(result)) throw refusedError(result);
  return result;
}

/** `orThrow` for an asynchronous answer (the file calls): a refusal rejects the promise. */
export async function orReject<T>(result: Promise<T | Rejection>): Promise<T> {
  return orThrow(await result);
}

/** Runs `fn`: what it throws, or the refusal it returns as the edge's error (undefined when neither). */
export function caughtOrRefused(fn: () => unknown): unknown {
  try {
    const result = fn();
    return isRejection(result) ? refusedError(result) : undefined;
  } catch (e) {
    return e;
  }
}
