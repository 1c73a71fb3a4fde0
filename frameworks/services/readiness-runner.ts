/**
 * Runs the readiness requests readiness.ts decided on: one `GET` each, cut at the check's
 * timeout, redirects not followed (a 3xx is a status like any other, as in Marathon's executor).
 * The body is read only when the check preserves the last response, and only its first
 * `PRESERVED_BODY_BYTES` (it is stored with the instance); any failure to connect or answer in
 * time is a result that is not ready. The only side effect of readiness checks.
 */
import type { ReadinessCheckResult } from "../../schemas/marathon/readiness-result.ts";
import { type ReadinessAnswer, type ReadinessProbe, readinessResult } from "./readiness.ts";

/** How a request is made (the runtime's `fetch`, or a test's). */
export type ProbeFetch = (url: string, init: RequestInit) => Promise<Response>;

/** How much of a preserved response body is kept (as much as a task's output tail). */
export const PRESERVED_BODY_BYTES = 4096;

/** The first `PRESERVED_BODY_BYTES` of `r`'s body as text; the rest is not read. */
async function bodyHead(r: Response): Promise<string> {
  if (!r.body) return "";
  const reader = r.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < PRESERVED_BODY_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all.subarray(0, PRESERVED_BODY_BYTES));
}

/** The result of asking `probe` now. */
export async function runReadinessProbe(probe: ReadinessProbe, fetchFn: ProbeFetch = (url, init) => fetch(url, init)): Promise<ReadinessCheckResult> {
  let answer: ReadinessAnswer;
  try {
    const r = await fetchFn(probe.url, { method: "GET", redirect: "manual", signal: AbortSignal.timeout(probe.timeoutMs) });
    const body = probe.preserveLastResponse ? await bodyHead(r) : "";
    if (!probe.preserveLastResponse) await r.body?.cancel();
    answer = { status: r.status, contentType: r.headers.get("content-type") ?? "", body };
  } catch {
    answer = undefined;
  }
  return readinessResult(probe, answer);
}
