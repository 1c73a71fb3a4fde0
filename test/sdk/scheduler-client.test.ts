import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Offer, TaskStatus } from "../../schemas/mesos.ts";
import { encodeRecord } from "../../sdk/src/recordio.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { SchedulerClient } from "../../sdk/src/scheduler-client.ts";
import { SchedulerError } from "../../sdk/src/scheduler-errors.ts";
import type { DisconnectInfo, SchedulerClientOptions } from "../../sdk/src/scheduler-types.ts";
import { commandTask } from "../../sdk/src/task-helpers.ts";
import { eventually, FakeMaster } from "./fake-master.ts";

const silent = {};
let master: FakeMaster;
let client: SchedulerClient | undefined;

const offer = (id: string, agent = "agent-1"): Offer => ({
  id: { value: id },
  framework_id: { value: "fw-1" },
  agent_id: { value: agent },
  hostname: `${agent}.example`,
  resources: [scalar("cpus", 1), scalar("mem", 128)],
  attributes: [],
  executor_ids: [],
});
const update = (task: string, state: TaskStatus["state"], uuid?: string) => ({
  type: "UPDATE",
  update: { status: { task_id: { value: task }, state, agent_id: { value: "agent-1" }, ...(uuid ? { uuid } : {}) } },
});

function makeClient(extra: Partial<SchedulerClientOptions> = {}): SchedulerClient {
  client = new SchedulerClient({
    master: master.url,
    frameworkInfo: { user: "tester", name: "sdk-test" },
    backoff: { initialMs: 10, maxMs: 40 },
    logger: silent,
    ...extra,
  });
  return client;
}

beforeEach(async () => {
  master = await new FakeMaster().start();
});
afterEach(async () => {
  await client?.stop();
  client = undefined;
  await master.close();
});

describe("SchedulerClient: subscription and events", () => {
  it("subscribes with credentials and dispatches typed events in order", async () => {
    const c = makeClient({ credentials: { principal: "fw", secret: "pw" } });
    const seen: string[] = [];
    c.on("subscribed", (s, info) => void seen.push(`subscribed ${s.framework_id.value} ${info.streamId} ${info.resubscribed}`));
    c.on("offers", (offers) => void seen.push(`offers ${offers.map((o) => `${o.id.value}@${o.hostname}`).join(",")}`));
    c.on("rescind", (id) => void seen.push(`rescind ${id.value}`));
    c.on("heartbeat", () => void seen.push("heartbeat"));
    c.on("failure", (f) => void seen.push(`failure ${f.agent_id?.value}`));
    c.on("update", (s) => void seen.push(`update ${s.task_id.value} ${s.state}`));
    c.on("inverseOffers", (ios) => void seen.push(`inverse ${ios.map((io) => `${io.id.value}@${io.agent_id?.value}`).join(",")}`));
    c.on("rescindInverseOffer", (id) => void seen.push(`rescind-inverse ${id.value}`));

    const subscribed = await c.start();
    expect(subscribed.framework_id).toEqual({ value: "fw-1" });
    expect(subscribed.heartbeat_interval_seconds).toBe(15);
    expect(c.frameworkId).toEqual({ value: "fw-1" });
    expect(c.streamId).toBe("stream-1");

    const sub = master.subscribes[0]!;
    expect(sub.body).toEqual({ type: "SUBSCRIBE", subscribe: { framework_info: { user: "tester", name: "sdk-test" } } });
    expect(sub.headers.authorization).toBe(`Basic ${Buffer.from("fw:pw").toString("base64")}`);
    expect(sub.headers["content-type"]).toBe("application/json");
    expect(sub.headers.accept).toBe("application/json");
    expect(sub.headers["accept-encoding"]).toBe("identity"); // a gzipped stream would be buffered

    master.send({ type: "OFFERS", offers: { offers: [offer("o1"), offer("o2", "agent-2")] } });
    master.send({ type: "SOMETHING_NEW", something_new: {} }); // unknown: ignored
    master.send({ type: "OFFERS", offers: { offers: [{ id: "not an id" }] } }); // invalid: ignored
    master.send({ type: "RESCIND", rescind: { offer_id: { value: "o1" } } });
    master.send({ type: "HEARTBEAT" });
    master.send({ type: "FAILURE", failure: { agent_id: { value: "agent-9" } } });
    master.send(update("t1", "TASK_RUNNING"));
    master.send({
      type: "INVERSE_OFFERS",
      inverse_offers: {
        inverse_offers: [
          { id: { value: "io1" }, framework_id: { value: "fw-1" }, agent_id: { value: "agent-1" }, unavailability: { start: { nanoseconds: 1.7e18 } } },
        ],
      },
    });
    master.send({ type: "RESCIND_INVERSE_OFFER", rescind_inverse_offer: { inverse_offer_id: { value: "io1" } } });
    // one record split over two writes, with a multibyte character
    const rec = JSON.stringify({ type: "RESCIND", rescind: { offer_id: { value: "o-é" } } });
    const framed = `${Buffer.byteLength(rec)}\n${rec}`;
    master.write(framed.slice(0, 20));
    await new Promise((r) => setTimeout(r, 20));
    master.write(framed.slice(20));

    await eventually(() => seen.length >= 9);
    await new Promise((r) => setTimeout(r, 30)); // nothing else (the ignored events) shows up
    expect(seen).toEqual([
      "subscribed fw-1 stream-1 false",
      "offers o1@agent-1.example,o2@agent-2.example",
      "rescind o1",
      "heartbeat",
      "failure agent-9",
      "update t1 TASK_RUNNING",
      "inverse io1@agent-1",
      "rescind-inverse io1",
      "rescind o-é",
    ]);
  });

  it("sends calls with the stream id and framework id, in Mesos v1 shapes", async () => {
    const c = makeClient({ credentials: { token: "tok" } });
    await c.start();
    const task = commandTask({ taskId: "t1", agentId: "agent-1", resources: [scalar("cpus", 0.1)], shell: "true" });
    await c.launch(["o1"], [task], { refuse_seconds: 5 });
    await c.decline([{ value: "o2" }, "o3"], { refuse_seconds: 1 });
    await c.kill("t1", "agent-1");
    await c.reconcile([{ taskId: "t1", agentId: "agent-1" }]);
    await c.reconcile();
    await c.revive();
    await c.suppress(["*"]);
    await c.updateFramework({ user: "tester", name: "renamed", roles: ["a"], capabilities: [{ type: "MULTI_ROLE" }] }, ["a"]);
    await c.acceptInverseOffers(["io1"]);
    await c.declineInverseOffers([{ value: "io2" }], { refuse_seconds: 60 });

    for (const call of master.calls) {
      expect(call.headers["mesos-stream-id"]).toBe("stream-1");
      expect(call.headers.authorization).toBe("Bearer tok");
      expect(call.body.framework_id).toEqual({ value: "fw-1" });
    }
    expect(master.calls.map((c) => c.body)).toEqual([
      {
        type: "ACCEPT",
        framework_id: { value: "fw-1" },
        accept: { offer_ids: [{ value: "o1" }], operations: [{ type: "LAUNCH", launch: { task_infos: [task] } }], filters: { refuse_seconds: 5 } },
      },
      { type: "DECLINE", framework_id: { value: "fw-1" }, decline: { offer_ids: [{ value: "o2" }, { value: "o3" }], filters: { refuse_seconds: 1 } } },
      { type: "KILL", framework_id: { value: "fw-1" }, kill: { task_id: { value: "t1" }, agent_id: { value: "agent-1" } } },
      { type: "RECONCILE", framework_id: { value: "fw-1" }, reconcile: { tasks: [{ task_id: { value: "t1" }, agent_id: { value: "agent-1" } }] } },
      { type: "RECONCILE", framework_id: { value: "fw-1" }, reconcile: { tasks: [] } },
      { type: "REVIVE", framework_id: { value: "fw-1" } },
      { type: "SUPPRESS", framework_id: { value: "fw-1" }, suppress: { roles: ["*"] } },
      {
        type: "UPDATE_FRAMEWORK",
        framework_id: { value: "fw-1" },
        update_framework: {
          framework_info: { user: "tester", name: "renamed", roles: ["a"], capabilities: [{ type: "MULTI_ROLE" }], id: { value: "fw-1" } },
          suppressed_roles: ["a"],
        },
      },
      { type: "ACCEPT_INVERSE_OFFERS", framework_id: { value: "fw-1" }, accept_inverse_offers: { inverse_offer_ids: [{ value: "io1" }] } },
      {
        type: "DECLINE_INVERSE_OFFERS",
        framework_id: { value: "fw-1" },
        decline_inverse_offers: { inverse_offer_ids: [{ value: "io2" }], filters: { refuse_seconds: 60 } },
      },
    ]);
  });

  it("rejects a call the master refuses, with the status and the body's message", async () => {
    const c = makeClient();
    await c.start();
    master.onCall = () => ({ status: 400, body: JSON.stringify({ message: "accept.offer_ids[0]: unknown offer" }) });
    const err = await c.decline(["o9"]).catch((e) => e);
    expect(err).toBeInstanceOf(SchedulerError);
    expect(err.status).toBe(400);
    expect(err.code).toBe("http");
    expect(err.message).toMatch(/DECLINE failed: 400.*unknown offer/);
    // the subscription survives a refused call
    expect(c.subscribed).toBe(true);
  });

  it("rejects invalid calls locally, before sending", async () => {
    const c = makeClient();
    await c.start();
    await expect(c.decline([])).rejects.toThrow(/offer_ids/);
    expect(master.calls).toHaveLength(0);
  });
});

describe("SchedulerClient: acknowledgements", () => {
  it("acknowledges an update with a uuid only after the update handler resolved", async () => {
    const c = makeClient();
    let handlerDone = false;
    let acksWhenHandlerEnded = -1;
    c.on("update", async () => {
      await new Promise((r) => setTimeout(r, 50));
      acksWhenHandlerEnded = master.callsOf("ACKNOWLEDGE").length;
      handlerDone = true;
    });
    await c.start();
    master.send(update("t1", "TASK_FINISHED", "dXVpZC0x"));
    const ack = await eventually(() => master.callsOf("ACKNOWLEDGE")[0]);
    expect(handlerDone).toBe(true);
    expect(acksWhenHandlerEnded).toBe(0);
    expect(ack.headers["mesos-stream-id"]).toBe("stream-1");
    expect(ack.body).toEqual({
      type: "ACKNOWLEDGE",
      framework_id: { value: "fw-1" },
      acknowledge: { agent_id: { value: "agent-1" }, task_id: { value: "t1" }, uuid: "dXVpZC0x" },
    });
  });

  it("does not acknowledge updates without uuid, after a throwing handler, or when disabled", async () => {
    const c = makeClient();
    let updates = 0;
    c.on("update", (s) => {
      updates++;
      if (s.task_id.value === "bad") throw new Error("handler failed");
    });
    await c.start();
    master.send(update("no-uuid", "TASK_RUNNING"));
    master.send(update("bad", "TASK_FAILED", "dXVpZC0y"));
    master.send(update("good", "TASK_FINISHED", "dXVpZC0z"));
    await eventually(() => master.callsOf("ACKNOWLEDGE").length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(updates).toBe(3);
    expect(master.callsOf("ACKNOWLEDGE").map((a) => a.body.acknowledge.task_id.value)).toEqual(["good"]);

    await c.stop();
    const manual = makeClient({ autoAcknowledge: false });
    const got: string[] = [];
    manual.on("update", (s) => void got.push(s.task_id.value));
    await manual.start();
    master.send(update("t2", "TASK_FINISHED", "dXVpZC00"));
    await eventually(() => got.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(master.callsOf("ACKNOWLEDGE")).toHaveLength(1);
  });
});

describe("SchedulerClient: batched acknowledgements (Strata extension)", () => {
  it("with a master naming ACKNOWLEDGE_BATCH, acknowledges the first update alone and those arriving meanwhile in one batch", async () => {
    master.extensions = ["ACKNOWLEDGE_BATCH"];
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    // The first acknowledgement's answer is held until the later updates have been handled.
    master.onCall = async (req) => {
      if (master.calls.length === 1) await held;
      return req.body.type === "ACKNOWLEDGE_BATCH" ? { status: 202 } : { status: 400, body: "unexpected call" };
    };
    const c = makeClient();
    let handled = 0;
    c.on("update", () => void handled++);
    await c.start();
    master.send(update("t0", "TASK_RUNNING", "dXVpZC0w"));
    await eventually(() => master.calls.length === 1);
    for (let i = 1; i <= 5; i++) master.send(update(`t${i}`, "TASK_FINISHED", `dXVpZC0${i}`));
    await eventually(() => handled === 6);
    await new Promise((r) => setTimeout(r, 20));
    expect(master.calls).toHaveLength(1); // the others wait for the first answer
    release();
    await eventually(() => master.calls.length === 2);
    await c.drain();
    const uuids = master.calls.map((call) => call.body.acknowledge_batch.acknowledgements.map((a: { uuid: string }) => a.uuid));
    expect(uuids).toEqual([["dXVpZC0w"], [1, 2, 3, 4, 5].map((i) => `dXVpZC0${i}`)]);
    const batch = master.calls[1]!;
    expect(batch.headers["mesos-stream-id"]).toBe("stream-1");
    expect(batch.body.framework_id).toEqual({ value: "fw-1" });
    expect(batch.body.acknowledge_batch.acknowledgements[0]).toEqual({ agent_id: { value: "agent-1" }, task_id: { value: "t1" }, uuid: "dXVpZC01" });
  });

  it("sends plain ACKNOWLEDGEs to a master without the extension, or when batchAcknowledgements is false", async () => {
    const plain = makeClient();
    await plain.start();
    for (let i = 1; i <= 3; i++) master.send(update(`t${i}`, "TASK_FINISHED", `dXVpZC0${i}`));
    await eventually(() => master.callsOf("ACKNOWLEDGE").length === 3);
    await plain.stop();

    master.extensions = ["ACKNOWLEDGE_BATCH"];
    const off = makeClient({ batchAcknowledgements: false });
    await off.start();
    master.send(update("t4", "TASK_FINISHED", "dXVpZC00"));
    await eventually(() => master.callsOf("ACKNOWLEDGE").length === 4);
    expect(master.callsOf("ACKNOWLEDGE_BATCH")).toHaveLength(0);
  });
});

describe("SchedulerClient: reconnection", () => {
  it("resubscribes with the same framework id after the stream drops, and uses the new stream id", async () => {
    const c = makeClient();
    const subscribedFlags: boolean[] = [];
    const disconnects: DisconnectInfo[] = [];
    c.on("subscribed", (_s, info) => void subscribedFlags.push(info.resubscribed));
    c.on("disconnected", (d) => void disconnects.push(d));
    master.frameworkId = "fw-assigned";
    await c.start();
    master.dropStream();
    await eventually(() => master.subscribes.length === 2 && c.subscribed && c.streamId === "stream-2");
    const again = master.subscribes[1]!.body;
    expect(again.framework_id).toEqual({ value: "fw-assigned" });
    expect(again.subscribe.framework_info.id).toEqual({ value: "fw-assigned" });
    await eventually(() => subscribedFlags.length === 2);
    expect(subscribedFlags).toEqual([false, true]);
    expect(disconnects).toHaveLength(1);
    expect(disconnects[0]!.attempt).toBe(1);

    await c.revive();
    expect(master.calls[0]!.headers["mesos-stream-id"]).toBe("stream-2");

    master.endStream(); // a clean end is also a disconnection
    await eventually(() => master.subscribes.length === 3 && c.streamId === "stream-3");
  });

  it("retries 503 and connection failures with backoff, then subscribes", async () => {
    master.onSubscribe = (n) => (n < 3 ? { status: 503, body: "master not ready" } : "stream");
    const c = makeClient();
    const reasons: string[] = [];
    c.on("disconnected", (d) => void reasons.push(d.reason));
    const s = await c.start();
    expect(s.framework_id.value).toBe("fw-1");
    expect(master.subscribes).toHaveLength(4);
    expect(reasons).toHaveLength(3);
    expect(reasons[0]).toMatch(/503.*master not ready/);
  });

  it("keeps calls made while disconnected waiting until it resubscribes", async () => {
    const c = makeClient();
    await c.start();
    let allow = false;
    master.onSubscribe = () => (allow ? "stream" : { status: 503 });
    master.dropStream();
    await eventually(() => !c.subscribed);
    let settled = false;
    const pending = c.decline(["o1"]).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    expect(master.calls).toHaveLength(0);
    allow = true;
    await pending;
    expect(master.calls).toHaveLength(1);
    expect(master.calls[0]!.headers["mesos-stream-id"]).toBe(c.streamId);
    expect(c.streamId).not.toBe("stream-1");
  });

  it("rejects a waiting call after callTimeoutMs", async () => {
    const c = makeClient({ callTimeoutMs: 60 });
    await c.start();
    master.onSubscribe = () => ({ status: 503 });
    master.dropStream();
    await eventually(() => !c.subscribed);
    const err = await c.decline(["o1"]).catch((e) => e);
    expect(err).toBeInstanceOf(SchedulerError);
    expect(err.code).toBe("not-subscribed");
  });

  it("treats a silent connection as dead after ~3 missed heartbeats", async () => {
    master.heartbeatSeconds = 0.05; // 150 ms without any event
    const c = makeClient();
    const reasons: string[] = [];
    c.on("disconnected", (d) => void reasons.push(d.reason));
    await c.start();
    const t0 = Date.now();
    await eventually(() => master.subscribes.length >= 2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(reasons[0]).toMatch(/missed heartbeats/);
  });

  it("keeps a connection that gets heartbeats", async () => {
    master.heartbeatSeconds = 0.1; // dead after 300 ms of silence
    const c = makeClient();
    await c.start();
    const beat = setInterval(() => master.streamOpen && master.send({ type: "HEARTBEAT" }), 20);
    await new Promise((r) => setTimeout(r, 700));
    clearInterval(beat);
    expect(master.subscribes).toHaveLength(1);
  });
});

describe("SchedulerClient: fatal errors and shutdown", () => {
  it("treats 401 as fatal: start rejects, error is reported, no retry", async () => {
    master.onSubscribe = () => ({ status: 401, body: "invalid credentials" });
    const c = makeClient({ credentials: { principal: "fw", secret: "wrong" } });
    const errors: SchedulerError[] = [];
    c.on("error", (e) => void errors.push(e));
    const err = await c.start().catch((e) => e);
    expect(err).toBeInstanceOf(SchedulerError);
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/SUBSCRIBE failed: 401.*invalid credentials/);
    expect(await c.closed).toBe(err);
    await eventually(() => errors.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(master.subscribes).toHaveLength(1);
    await expect(c.revive()).rejects.toMatchObject({ code: "stopped" });
  });

  it.each([400, 403])("treats %i on SUBSCRIBE as fatal", async (status) => {
    master.onSubscribe = () => ({ status });
    const c = makeClient();
    await expect(c.start()).rejects.toMatchObject({ status });
    await new Promise((r) => setTimeout(r, 60));
    expect(master.subscribes).toHaveLength(1);
  });

  it("treats 401 on a later reconnection as fatal too", async () => {
    const c = makeClient();
    await c.start();
    master.onSubscribe = () => ({ status: 401 });
    master.dropStream();
    const closed = await c.closed;
    expect(closed?.status).toBe(401);
  });

  it("stops on the master's ERROR event", async () => {
    const c = makeClient();
    const errors: string[] = [];
    c.on("error", (e) => void errors.push(`${e.code}: ${e.message}`));
    await c.start();
    master.send({ type: "ERROR", error: { message: "Framework has been removed" } });
    const closed = await c.closed;
    expect(closed?.code).toBe("master");
    await eventually(() => errors.length === 1);
    expect(errors[0]).toMatch(/master: .*Framework has been removed/);
    await new Promise((r) => setTimeout(r, 60));
    expect(master.subscribes).toHaveLength(1);
  });

  it("stop() closes the stream, rejects waiting calls and resolves closed", async () => {
    const c = makeClient();
    await c.start();
    master.onSubscribe = () => ({ status: 503 });
    master.dropStream();
    await eventually(() => !c.subscribed);
    const waiting = c.revive().catch((e) => e);
    await c.stop();
    expect((await waiting).code).toBe("stopped");
    expect(master.streamOpen).toBe(false);
    expect(await c.closed).toBeUndefined();
    const before = master.subscribes.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(master.subscribes.length).toBe(before);
  });

  it("teardown() sends TEARDOWN and stops, without reporting the stream's end as a disconnection", async () => {
    const c = makeClient();
    const disconnects: DisconnectInfo[] = [];
    c.on("disconnected", (d) => void disconnects.push(d));
    await c.start();
    master.onCall = () => {
      master.endStream(); // the master closes the stream before answering, as a real one may
      return { status: 202 };
    };
    await c.teardown();
    await new Promise((r) => setTimeout(r, 30));
    expect(disconnects).toEqual([]);
    expect(master.calls.map((x) => x.body)).toEqual([{ type: "TEARDOWN", framework_id: { value: "fw-1" } }]);
    expect(await c.closed).toBeUndefined();
    await eventually(() => !master.streamOpen); // the client closed its stream
    await expect(c.revive()).rejects.toMatchObject({ code: "stopped" });
  });

  it("rejects calls before start()", async () => {
    const c = makeClient();
    await expect(c.revive()).rejects.toMatchObject({ code: "not-subscribed" });
  });

  it("resumes a known framework id from frameworkInfo.id on the first SUBSCRIBE", async () => {
    const c = makeClient({ frameworkInfo: { user: "u", name: "n", id: { value: "fw-old" } } });
    const s = await c.start();
    expect(master.subscribes[0]!.body.framework_id).toEqual({ value: "fw-old" });
    expect(s.framework_id.value).toBe("fw-old");
  });
});

describe("SchedulerClient: updates handled together", () => {
  it("gives the updates of one read to the 'updates' handlers in one call, in order, before a later event, and acknowledges each after", async () => {
    const c = makeClient();
    const batches: string[][] = [];
    const order: string[] = [];
    let acksWhenBatchEnded = -1;
    c.on("updates", async (statuses) => {
      batches.push(statuses.map((s) => s.task_id.value));
      order.push("updates");
      await new Promise((r) => setTimeout(r, 30));
      acksWhenBatchEnded = master.callsOf("ACKNOWLEDGE").length;
    });
    c.on("offers", () => void order.push("offers"));
    await c.start();
    master.write(
      [update("t1", "TASK_STARTING", "dXVpZC0x"), update("t2", "TASK_RUNNING", "dXVpZC0y"), update("t3", "TASK_RUNNING", "dXVpZC0z")]
        .map((e) => encodeRecord(e))
        .join(""),
    );
    master.write(encodeRecord({ type: "OFFERS", offers: { offers: [offer("o1")] } }));
    await eventually(() => master.callsOf("ACKNOWLEDGE").length === 3);
    expect(batches).toEqual([["t1", "t2", "t3"]]);
    expect(order).toEqual(["updates", "offers"]);
    expect(acksWhenBatchEnded).toBe(0);
    expect(master.callsOf("ACKNOWLEDGE").map((a) => a.body.acknowledge.task_id.value)).toEqual(["t1", "t2", "t3"]);
  });

  it("without an 'updates' handler, dispatches each update alone, as before", async () => {
    const c = makeClient();
    const seen: string[] = [];
    c.on("update", (s) => void seen.push(s.task_id.value));
    await c.start();
    master.write([update("a", "TASK_RUNNING", "dXVpZC0x"), update("b", "TASK_RUNNING", "dXVpZC0y")].map((e) => encodeRecord(e)).join(""));
    await eventually(() => master.callsOf("ACKNOWLEDGE").length === 2);
    expect(seen).toEqual(["a", "b"]);
  });
});
