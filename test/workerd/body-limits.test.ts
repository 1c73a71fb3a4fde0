/**
 * Every POST body is read with a size limit and parsed with a depth limit, in one place at the
 * edge (edge/read-body.ts): a body past either is refused with a 4xx naming the limit, never a
 * 500 (issue 11: a body nested ~2,100 levels overflowed the stack on every POST route).
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const BASE = "http://master.test";
const alice = `Basic ${btoa("alice:alice-secret")}`;
const json = { "content-type": "application/json" };
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

/** Each POST route with the headers that get it past authentication. */
const ROUTES: Array<[string, Record<string, string>]> = [
  ["/api/v1/scheduler", { ...json, authorization: alice }],
  ["/api/v1", { ...json, authorization: alice }],
  ["/agent/v1/register", { ...json, authorization: "Bearer test-join-token" }],
  ["/agent/v1/poll", { ...json, authorization: "Bearer test-join-token" }],
  ["/agent/v1/status", { ...json, authorization: "Bearer test-join-token" }],
  ["/agent/v1/files", { ...json, authorization: "Bearer test-join-token" }],
];

describe("POST bodies: depth and size limits", () => {
  it.each(ROUTES)("%s answers a body nested 3,000 levels with 400 naming the depth limit", async (path, headers) => {
    const res = await SELF.fetch(`${BASE}${path}`, { method: "POST", headers, body: `{"type":"GET_HEALTH","x":${nested(3000)}}` });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe("body: nested deeper than 100 levels\n");
  });

  it("takes a body nested exactly 100 levels (Mesos' JSON depth limit) and refuses 101", async () => {
    const post = (depth: number) =>
      SELF.fetch(`${BASE}/api/v1`, { method: "POST", headers: { ...json, authorization: alice }, body: `{"type":"GET_HEALTH","x":${nested(depth - 1)}}` });
    const ok = await post(100);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ type: "GET_HEALTH", get_health: { healthy: true } });
    const refused = await post(101);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toBe("body: nested deeper than 100 levels\n");
  });

  it("brackets inside strings do not count as nesting", async () => {
    const res = await SELF.fetch(`${BASE}/api/v1`, {
      method: "POST",
      headers: { ...json, authorization: alice },
      body: JSON.stringify({ type: "GET_HEALTH", x: `\\"${"[{".repeat(500)}` }),
    });
    expect(res.status).toBe(200);
    await res.body?.cancel();
  });

  it.each(ROUTES)("%s answers a body past 8 MiB with 413 naming the limit", async (path, headers) => {
    const body = `{"type":"GET_HEALTH","x":"${"a".repeat(8 * 1024 * 1024)}"}`;
    const res = await SELF.fetch(`${BASE}${path}`, { method: "POST", headers, body });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe("body: larger than the limit of 8388608 bytes (STRATA_MAX_BODY_BYTES)\n");
  });

  it("stops reading a streamed body (no Content-Length) once it passes the limit", async () => {
    const chunk = new TextEncoder().encode("a".repeat(1024 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"type":"GET_HEALTH","x":"'));
      },
      pull(c) {
        // 120 MB if read whole.
        if (sent >= 120 * 1024 * 1024) return c.close();
        sent += chunk.byteLength;
        c.enqueue(chunk);
      },
    });
    const res = await SELF.fetch(`${BASE}/api/v1`, { method: "POST", headers: { ...json, authorization: alice }, body });
    expect(res.status).toBe(413);
    expect(await res.text()).toContain("8388608 bytes");
    expect(sent).toBeLessThan(32 * 1024 * 1024);
  });
});
