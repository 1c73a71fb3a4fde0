/**
 * Runs the readiness requests readiness.ts decided on: one `GET` each, cut at the check's
 * timeout, redirects not followed (a 3xx is a status like any other, as in Marathon's executor).
 * The body is read only when the check preserves the last response; any failure to connect or
 * answer in time is a result that is not ready. The only side effect of readiness checks.
 */
import type { ReadinessCheckResult } from "../../schemas/marathon/readiness-result.ts";
import { type ReadinessAnswer, type ReadinessProbe, readinessResult } from "./readiness.ts";

/** How a request is made (the runtime's `fetch`, or a test's). */
export type ProbeFetch = (url: string, init: RequestInit) => Promise<Response>;

/** The result of asking `probe` now. */
export async function runReadinessProbe(probe: ReadinessProbe, fetchFn: ProbeFetch = (url, init) => fetch(url, init)): Promise<ReadinessCheckResult> {
  let answer: ReadinessAnswer;
  try {
    const r = await fetchFn(probe.url, { method: "GET", redirect: "manual", signal: AbortSignal.timeout(probe.timeoutMs) });
    const body = probe.preserveLastResponse ? await r.text() : "";
    if (!probe.preserveLastResponse) await r.body?.cancel();
    answer = { status: r.status, contentType: r.headers.get("content-type") ?? "", body };
  } catch {
    answer = undefined;
  }
  return readinessResult(probe, answer);
}
