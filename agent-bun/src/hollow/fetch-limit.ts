/** Lifting Bun's cap on `fetch` requests in flight for a fleet of hollow agents' long polls. */
import type { Logger } from "../system/log.ts";
import { reexecWith } from "../system/reexec.ts";
import { HOLLOW_STATUS_CONCURRENCY } from "./counting-master-client.ts";

/** Bun's environment variable for how many `fetch` requests may be in flight at once. */
export const BUN_FETCH_LIMIT_ENV = "BUN_CONFIG_MAX_HTTP_REQUESTS";
/** Bun's default for it: requests beyond it wait in a queue. */
export const BUN_FETCH_LIMIT_DEFAULT = 256;

/** Requests in flight `count` hollow agents may need: a poll (or registration) each, the status calls, slack. */
export const fetchLimitFor = (count: number): number => Math.min(65_535, count + Math.min(count, HOLLOW_STATUS_CONCURRENCY) + 64);

/**
 * Bun sends at most 256 `fetch` requests at once (process-wide; the rest queue), a limit read
 * from `BUN_CONFIG_MAX_HTTP_REQUESTS` when the process starts (setting it in `process.env`
 * later has no effect). Thousands of long polls need more, so when it is not set and more are
 * needed this replaces the process (`execve`, same pid) with itself, the variable set, and does
 * not return. A value set by the user is kept (with a warning when it is too small). No-op under
 * Node, whose fetch has no such cap.
 */
export function ensureFetchLimit(count: number, log: Logger, env: NodeJS.ProcessEnv = process.env): void {
  if (!process.versions.bun) return;
  const need = fetchLimitFor(count);
  const given = env[BUN_FETCH_LIMIT_ENV];
  if (given !== undefined && given !== "") {
    if (!(Number(given) >= count)) {
      log.warn(`${BUN_FETCH_LIMIT_ENV}=${given} is below the number of hollow agents: their long polls will queue (wanted ${need})`);
    }
    return;
  }
  if (need <= BUN_FETCH_LIMIT_DEFAULT) return;
  log.debug(`re-executing with ${BUN_FETCH_LIMIT_ENV}=${need}`);
  if (!reexecWith({ [BUN_FETCH_LIMIT_ENV]: String(need) }, env)) {
    log.warn(
      `this Bun cannot re-execute itself: set ${BUN_FETCH_LIMIT_ENV}=${need}, or at most ${BUN_FETCH_LIMIT_DEFAULT} requests are sent at once and polls queue`,
    );
  }
}
