/**
 * edge/read-body.ts, the one place a POST body becomes JSON: the size limit (Content-Length
 * honoured before any byte is read; a streamed body read only until it passes the limit), the
 * depth limit (brackets in strings not counted) and the `STRATA_MAX_BODY_BYTES` setting.
 */
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, nestedDeeperThan, readJsonBody } from "../../../master-worker/src/edge/read-body.ts";
import { DEFAULT_MAX_BODY_BYTES, readConfig } from "../../../master-worker/src/model/config.ts";

/** A body of `total` bytes of JSON string content, counting what the reader pulled. */
function countingBody(total: number) {
  const chunk = new TextEncoder().encode("a".repeat(64 * 1024));
  const counter = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode('"'));
    },
    pull(c) {
      if (counter.pulled >= total) {
        c.enqueue(new TextEncoder().encode('"'));
        return c.close();
      }
      counter.pulled += chunk.byteLength;
      c.enqueue(chunk);
    },
  });
  return { stream, counter };
}

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://master.test/api/v1", {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
    duplex: "half",
  } as RequestInit);

describe("readJsonBody", () => {
  it("parses a body within the limits", async () => {
    expect(await readJsonBody(post('{"type":"GET_HEALTH","a":[1,{"b":null}]}'), 1024)).toEqual({ type: "GET_HEALTH", a: [1, { b: null }] });
  });

  it("refuses a Content-Length past the limit with 413 before reading a byte", async () => {
    const { stream, counter } = countingBody(200 * 1024 * 1024);
    const err = await readJsonBody(post(stream, { "content-length": String(200 * 1024 * 1024) }), 1024 * 1024).catch((e) => e);
    expect(err).toMatchObject({ status: 413, message: "body: larger than the limit of 1048576 bytes (STRATA_MAX_BODY_BYTES)" });
    expect(counter.pulled).toBeLessThanOrEqual(64 * 1024);
  });

  it("stops reading a streamed body once it passes the limit", async () => {
    const { stream, counter } = countingBody(120 * 1024 * 1024);
    const err = await readJsonBody(post(stream), 1024 * 1024).catch((e) => e);
    expect(err).toMatchObject({ status: 413, message: "body: larger than the limit of 1048576 bytes (STRATA_MAX_BODY_BYTES)" });
    expect(counter.pulled).toBeLessThan(2 * 1024 * 1024);
  });

  it("takes a body of exactly the limit", async () => {
    const body = `"${"a".repeat(1022)}"`;
    expect(await readJsonBody(post(body), 1024)).toBe("a".repeat(1022));
    await expect(readJsonBody(post(`${body} `), 1024)).rejects.toMatchObject({ status: 413 });
  });

  it("refuses nesting past the depth limit with 400 naming it, and text that is not JSON with 400", async () => {
    const deep = `${"[".repeat(MAX_JSON_DEPTH + 1)}${"]".repeat(MAX_JSON_DEPTH + 1)}`;
    await expect(readJsonBody(post(deep), 1024)).rejects.toMatchObject({ status: 400, message: "body: nested deeper than 100 levels" });
    await expect(readJsonBody(post("{not json"), 1024)).rejects.toMatchObject({ status: 400, message: "body: not valid JSON" });
    await expect(readJsonBody(post("{}", { "content-type": "text/plain" }), 1024)).rejects.toMatchObject({ status: 415 });
  });

  it("multi-byte characters split across chunks decode whole", async () => {
    const bytes = new TextEncoder().encode('{"name":"é✓😀"}');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const b of bytes) c.enqueue(Uint8Array.of(b));
        c.close();
      },
    });
    expect(await readJsonBody(post(stream), 1024)).toEqual({ name: "é✓😀" });
  });
});

describe("nestedDeeperThan", () => {
  it("counts arrays and objects, not brackets in strings or after escaped quotes", () => {
    expect(nestedDeeperThan('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(nestedDeeperThan('{"a":[{"b":[]}]}', 3)).toBe(true);
    expect(nestedDeeperThan(JSON.stringify({ a: `\\"[[[[{{{{` }), 1)).toBe(false);
    expect(nestedDeeperThan(JSON.stringify(["\\", [[]]]), 2)).toBe(true);
  });
});

describe("STRATA_MAX_BODY_BYTES", () => {
  it("defaults to 8 MiB, takes a whole number of bytes of at least 1024 and names itself when bad", () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBe(8 * 1024 * 1024);
    expect(readConfig({}).maxBodyBytes).toBe(8 * 1024 * 1024);
    expect(readConfig({ STRATA_MAX_BODY_BYTES: "65536" }).maxBodyBytes).toBe(65536);
    expect(() => readConfig({ STRATA_MAX_BODY_BYTES: "12" })).toThrow(/STRATA_MAX_BODY_BYTES/);
    expect(() => readConfig({ STRATA_MAX_BODY_BYTES: "lots" })).toThrow(/STRATA_MAX_BODY_BYTES/);
  });
});
