/**
 * The one error type the scheduler client throws and reports, with a `code` saying what
 * went wrong and whether retrying can help.
 */

/**
 * - `http`: the master answered a call with a non-2xx status (`status` set);
 * - `master`: the master sent an ERROR event (e.g. the framework was removed or failed over);
 * - `stopped`: the client was stopped (or failed) before the call could be sent;
 * - `not-subscribed`: the client stayed disconnected longer than `callTimeoutMs`;
 * - `network`: the request failed or timed out before a response arrived.
 */
export type SchedulerErrorCode = "http" | "master" | "stopped" | "not-subscribed" | "network";

/** HTTP statuses after which re-subscribing is pointless: fix the request or the credentials. */
export const FATAL_SUBSCRIBE_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 415]);

/** Anything the scheduler client rejects with or reports through its `"error"` event. */
export class SchedulerError extends Error {
  constructor(
    message: string,
    readonly code: SchedulerErrorCode,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SchedulerError";
  }

  /** Builds the error for a non-2xx response, using the body's text or JSON `message`. */
  static async fromResponse(what: string, response: Response): Promise<SchedulerError> {
    let detail = "";
    try {
      const text = (await response.text()).trim();
      detail = text;
      if (text.startsWith("{")) {
        const json = JSON.parse(text) as { message?: unknown; error?: unknown };
        const m = json.message ?? json.error;
        if (typeof m === "string") detail = m;
      }
    } catch {
      // an unreadable body leaves only the status line
    }
    const statusText = response.statusText ? ` ${response.statusText}` : "";
    const suffix = detail ? `: ${detail.slice(0, 500)}` : "";
    return new SchedulerError(`${what} failed: ${response.status}${statusText}${suffix}`, "http", response.status);
  }
}

/** One line describing any thrown value, with the cause's message when it adds something. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message !== error.message ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
