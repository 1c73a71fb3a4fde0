/**
 * EventStreams: a framework's stream is broken the moment its request's signal aborts (the
 * client went away), and still when its reader takes nothing for three heartbeat intervals.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { EventStreams } from "../../../master-worker/src/shell/event-streams.ts";
import { RecordIODecoder } from "../../../sdk/src/recordio.ts";

const HEARTBEAT = { type: "HEARTBEAT" } as const;

afterEach(() => vi.useRealTimers());

function streams() {
  const broken: Array<[string, string]> = [];
  const s = new EventStreams({ heartbeatIntervalMs: 1_000, broken: (fid, sid) => broken.push([fid, sid]) });
  return { s, broken };
}

/** Reads records from `body` as they come. */
function reader(body: ReadableStream<Uint8Array>) {
  const r = body.getReader();
  const decoder = new RecordIODecoder();
  const records: string[] = [];
  return {
    async next(): Promise<unknown> {
      while (records.length === 0) {
        const { value, done } = await r.read();
        if (done) throw new Error("the stream ended");
        records.push(...decoder.feed(value));
      }
      return JSON.parse(records.shift()!);
    },
    read: () => r.read(),
  };
}

describe("EventStreams", () => {
  it("the request's signal aborting breaks the stream at once, once, and ends it", async () => {
    const { s, broken } = streams();
    const client = new AbortController();
    const r = reader(s.open("fw", "s1", [HEARTBEAT], Date.now(), client.signal));
    expect(await r.next()).toEqual(HEARTBEAT);
    expect(broken).toEqual([]);
    client.abort();
    expect(broken).toEqual([["fw", "s1"]]);
    await expect(r.read()).rejects.toBeDefined();
    s.write("fw", HEARTBEAT); // nothing to write to any more
    await new Promise((r) => setTimeout(r, 0));
    expect(broken).toEqual([["fw", "s1"]]);
  });

  it("a signal that aborted before the stream opened breaks it right after", async () => {
    const { s, broken } = streams();
    const client = new AbortController();
    client.abort();
    s.open("fw", "s1", [], Date.now(), client.signal);
    await Promise.resolve();
    expect(broken).toEqual([["fw", "s1"]]);
  });

  it("the signal of a replaced stream aborting breaks nothing: the new stream stays open", async () => {
    const { s, broken } = streams();
    const first = new AbortController();
    s.open("fw", "s1", [], Date.now(), first.signal);
    const r = reader(s.open("fw", "s2", [], Date.now(), new AbortController().signal));
    first.abort();
    s.write("fw", HEARTBEAT);
    expect(await r.next()).toEqual(HEARTBEAT);
    expect(broken.filter(([, sid]) => sid === "s2")).toEqual([]);
  });

  it("a stream the master closed is not broken by its signal aborting afterwards", async () => {
    const { s, broken } = streams();
    const client = new AbortController();
    s.open("fw", "s1", [], Date.now(), client.signal);
    s.close("fw");
    client.abort();
    expect(broken).toEqual([]);
  });

  it("still breaks a stream whose reader took nothing for three heartbeat intervals", async () => {
    vi.useFakeTimers();
    const { s, broken } = streams();
    s.open("fw", "s1", [HEARTBEAT], Date.now(), new AbortController().signal); // never read
    vi.advanceTimersByTime(3_000);
    s.write("fw", HEARTBEAT);
    expect(broken).toEqual([]);
    vi.advanceTimersByTime(1);
    s.write("fw", HEARTBEAT);
    expect(broken).toEqual([["fw", "s1"]]);
  });

  it("a stream broken because its reader stopped reading is ended at once, its queued events let go", async () => {
    const { s } = streams();
    let now = Date.now();
    vi.spyOn(Date, "now").mockImplementation(() => now);
    const r = s.open("fw", "s1", [HEARTBEAT], now, new AbortController().signal).getReader();
    await r.read(); // the first event is taken, then the reader stops reading
    s.write("fw", HEARTBEAT);
    s.write("fw", HEARTBEAT);
    await new Promise((resolve) => setTimeout(resolve, 0));
    now += 3_001;
    s.write("fw", HEARTBEAT);
    const ended = await Promise.race([
      r.closed.then(
        () => "closed",
        () => "errored",
      ),
      new Promise((resolve) => setTimeout(() => resolve("open"), 20)),
    ]);
    vi.restoreAllMocks();
    expect(ended).toBe("errored");
  });
});
