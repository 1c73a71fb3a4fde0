/**
 * A framework subscribing again (same framework id, a new connection) fails over to the new
 * stream, through the real Worker and Durable Object: as Mesos does (master.cpp
 * `failoverFramework`: an ERROR "Framework failed over" to the old scheduler, then its HTTP
 * connection closed), the old stream gets that ERROR and ends; the new one stays open and is
 * the only one calls are taken on.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SchedulerEvent } from "../../schemas/index.ts";
import { RecordIODecoder } from "../../sdk/src/recordio.ts";

const BASE = "http://master.test";
const headers = { "content-type": "application/json", authorization: `Basic ${btoa("alice:alice-secret")}` };
const frameworkInfo = { user: "root", name: "failover", principal: "alice", failover_timeout: 60 };

/** A scheduler connection: its stream id and a reader of its events. */
interface Connection {
  streamId: string;
  /** The next event, or `"ended"` when the stream ended, or `"open"` when none came within `ms`. */
  next(ms: number): Promise<SchedulerEvent | "ended" | "open">;
}

async function subscribe(frameworkId?: string): Promise<Connection> {
  const res = await SELF.fetch(`${BASE}/api/v1/scheduler`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      type: "SUBSCRIBE",
      subscribe: { framework_info: frameworkId ? { ...frameworkInfo, id: { value: frameworkId } } : frameworkInfo },
    }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new RecordIODecoder();
  const queued: SchedulerEvent[] = [];
  let reading: ReturnType<typeof reader.read> | undefined;
  const next = async (ms: number): Promise<SchedulerEvent | "ended" | "open"> => {
    const deadline = Date.now() + ms;
    while (queued.length === 0) {
      reading ??= reader.read();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"open">((resolve) => {
        timer = setTimeout(() => resolve("open"), Math.max(0, deadline - Date.now()));
      });
      const r = await Promise.race([reading, late]);
      clearTimeout(timer);
      if (r === "open") return "open";
      reading = undefined;
      if (r.done || r.value === undefined) return "ended";
      for (const record of decoder.feed(r.value)) queued.push(JSON.parse(record) as SchedulerEvent);
    }
    return queued.shift()!;
  };
  return { streamId: res.headers.get("mesos-stream-id")!, next };
}

const call = (frameworkId: string, streamId: string) =>
  SELF.fetch(`${BASE}/api/v1/scheduler`, {
    method: "POST",
    headers: { ...headers, "mesos-stream-id": streamId },
    body: JSON.stringify({ type: "REVIVE", framework_id: { value: frameworkId } }),
  });

describe("a framework subscribing again", () => {
  it("ends its old stream (ERROR 'Framework failed over', then closed) and keeps the new one", async () => {
    const old = await subscribe();
    const subscribed = await old.next(5_000);
    if (typeof subscribed === "string" || subscribed.type !== "SUBSCRIBED") throw new Error(`expected SUBSCRIBED, got ${JSON.stringify(subscribed)}`);
    const frameworkId = subscribed.subscribed.framework_id.value;

    const fresh = await subscribe(frameworkId);
    expect(fresh.streamId).not.toBe(old.streamId);
    expect(await fresh.next(5_000)).toMatchObject({ type: "SUBSCRIBED", subscribed: { framework_id: { value: frameworkId } } });

    // The old stream: whatever was still on its way, then the ERROR, then its end.
    const tail: Array<SchedulerEvent | "ended" | "open"> = [];
    for (let e = await old.next(5_000); ; e = await old.next(5_000)) {
      tail.push(e);
      if (e === "ended" || e === "open") break;
    }
    expect(tail.slice(-2)).toEqual([{ type: "ERROR", error: { message: "Framework failed over" } }, "ended"]);

    // Calls are taken on the new stream only; the new stream stays open.
    const stale = await call(frameworkId, old.streamId);
    expect(stale.status).toBe(400);
    expect(await stale.text()).toContain("Mesos-Stream-Id");
    const current = await call(frameworkId, fresh.streamId);
    expect(current.status).toBe(202);
    await current.body?.cancel();
    expect(await fresh.next(300)).not.toBe("ended");
  });
});
