import { describe, expect, it } from "vitest";
import { statusUpdateEvent, streamEvent } from "../../frameworks/services/event-json.ts";
import { EventHub, sseFrame } from "../../frameworks/services/event-stream.ts";
import { instance } from "../support/services-fixtures.ts";

const running = statusUpdateEvent(instance("t1", "/web", { host: "h1", ports: [31000] }), { task_id: { value: "t1" }, state: "TASK_RUNNING" } as never, 5_000);

/** Everything a stream delivers until it ends (or until `frames` frames were read). */
async function read(res: Response, frames = Number.POSITIVE_INFINITY): Promise<string> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  while (text.split("\n\n").length - 1 < frames) {
    const { done, value } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  return text;
}

describe("Marathon events as SSE", () => {
  it("a frame is one event: line and one one-line data: line; the event has Marathon's fields", () => {
    const frame = sseFrame(running);
    expect(frame.split("\n")).toHaveLength(4);
    expect(frame.startsWith("event: status_update_event\ndata: {")).toBe(true);
    expect(JSON.parse(frame.split("\n")[1]!.slice(6))).toEqual({
      slaveId: "a1",
      taskId: "t1",
      taskStatus: "TASK_RUNNING",
      message: "",
      appId: "/web",
      host: "h1",
      ipAddresses: [],
      ports: [31000],
      version: "1970-01-01T00:00:01.000Z",
      eventType: "status_update_event",
      timestamp: "1970-01-01T00:00:05.000Z",
    });
  });

  it("answers 200 text/event-stream at once and keeps only the event_type asked for", async () => {
    const hub = new EventHub(() => undefined);
    const res = hub.attach(["status_update_event"], "1.2.3.4");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    hub.publish(streamEvent("attached", "1.2.3.4", 1));
    hub.publish(running);
    const text = await read(res, 2);
    expect(text).toBe(`: attached\n\n${sseFrame(running)}`);
  });

  it("a slow client is closed with a final note after its bounded queue, and the detach is reported", async () => {
    const detached: string[] = [];
    const hub = new EventHub((who) => detached.push(who), 3);
    const res = hub.attach([], "slow");
    for (let n = 0; n < 5; n++) hub.publish(running);
    expect(hub.size).toBe(0);
    expect(detached).toEqual(["slow"]);
    const text = await read(res);
    expect(text.match(/event: status_update_event/g)).toHaveLength(2);
    expect(text.endsWith(": closed: more than 3 events unread (a slow client); reconnect to go on\n\n")).toBe(true);
  });
});
