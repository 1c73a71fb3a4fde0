/**
 * The operator event stream: events derived from committed effects (the commit observer) for
 * real master activity, and the RecordIO stream a SUBSCRIBE opens (SUBSCRIBED first, then the
 * events, filtered per subscriber); plus the chunked document stream yielding to other work.
 */

import { describe, expect, it } from "vitest";
import type { Effect } from "../../../master-worker/src/decide/effects.ts";
import type { MasterView } from "../../../master-worker/src/decide/view.ts";
import { operatorCall } from "../../../master-worker/src/operator/index.ts";
import { metricsSnapshot } from "../../../master-worker/src/read/metrics-snapshot.ts";
import { type OperatorEvent, operatorEvents } from "../../../master-worker/src/read/operator-events.ts";
import { OperatorStreams } from "../../../master-worker/src/read/operator-stream.ts";
import { jsonParts, partsStream } from "../../../master-worker/src/read/state-stream.ts";
import { RecordIODecoder } from "../../../sdk/src/recordio.ts";
import { MasterHarness, TEST_OPERATOR } from "../../support/master-harness.ts";
import { busyCluster, INTERVAL, subscribeAs } from "../../support/operator-fixture.ts";
import { orThrow } from "../../support/refused.ts";

/** Records every event the observer derives. */
function recording(h: MasterHarness): OperatorEvent[] {
  const seen: OperatorEvent[] = [];
  h.core.observer = (view: MasterView, effects: readonly Effect[]) => seen.push(...operatorEvents(view, effects));
  return seen;
}

const types = (es: OperatorEvent[]) => es.map((e) => e.event.type);

describe("operator events from committed effects", () => {
  it("AGENT_ADDED for a new agent, nothing for its re-registration", () => {
    const h = new MasterHarness();
    const seen = recording(h);
    const agent = h.addAgent("cpus:2;mem:1024");
    expect(types(seen)).toEqual(["AGENT_ADDED"]);
    expect(seen[0]!.event).toMatchObject({ agent_added: { agent: { agent_info: { id: { value: agent }, hostname: expect.any(String) } } } });
    h.register({ agent_id: { value: agent }, hostname: "host-1.test", resources: h.core.agents.get(agent)!.resources });
    expect(types(seen)).toEqual(["AGENT_ADDED"]);
  });

  it("FRAMEWORK_ADDED, then FRAMEWORK_UPDATED on re-subscription and FRAMEWORK_REMOVED on teardown", () => {
    const h = new MasterHarness();
    const seen = recording(h);
    const { frameworkId } = h.subscribe("fw");
    expect(types(seen)).toEqual(["FRAMEWORK_ADDED"]);
    expect(seen[0]!.event).toMatchObject({ framework_added: { framework: { framework_info: { name: "fw", id: { value: frameworkId } }, active: true } } });
    h.subscribe("fw", undefined, { frameworkId });
    expect(types(seen)).toEqual(["FRAMEWORK_ADDED", "FRAMEWORK_UPDATED"]);
    h.call(frameworkId, { type: "TEARDOWN" });
    expect(types(seen).slice(2)).toEqual(["FRAMEWORK_REMOVED"]);
    expect(seen[2]!.event).toMatchObject({ framework_removed: { framework_info: { id: { value: frameworkId } } } });
  });

  it("TASK_ADDED on launch, TASK_UPDATED on each change of state (not on a repeated state)", () => {
    const h = new MasterHarness();
    const agent = h.addAgent("cpus:2;mem:1024");
    const { frameworkId: fid } = h.subscribe("fw");
    const seen = recording(h);
    h.advance(INTERVAL);
    const offer = h.offersFor(fid)[0]!;
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent }]);
    expect(types(seen)).toEqual(["TASK_ADDED"]);
    expect(seen[0]!.event).toMatchObject({ task_added: { task: { task_id: { value: "t1" }, state: "TASK_STAGING", framework_id: { value: fid } } } });
    h.pollCommands(agent);
    h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    h.agentReport(agent, fid, "t1", "TASK_RUNNING", { message: "healthy again" });
    h.agentReport(agent, fid, "t1", "TASK_FINISHED");
    expect(types(seen)).toEqual(["TASK_ADDED", "TASK_UPDATED", "TASK_UPDATED"]);
    expect(seen.slice(1).map((e) => (e.event as unknown as { task_updated: { state: string; status: { state: string } } }).task_updated)).toEqual([
      expect.objectContaining({ state: "TASK_RUNNING", framework_id: { value: fid } }),
      expect.objectContaining({ state: "TASK_FINISHED" }),
    ]);
  });

  it("teardown: FRAMEWORK_REMOVED and TASK_UPDATED (killed) for its task, nothing about other frameworks", () => {
    const { h, beta } = busyCluster();
    const seen = recording(h);
    h.call(beta, { type: "TEARDOWN" });
    expect(types(seen).sort()).toEqual(["FRAMEWORK_REMOVED", "TASK_UPDATED"]);
    expect(seen.find((e) => e.event.type === "TASK_UPDATED")!.event).toMatchObject({ task_updated: { state: "TASK_KILLED", framework_id: { value: beta } } });
  });

  it("START_MAINTENANCE: AGENT_REMOVED for the machine's agents; STOP_MAINTENANCE: AGENT_ADDED", () => {
    const h = new MasterHarness();
    const agent = h.addAgent();
    h.addAgent(); // another machine: no event
    const machine = [{ hostname: h.core.agents.get(agent)!.hostname }];
    orThrow(
      operatorCall(
        h.core,
        {
          type: "UPDATE_MAINTENANCE_SCHEDULE",
          update_maintenance_schedule: {
            schedule: {
              windows: [
                {
                  machine_ids: machine,
                  unavailability: { start: { nanoseconds: (h.now + 3600_000) * 1e6 } },
                },
              ],
            },
          },
        },
        { now: h.now, principal: TEST_OPERATOR },
      ),
    );
    const seen = recording(h);
    orThrow(operatorCall(h.core, { type: "START_MAINTENANCE", start_maintenance: { machines: machine } }, { now: h.now, principal: TEST_OPERATOR }));
    expect(seen.map((e) => e.event).filter((e) => e.type.startsWith("AGENT"))).toEqual([
      { type: "AGENT_REMOVED", agent_removed: { agent_id: { value: agent } } },
    ]);
    orThrow(operatorCall(h.core, { type: "STOP_MAINTENANCE", stop_maintenance: { machines: machine } }, { now: h.now, principal: TEST_OPERATOR }));
    expect(seen.map((e) => e.event.type).filter((t) => t.startsWith("AGENT"))).toEqual(["AGENT_REMOVED", "AGENT_ADDED"]);
  });

  it("an agent marked gone (MARK_AGENT_GONE) is AGENT_REMOVED", () => {
    const h = new MasterHarness();
    const agent = h.addAgent();
    const seen = recording(h);
    h.core.markAgentGone(agent, h.now);
    expect(seen.map((e) => e.event)).toEqual([{ type: "AGENT_REMOVED", agent_removed: { agent_id: { value: agent } } }]);
  });
});

/** Reads RecordIO records off a stream as they come. */
function recordReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new RecordIODecoder();
  const queue: Array<{ type: string } & Record<string, unknown>> = [];
  return {
    async next() {
      while (queue.length === 0) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        for (const r of decoder.feed(value)) queue.push(JSON.parse(r));
      }
      return queue.shift()!;
    },
    cancel: () => reader.cancel(),
    /** "errored", "closed", or "open" when still neither after a turn of the event loop. */
    ended: () =>
      Promise.race([
        reader.closed.then(
          () => "closed",
          () => "errored",
        ),
        new Promise((resolve) => setTimeout(() => resolve("open"), 20)),
      ]),
  };
}

describe("operator SUBSCRIBE stream", () => {
  it("opens with SUBSCRIBED (state and heartbeat interval), then carries events as they happen", async () => {
    const { h, alpha, beta } = busyCluster();
    const streams = new OperatorStreams(h.core);
    const res = streams.open(TEST_OPERATOR);
    expect(res.status).toBe(200);
    const r = recordReader(res.body!);
    const first = await r.next();
    expect(first.type).toBe("SUBSCRIBED");
    const sub = first.subscribed as { heartbeat_interval_seconds: number; get_state: { get_tasks: { tasks: unknown[] }; get_agents: { agents: unknown[] } } };
    expect(sub.heartbeat_interval_seconds).toBe(h.config.heartbeatIntervalMs / 1000);
    expect(sub.get_state.get_tasks.tasks).toHaveLength(2);
    expect(sub.get_state.get_agents.agents).toHaveLength(2);
    const agent = h.addAgent("cpus:1;mem:256");
    expect(await r.next()).toMatchObject({ type: "AGENT_ADDED", agent_added: { agent: { agent_info: { id: { value: agent } } } } });
    h.advance(INTERVAL);
    // the new agent goes to the framework of the lower dominant share (DRF)
    const fid = [alpha, beta].find((f) => h.offersFor(f).some((o) => o.agent_id.value === agent))!;
    const offer = h.offersFor(fid).find((o) => o.agent_id.value === agent)!;
    h.accept(fid, [offer.id.value], [{ taskId: "tc", agentId: agent, resources: "cpus:0.5;mem:64" }]);
    expect(await r.next()).toMatchObject({ type: "TASK_ADDED", task_added: { task: { task_id: { value: "tc" } } } });
    h.pollCommands(agent);
    h.agentReport(agent, fid, "tc", "TASK_RUNNING");
    expect(await r.next()).toMatchObject({ type: "TASK_UPDATED", task_updated: { state: "TASK_RUNNING" } });
    expect(streams.size).toBe(1);
    streams.closeAll();
    expect(streams.size).toBe(0);
    expect(h.core.observer).toBeUndefined();
  });

  it("a subscriber whose request's signal aborts (the client went away) is dropped at once and its stream ended", async () => {
    const { h } = busyCluster();
    const streams = new OperatorStreams(h.core);
    const client = new AbortController();
    const r = recordReader(streams.open(TEST_OPERATOR, client.signal).body!);
    expect((await r.next()).type).toBe("SUBSCRIBED");
    const other = streams.open(TEST_OPERATOR, new AbortController().signal);
    expect(streams.size).toBe(2);
    client.abort();
    expect(streams.size).toBe(1);
    expect(metricsSnapshot(h.core, h.now)["master/operator_event_stream_subscribers"]).toBe(1);
    await expect(r.next()).rejects.toBeDefined();
    await other.body!.cancel();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(streams.size).toBe(0);
    expect(h.core.observer).toBeUndefined();
  });

  it("a subscriber whose reader stopped reading (gone without its signal aborting) is dropped after three heartbeat intervals", async () => {
    const { h } = busyCluster();
    let now = 0;
    const streams = new OperatorStreams(h.core, () => now);
    const stuck = recordReader(streams.open(TEST_OPERATOR, new AbortController().signal).body!);
    expect((await stuck.next()).type).toBe("SUBSCRIBED");
    // The reader takes nothing more; events keep coming.
    h.addAgent("cpus:1;mem:256");
    h.addAgent("cpus:1;mem:256");
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(streams.size).toBe(1);
    expect(await stuck.ended()).toBe("open");
    now += 3 * h.config.heartbeatIntervalMs + 1;
    h.addAgent("cpus:1;mem:256");
    expect(streams.size).toBe(0);
    // Ended at once, its queued events let go, though the reader never reads again.
    expect(await stuck.ended()).toBe("errored");
    expect(metricsSnapshot(h.core, h.now)["master/operator_event_stream_subscribers"]).toBe(0);
    expect(h.core.observer).toBeUndefined();
  });

  it("a subscriber that keeps reading is kept however long it stays", async () => {
    const { h } = busyCluster();
    let now = 0;
    const streams = new OperatorStreams(h.core, () => now);
    const r = recordReader(streams.open(TEST_OPERATOR, new AbortController().signal).body!);
    const seen: string[] = [];
    void (async () => {
      for (;;) seen.push((await r.next()).type);
    })().catch(() => undefined);
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0)); // the reader takes what was written
      now += 3 * h.config.heartbeatIntervalMs + 1;
      h.addAgent("cpus:1;mem:256");
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen.filter((t) => t === "AGENT_ADDED")).toHaveLength(5);
    expect(streams.size).toBe(1);
    streams.closeAll();
  });

  it("a subscriber whose signal aborted before it opened is dropped right after", async () => {
    const { h } = busyCluster();
    const streams = new OperatorStreams(h.core);
    const client = new AbortController();
    client.abort();
    streams.open(TEST_OPERATOR, client.signal);
    await Promise.resolve();
    expect(streams.size).toBe(0);
    expect(h.core.observer).toBeUndefined();
  });

  it("SUBSCRIBED holds the state of the moment of subscribing; what happens while it is written follows it", async () => {
    const { h } = busyCluster();
    const streams = new OperatorStreams(h.core);
    const r = recordReader(streams.open(TEST_OPERATOR).body!);
    const agent = h.addAgent("cpus:1;mem:256"); // committed before SUBSCRIBED is written out
    const first = (await r.next()) as unknown as {
      type: string;
      subscribed: { get_state: { get_agents: { agents: Array<{ agent_info: { id: { value: string } } }> } } };
    };
    expect(first.type).toBe("SUBSCRIBED");
    expect(first.subscribed.get_state.get_agents.agents.map((a) => a.agent_info.id.value)).not.toContain(agent);
    expect(await r.next()).toMatchObject({ type: "AGENT_ADDED", agent_added: { agent: { agent_info: { id: { value: agent } } } } });
    streams.closeAll();
  });

  it("filters events and the opening state by the subscriber's view ACLs", async () => {
    const acls = {
      permissive: false,
      register_frameworks: [{ principals: { type: "ANY" }, roles: { type: "ANY" } }],
      run_tasks: [{ principals: { type: "ANY" }, users: { type: "ANY" } }],
      view_frameworks: [{ principals: { values: ["ann"] }, users: { values: ["alice"] } }],
      view_tasks: [{ principals: { values: ["ann"] }, users: { values: ["alice"] } }],
      view_agents: [{ principals: { type: "ANY" }, agents: { type: "ANY" } }],
    };
    const { h, alpha, beta, agentOfA, agentOfB } = busyCluster({ STRATA_ACLS: JSON.stringify(acls) });
    const streams = new OperatorStreams(h.core);
    const r = recordReader(streams.open("ann").body!);
    const first = (await r.next()) as unknown as {
      subscribed: { get_state: { get_tasks: { tasks: Array<{ task_id: { value: string } }> }; get_frameworks: { frameworks: unknown[] } } };
    };
    expect(first.subscribed.get_state.get_tasks.tasks.map((t) => t.task_id.value)).toEqual(["ta"]);
    expect(first.subscribed.get_state.get_frameworks.frameworks).toHaveLength(1);
    h.agentReport(agentOfB, beta, "tb", "TASK_FINISHED"); // bob's: not shown
    h.agentReport(agentOfA, alpha, "ta", "TASK_FINISHED");
    expect(await r.next()).toMatchObject({ type: "TASK_UPDATED", task_updated: { framework_id: { value: alpha }, state: "TASK_FINISHED" } });
    subscribeAs(h, "gamma", "carol");
    const agent = h.addAgent();
    expect(await r.next()).toMatchObject({ type: "AGENT_ADDED", agent_added: { agent: { agent_info: { id: { value: agent } } } } }); // not gamma
    streams.closeAll();
  });
});

describe("streamed documents", () => {
  it("jsonParts writes the same JSON as JSON.stringify, lists item by item", () => {
    const doc = { a: 1, b: "x", list: [{ n: 1 }, { n: 2 }], empty: [] as unknown[], nested: [{ k: 1, inner: [1, 2] }] };
    const parts = [...jsonParts({ a: 1, b: "x" }, { list: doc.list, empty: [], nested: [jsonParts({ k: 1 }, { inner: [1, 2] })] })];
    expect(JSON.parse(parts.join(""))).toEqual(doc);
    expect(parts.length).toBeGreaterThan(5);
    expect(JSON.parse([...jsonParts({}, { only: [1] })].join(""))).toEqual({ only: [1] });
    expect(JSON.parse([...jsonParts({ x: 1 })].join(""))).toEqual({ x: 1 });
  });

  it("partsStream lets timers run between chunks of a large document", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const items = Array.from({ length: 20_000 }, (_, i) => ({ id: `item-${i}`, payload: "y".repeat(50) }));
    const text = await new Response(partsStream(jsonParts({}, { items }), 16 * 1024)).text();
    clearInterval(timer);
    expect(JSON.parse(text).items).toHaveLength(20_000);
    expect(ticks).toBeGreaterThan(10);
  });
});
