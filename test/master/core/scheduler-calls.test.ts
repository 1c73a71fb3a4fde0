/**
 * The master's behaviour, driven through `MasterCore` with the deterministic harness: KILL, RECONCILE, SUPPRESS / REVIVE, TEARDOWN, and the stream and principal checks every call passes.
 */
import { describe, expect, it } from "vitest";
import { parseMessage, SubscribeCall } from "../../../schemas/index.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { expectHttpError, lastUpdate, launched, setup } from "../../support/core-fixture.ts";
import { INTERVAL } from "../../support/lifecycle.ts";
import { MasterHarness } from "../../support/master-harness.ts";

describe("KILL", () => {
  it("queues a KILL command with the task's kill_policy", () => {
    const { h, agent, fid } = launched({ kill_policy: { grace_period: { nanoseconds: 5_000_000_000 } } });
    h.call(fid, { type: "KILL", kill: { task_id: { value: "t1" }, agent_id: { value: agent } } });
    expect(h.pollCommands(agent)).toEqual([
      {
        seq: 2,
        type: "KILL",
        framework_id: { value: fid },
        task_id: { value: "t1" },
        kill_policy: { grace_period: { nanoseconds: 5_000_000_000 } },
      },
    ]);
  });

  it("the call's kill_policy overrides the task's (int64 given as a string)", () => {
    const { h, agent, fid } = launched({ kill_policy: { grace_period: { nanoseconds: 5_000_000_000 } } });
    h.call(fid, { type: "KILL", kill: { task_id: { value: "t1" }, kill_policy: { grace_period: { nanoseconds: "1000000000" } } } });
    const [kill] = h.pollCommands(agent);
    expect(kill).toMatchObject({ type: "KILL", kill_policy: { grace_period: { nanoseconds: 1_000_000_000 } } });
  });

  it("a task without kill_policy gets a KILL without one", () => {
    const { h, agent, fid } = launched();
    h.call(fid, { type: "KILL", kill: { task_id: { value: "t1" } } });
    const [kill] = h.pollCommands(agent);
    expect(kill).toEqual({ seq: 2, type: "KILL", framework_id: { value: fid }, task_id: { value: "t1" } });
  });

  it("killing an unknown task answers a TASK_LOST UPDATE (without uuid) and queues nothing", () => {
    const { h, agent, fid } = setup();
    const commits = h.store.commits;
    h.call(fid, { type: "KILL", kill: { task_id: { value: "ghost" }, agent_id: { value: agent } } });
    const s = lastUpdate(h, fid);
    expect(s).toMatchObject({ task_id: { value: "ghost" }, state: "TASK_LOST", source: "SOURCE_MASTER", agent_id: { value: agent } });
    expect(s.uuid).toBeUndefined();
    expect(h.core.updates.size).toBe(0);
    expect(h.store.commits).toBe(commits);
    expect(h.fakeAgentPoll(agent)).toBeNull();
  });
});

describe("RECONCILE", () => {
  function twoTasks() {
    const s = setup();
    s.h.accept(
      s.fid,
      [s.offer.id.value],
      [
        { taskId: "a", agentId: s.agent, resources: "cpus:1;mem:128" },
        { taskId: "b", agentId: s.agent, resources: "cpus:1;mem:128" },
        { taskId: "c", agentId: s.agent, resources: "cpus:1;mem:128" },
      ],
    );
    s.h.pollCommands(s.agent);
    s.h.agentReport(s.agent, s.fid, "a", "TASK_RUNNING", { healthy: true });
    s.h.agentReport(s.agent, s.fid, "c", "TASK_FINISHED");
    s.h.newEvents(s.fid);
    return s;
  }

  it("explicit: the latest known state of each named task, TASK_LOST for unknown ones, without uuids", () => {
    const { h, agent, fid } = twoTasks();
    h.call(fid, {
      type: "RECONCILE",
      reconcile: {
        tasks: [
          { task_id: { value: "a" }, agent_id: { value: agent } },
          { task_id: { value: "b" } },
          { task_id: { value: "c" } },
          { task_id: { value: "zzz" } },
        ],
      },
    });
    const got = h.newEvents(fid).map((e) => (e.type === "UPDATE" ? e.update.status : undefined));
    expect(got.map((s) => [s?.task_id.value, s?.state, s?.reason])).toEqual([
      ["a", "TASK_RUNNING", "REASON_RECONCILIATION"],
      ["b", "TASK_STAGING", "REASON_RECONCILIATION"],
      ["c", "TASK_FINISHED", "REASON_RECONCILIATION"],
      ["zzz", "TASK_LOST", "REASON_RECONCILIATION"],
    ]);
    expect(got.every((s) => s?.uuid === undefined)).toBe(true);
    expect(got[0]?.agent_id?.value).toBe(agent);
  });

  it("implicit (no tasks): every non-terminal task of the framework, with health", () => {
    const { h, fid } = twoTasks();
    const commits = h.store.commits;
    h.call(fid, { type: "RECONCILE" });
    const got = h.newEvents(fid).map((e) => (e.type === "UPDATE" ? e.update.status : undefined));
    expect(got.map((s) => [s?.task_id.value, s?.state]).sort()).toEqual([
      ["a", "TASK_RUNNING"],
      ["b", "TASK_STAGING"],
    ]);
    expect(got.find((s) => s?.task_id.value === "a")?.healthy).toBe(true);
    expect(h.store.commits).toBe(commits);
  });

  it("implicit reconciliation does not leak another framework's tasks", () => {
    const { h } = twoTasks();
    const { frameworkId: other } = h.subscribe("fw-two");
    h.newEvents(other);
    h.call(other, { type: "RECONCILE", reconcile: { tasks: [] } });
    expect(h.newEvents(other)).toEqual([]);
  });
});

describe("SUPPRESS / REVIVE", () => {
  it("a suppressed framework gets no offers until it revives", () => {
    const h = new MasterHarness();
    const { frameworkId: fid } = h.subscribe("fw");
    h.call(fid, { type: "SUPPRESS" });
    h.addAgent();
    h.advance(INTERVAL * 5);
    expect(h.allOffersFor(fid)).toEqual([]);
    h.call(fid, { type: "REVIVE" });
    h.advance(INTERVAL);
    expect(h.offersFor(fid)).toHaveLength(1);
  });

  it("suppressed_roles in SUBSCRIBE starts the framework suppressed", () => {
    const h = new MasterHarness();
    h.addAgent();
    const { frameworkId: fid } = h.subscribe("fw", undefined, { suppressedRoles: ["*"] });
    h.advance(INTERVAL * 5);
    expect(h.allOffersFor(fid)).toEqual([]);
  });

  it("REVIVE clears the framework's refuse filters", () => {
    const { h, fid, offer } = setup();
    h.decline(fid, [offer.id.value], 3600);
    h.advance(INTERVAL * 5);
    expect(h.offersFor(fid)).toEqual([]);
    h.call(fid, { type: "REVIVE" });
    h.advance(INTERVAL);
    expect(h.offersFor(fid)).toHaveLength(1);
  });

  it("suppressing keeps the offers already made (Mesos semantics) but makes no new ones", () => {
    const { h, fid, offer } = setup();
    h.call(fid, { type: "SUPPRESS" });
    expect(h.offersFor(fid).map((o) => o.id.value)).toEqual([offer.id.value]);
    h.decline(fid, [offer.id.value], 0);
    h.advance(INTERVAL * 5);
    expect(h.offersFor(fid)).toEqual([]);
  });
});

describe("TEARDOWN", () => {
  it("kills the framework's tasks on their agents, closes its stream and removes it", () => {
    const { h, agent, fid } = launched({ resources: "cpus:1;mem:128" });
    const { uuid } = h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    h.advance(5_000);
    expect(h.offersFor(fid)).toHaveLength(1);
    const { frameworkId: other } = h.subscribe("fw-two");
    const streamId = h.streamOf(fid);

    h.call(fid, { type: "TEARDOWN" });

    expect(h.outbox.closed.at(-1)).toMatchObject({ fid, streamId });
    expect(h.streamOf(fid)).toBeNull();
    expect(h.core.frameworks.get(fid)?.removed).toBe(true);
    expect(h.core.offers.size).toBe(0);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_KILLED");

    const answer = h.fakeAgentPoll(agent);
    expect(answer?.commands).toEqual([{ seq: 2, type: "SHUTDOWN_FRAMEWORK", framework_id: { value: fid } }]);
    // The unacknowledged RUNNING update will never be acknowledged: the agent may drop it.
    expect(answer?.acks.map((a) => a.uuid)).toEqual([uuid]);
    expect(h.outstanding(agent)).toEqual([]);

    // The agent's final report for the killed task is answered acknowledged at once.
    const { uuid: killed, response } = h.agentReport(agent, fid, "t1", "TASK_KILLED");
    expect(response.acknowledged).toEqual([killed]);

    // Its calls and a re-SUBSCRIBE with its id are refused; its resources go to others.
    expectHttpError(() => h.call(fid, { type: "REVIVE" }, { streamId }), 400, /^framework_id: .*cannot be found/);
    expectHttpError(() => h.subscribe("fw-one", undefined, { frameworkId: fid }), 403, /torn down/);
    h.advance(INTERVAL);
    const offers = h.offersFor(other);
    expect(offers).toHaveLength(1);
    expect(scalarOf(offers[0]!.resources, "cpus")).toBe(4);
    expect(h.store.load().frameworks.find((f) => f.id === fid)?.removed).toBe(true);
  });
});

describe("stream and principal checks", () => {
  it("refuses a call without Mesos-Stream-Id (400)", () => {
    const { h, fid } = setup();
    expectHttpError(() => h.call(fid, { type: "REVIVE" }, { streamId: null }), 400, /^Mesos-Stream-Id:/);
  });

  it("refuses a call with another stream's id (400)", () => {
    const { h, fid } = setup();
    expectHttpError(() => h.call(fid, { type: "REVIVE" }, { streamId: "not-the-stream" }), 400, /^Mesos-Stream-Id: .*does not match/);
  });

  it("refuses a call for an unknown framework (400)", () => {
    const { h } = setup();
    expectHttpError(() => h.call("nobody", { type: "REVIVE" }, { streamId: "x" }), 400, /^framework_id: .*cannot be found/);
  });

  it("refuses calls and re-SUBSCRIBE from another principal (403)", () => {
    const h = new MasterHarness();
    const { frameworkId: fid } = h.subscribe("fw", "alice");
    expect(h.core.frameworks.get(fid)?.principal).toBe("alice");
    expectHttpError(() => h.call(fid, { type: "REVIVE" }, { principal: "mallory" }), 403, /another principal/);
    expectHttpError(() => h.call(fid, { type: "REVIVE" }, { principal: undefined }), 403, /another principal/);
    expectHttpError(() => h.subscribe("fw", "mallory", { frameworkId: fid }), 403, /another principal/);
    expect(h.streamOf(fid)).not.toBeNull();
    h.call(fid, { type: "REVIVE" }); // the owner still can
  });

  it("refuses a SUBSCRIBE whose framework_info.principal is not the authenticated one (403)", () => {
    const h = new MasterHarness();
    const call = parseMessage(SubscribeCall, h.subscribeJson("fw", { principal: "alice" }));
    // Authenticated as bob but claiming to be alice.
    expectHttpError(() => h.core.subscribe(call, "bob", h.now), 403, /^subscribe\.framework_info\.principal/);
    expect(h.core.frameworks.size).toBe(0);
  });
});
