/**
 * The master's behaviour over the task lifecycle, driven through `MasterCore` with the
 * deterministic harness: offers, launches, status updates and their acknowledgement chain,
 * refuse filters, invalid launches, kills, reconciliation, suppression, teardown, stream and
 * principal checks, DRF order, framework failover, agent timeouts and "chatter writes nothing".
 */
import { describe, expect, it } from "vitest";
import { type AgentCommand, type TaskStatus, SubscribeCall, parseMessage } from "../../schemas/index.ts";
import { HttpError } from "../../master-worker/src/http-error.ts";
import { UPDATE_RESEND_INTERVAL_MS } from "../../master-worker/src/update-index.ts";
import { rangesOf, scalarOf } from "../../sdk/src/resources.ts";
import { MasterHarness, type TaskSpec } from "../support/master-harness.ts";

const INTERVAL = 1000; // the harness' STRATA_ALLOCATION_INTERVAL_MS

/** One agent, one framework, and the first offer. */
function setup(resources = "cpus:4;mem:4096;ports:[31000-32000]", env: Record<string, string> = {}) {
  const h = new MasterHarness(env);
  const agent = h.addAgent(resources);
  const { frameworkId: fid } = h.subscribe("fw-one");
  h.advance(INTERVAL);
  const offers = h.offersFor(fid);
  expect(offers).toHaveLength(1);
  return { h, agent, fid, offer: offers[0]! };
}

/** Sets up, launches `task` on the whole offer and lets the agent take the LAUNCH. */
function launched(task: Partial<TaskSpec> = {}) {
  const s = setup();
  s.h.accept(s.fid, [s.offer.id.value], [{ taskId: "t1", agentId: s.agent, ...task }]);
  const commands = s.h.pollCommands(s.agent);
  expect(commands.map((c) => c.type)).toEqual(["LAUNCH"]);
  return s;
}

function expectHttpError(fn: () => void, status: number, messagePart: string | RegExp): HttpError {
  let caught: unknown;
  try { fn(); } catch (e) { caught = e; }
  expect(caught).toBeInstanceOf(HttpError);
  const err = caught as HttpError;
  expect(err.status).toBe(status);
  expect(err.message).toMatch(messagePart);
  return err;
}

const lastUpdate = (h: MasterHarness, fid: string): TaskStatus => {
  const all = h.updates(fid);
  expect(all.length).toBeGreaterThan(0);
  return all[all.length - 1]!;
};

describe("offers", () => {
  it("offers a registered agent's resources to a subscribed framework after the allocation interval", () => {
    const h = new MasterHarness();
    const agent = h.addAgent("cpus:4;mem:4096;ports:[31000-32000]");
    const { frameworkId: fid } = h.subscribe("fw");
    h.advance(INTERVAL - 1);
    expect(h.allOffersFor(fid)).toEqual([]);
    h.advance(1);
    const [offer, ...rest] = h.offersFor(fid);
    expect(rest).toEqual([]);
    expect(offer!.agent_id.value).toBe(agent);
    expect(offer!.framework_id.value).toBe(fid);
    expect(offer!.hostname).toBe("host-1.test");
    expect(scalarOf(offer!.resources, "cpus")).toBe(4);
    expect(scalarOf(offer!.resources, "mem")).toBe(4096);
    expect(rangesOf(offer!.resources)).toEqual([[31000, 32000]]);
    expect(offer!.resources.every((r) => r.allocation_info?.role === "*")).toBe(true);
    expect(offer!.id.value).toContain(h.core.masterInfo.id);
  });

  it("does not offer the same resources twice while an offer is outstanding", () => {
    const { h, fid } = setup();
    h.advance(INTERVAL * 10);
    expect(h.allOffersFor(fid)).toHaveLength(1);
  });
});

describe("launch → updates → acknowledgement chain", () => {
  it("delivers the LAUNCH, forwards updates with their uuid, and forgets them once the agent confirms the ack", () => {
    const { h, agent, fid, offer } = setup();
    const wakesBefore = h.outbox.wakes.length;
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128;ports:[31000-31001]" }]);

    // The offer is used up, the task is staged, the agent's poll is woken.
    expect(h.core.offers.size).toBe(0);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_STAGING");
    expect(h.outbox.wakes.slice(wakesBefore)).toEqual([agent]);

    const [launch, ...more] = h.pollCommands(agent);
    expect(more).toEqual([]);
    expect(launch).toMatchObject({ type: "LAUNCH", seq: 1, framework_id: { value: fid } });
    const l = launch as Extract<AgentCommand, { type: "LAUNCH" }>;
    expect(l.task.task_id.value).toBe("t1");
    expect(l.task.command?.value).toBe("sleep 10");
    expect(rangesOf(l.task.resources)).toEqual([[31000, 31001]]);
    expect(l.framework_info).toMatchObject({ name: "fw-one", id: { value: fid } });

    // The agent reports the command taken; a poll with nothing new answers null.
    expect(h.fakeAgentPoll(agent)).toBeNull();
    expect(h.core.commands.get(agent)).toEqual([]);
    expect(h.store.load().commands).toEqual([]);

    const uuids: string[] = [];
    for (const state of ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"] as const) {
      const { uuid, response } = h.agentReport(agent, fid, "t1", state);
      expect(response.acknowledged).toEqual([]);
      uuids.push(uuid);
      const status = lastUpdate(h, fid);
      expect(status).toMatchObject({ state, uuid, task_id: { value: "t1" }, agent_id: { value: agent } });
      expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe(state);
    }
    // The agent keeps them until acknowledged: the master holds them in memory, no row.
    expect([...h.core.updates.keys()].sort()).toEqual([...uuids].sort());
    expect(h.store.load().updates).toEqual([]);
    expect(h.outstanding(agent).sort()).toEqual([...uuids].sort());

    // The framework acknowledges each; the agent is woken to learn it.
    for (const status of h.updates(fid)) {
      const wakes = h.outbox.wakes.length;
      h.acknowledge(fid, status);
      expect(h.outbox.wakes.slice(wakes)).toEqual([agent]);
      expect(h.core.updates.get(status.uuid!)?.acked).toBe(true);
    }

    // The agent's next poll brings the acks; it stops retrying them.
    const answer = h.fakeAgentPoll(agent);
    expect(answer?.commands).toEqual([]);
    expect(answer?.acks.map((a) => a.uuid).sort()).toEqual([...uuids].sort());
    expect(answer?.acks.every((a) => a.task_id.value === "t1")).toBe(true);
    expect(h.outstanding(agent)).toEqual([]);
    expect(h.core.updates.size).toBe(3); // kept until the agent confirms

    // It confirms them with acked_uuids: the master forgets them, durably.
    expect(h.pollRequest(agent).acked_uuids.sort()).toEqual([...uuids].sort());
    expect(h.fakeAgentPoll(agent)).toBeNull();
    expect(h.core.updates.size).toBe(0);
    expect(h.store.load().updates).toEqual([]);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_FINISHED");
  });

  it("offers the resources of a finished task again after the allocation interval", () => {
    const { h, agent, fid } = launched({ resources: "cpus:4;mem:4096;ports:[31000-32000]" });
    h.advance(INTERVAL * 3);
    expect(h.offersFor(fid)).toEqual([]); // everything is in use
    h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    h.advance(INTERVAL * 3);
    expect(h.offersFor(fid)).toEqual([]);
    h.agentReport(agent, fid, "t1", "TASK_FINISHED");
    h.advance(INTERVAL - 1);
    expect(h.offersFor(fid)).toEqual([]);
    h.advance(1);
    const [offer] = h.offersFor(fid);
    expect(scalarOf(offer!.resources, "cpus")).toBe(4);
    expect(scalarOf(offer!.resources, "mem")).toBe(4096);
  });

  it("offers the unused part of an accepted offer again after the allocation interval (refuse_seconds: 0)", () => {
    const { h, agent, fid, offer } = setup();
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128;ports:[31000-31000]" }], { refuse_seconds: 0 });
    h.advance(INTERVAL - 1);
    expect(h.offersFor(fid)).toEqual([]);
    h.advance(1);
    const [again, ...rest] = h.offersFor(fid);
    expect(rest).toEqual([]);
    expect(scalarOf(again!.resources, "cpus")).toBe(3);
    expect(scalarOf(again!.resources, "mem")).toBe(3968);
    expect(rangesOf(again!.resources)).toEqual([[31001, 32000]]);
  });

  it("an ACCEPT without filters refuses the unused part for the default 5 s, then offers it", () => {
    const { h, agent, fid, offer } = setup();
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128" }]);
    h.advance(4999);
    expect(h.offersFor(fid)).toEqual([]);
    h.advance(1);
    expect(scalarOf(h.offersFor(fid)[0]!.resources, "cpus")).toBe(3);
  });
});

describe("DECLINE", () => {
  it("keeps the agent from the framework for refuse_seconds, then offers it again", () => {
    const { h, agent, fid, offer } = setup();
    h.decline(fid, [offer.id.value], 10);
    expect(h.core.offers.size).toBe(0);
    h.advance(9_999);
    expect(h.offersFor(fid)).toEqual([]);
    h.advance(1);
    const [again] = h.offersFor(fid);
    expect(again!.agent_id.value).toBe(agent);
    expect(again!.id.value).not.toBe(offer.id.value);
  });

  it("the refused agent goes to another framework meanwhile, and other agents stay offered", () => {
    const { h, fid, offer } = setup();
    const { frameworkId: other } = h.subscribe("fw-two");
    h.decline(fid, [offer.id.value], 60);
    h.advance(INTERVAL);
    expect(h.offersFor(other).map((o) => o.agent_id.value)).toEqual([offer.agent_id.value]);
    expect(h.offersFor(fid)).toEqual([]);
    const second = h.addAgent("cpus:2;mem:1024");
    h.advance(INTERVAL);
    // fw-two holds the first agent: the new agent goes to fw-one (lower share, not refused there).
    expect(h.offersFor(fid).map((o) => o.agent_id.value)).toEqual([second]);
  });

  it("ignores offer ids it does not know", () => {
    const { h, fid, offer } = setup();
    h.decline(fid, ["no-such-offer"]);
    expect(h.core.offers.has(offer.id.value)).toBe(true);
  });
});

describe("invalid launches", () => {
  it("answers TASK_ERROR naming the problem for each invalid task and launches only the valid one", () => {
    const { h, agent, fid, offer } = setup("cpus:4;mem:4096");
    h.accept(fid, [offer.id.value], [
      { taskId: "ok", agentId: agent, resources: "cpus:1;mem:128" },
      { taskId: "too-big", agentId: agent, resources: "cpus:100;mem:128" },
      { taskId: "ok", agentId: agent, resources: "cpus:1;mem:128" },
      { taskId: "elsewhere", agentId: "other-agent", resources: "cpus:1;mem:128" },
      { taskId: "no-command", agentId: agent, resources: "cpus:1;mem:128", command: null },
      { taskId: "no-resources", agentId: agent, resources: "" },
      { taskId: "empty-shell", agentId: agent, command: { shell: true } },
    ]);
    const byTask = new Map(h.updates(fid).map((s) => [s.task_id.value, s]));
    expect(byTask.has("ok")).toBe(true); // the duplicate's error, see below
    for (const s of byTask.values()) {
      expect(s.state).toBe("TASK_ERROR");
      expect(s.reason).toBe("REASON_TASK_INVALID");
      expect(s.source).toBe("SOURCE_MASTER");
      expect(s.uuid).toBeTruthy();
    }
    expect(byTask.get("too-big")?.message).toMatch(/^task_infos\[1\]: resources:/);
    expect(byTask.get("ok")?.message).toMatch(/^task_infos\[2\]: task_id 'ok' is used twice/);
    expect(byTask.get("elsewhere")?.message).toMatch(/^task_infos\[3\]: agent_id 'other-agent'/);
    expect(byTask.get("no-command")?.message).toMatch(/^task_infos\[4\]: .*'command'/);
    expect(byTask.get("no-resources")?.message).toMatch(/^task_infos\[5\]: resources:/);
    expect(byTask.get("empty-shell")?.message).toMatch(/^task_infos\[6\]: command\.value/);
    expect(h.updates(fid)).toHaveLength(6);

    const commands = h.pollCommands(agent);
    expect(commands).toHaveLength(1);
    expect((commands[0] as Extract<AgentCommand, { type: "LAUNCH" }>).task.task_id.value).toBe("ok");
    expect([...h.core.tasks.keys()]).toEqual([`${fid}/ok`]);
  });

  it("rejects a task id already used by an active task of the framework", () => {
    const { h, agent, fid } = launched({ resources: "cpus:1;mem:128" });
    h.advance(5_000);
    const [offer] = h.offersFor(fid);
    h.accept(fid, [offer!.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128" }]);
    const s = lastUpdate(h, fid);
    expect(s).toMatchObject({ state: "TASK_ERROR", task_id: { value: "t1" } });
    expect(s.message).toMatch(/task_id 't1' is already in use/);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_STAGING");
  });

  it("a launch refused for a stale offer does not mark an existing task of that id lost", () => {
    const { h, agent, fid, offer } = launched({ resources: "cpus:1;mem:128" });
    h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent }]);
    expect(lastUpdate(h, fid)).toMatchObject({ task_id: { value: "t1" }, state: "TASK_LOST", reason: "REASON_INVALID_OFFERS" });
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING");
    expect(h.store.load().tasks.find((t) => t.taskId === "t1")?.state).toBe("TASK_RUNNING");
  });

  it("an agent's report about a task placed on another agent does not change that task", () => {
    const { h, agent, fid } = launched({ resources: "cpus:1;mem:128" });
    const intruder = h.addAgent("cpus:1;mem:128");
    h.agentReport(intruder, fid, "t1", "TASK_FAILED");
    expect(h.core.tasks.get(`${fid}/t1`)).toMatchObject({ agentId: agent, state: "TASK_STAGING" });
  });

  it("a master-made TASK_ERROR is forgotten on acknowledgement (no agent is involved)", () => {
    const { h, agent, fid, offer } = setup();
    h.accept(fid, [offer.id.value], [{ taskId: "bad", agentId: agent, command: null }]);
    const s = lastUpdate(h, fid);
    expect(h.core.updates.has(s.uuid!)).toBe(true);
    h.acknowledge(fid, s);
    expect(h.core.updates.has(s.uuid!)).toBe(false);
    expect(h.store.load().updates).toEqual([]);
    expect(h.fakeAgentPoll(agent)).toBeNull();
  });

  it("a stale or unknown offer id answers TASK_LOST with REASON_INVALID_OFFERS and launches nothing", () => {
    const { h, agent, fid, offer } = setup();
    h.accept(fid, [offer.id.value], [{ taskId: "first", agentId: agent, resources: "cpus:1;mem:128" }], { refuse_seconds: 0 });
    h.accept(fid, [offer.id.value], [{ taskId: "stale", agentId: agent }]);
    h.accept(fid, ["never-made"], [{ taskId: "unknown", agentId: agent }]);
    const lost = h.updates(fid);
    expect(lost.map((s) => [s.task_id.value, s.state, s.reason])).toEqual([
      ["stale", "TASK_LOST", "REASON_INVALID_OFFERS"],
      ["unknown", "TASK_LOST", "REASON_INVALID_OFFERS"],
    ]);
    expect(lost[0]!.message).toContain(offer.id.value);
    expect(lost[1]!.message).toContain("never-made");
    const launchedIds = h.pollCommands(agent).map((c) => (c as Extract<AgentCommand, { type: "LAUNCH" }>).task.task_id.value);
    expect(launchedIds).toEqual(["first"]);
  });

  it("an offer made to another framework is invalid for this one", () => {
    const { h, agent, fid, offer } = setup();
    const { frameworkId: other } = h.subscribe("fw-two");
    h.accept(other, [offer.id.value], [{ taskId: "steal", agentId: agent }]);
    expect(lastUpdate(h, other)).toMatchObject({ state: "TASK_LOST", reason: "REASON_INVALID_OFFERS" });
    expect(h.core.offers.has(offer.id.value)).toBe(true);
    expect(h.updates(fid)).toEqual([]);
  });

  it("rejects operations it does not carry out with 400 naming the operation's path", () => {
    const { h, fid, offer } = setup();
    expectHttpError(() => h.call(fid, {
      type: "ACCEPT", accept: { offer_ids: [{ value: offer.id.value }], operations: [{ type: "GROW_VOLUME" }] },
    }), 400, /^accept\.operations\[0\]\.type: GROW_VOLUME/);
    // The rejected ACCEPT still used the offer up: its resources are offered again, not held.
    expect(h.core.offers.has(offer.id.value)).toBe(false);
    h.advance(1000);
    expect(h.offersFor(fid).some((o) => o.agent_id.value === offer.agent_id.value && o.id.value !== offer.id.value)).toBe(true);
  });
});

describe("KILL", () => {
  it("queues a KILL command with the task's kill_policy", () => {
    const { h, agent, fid } = launched({ kill_policy: { grace_period: { nanoseconds: 5_000_000_000 } } });
    h.call(fid, { type: "KILL", kill: { task_id: { value: "t1" }, agent_id: { value: agent } } });
    expect(h.pollCommands(agent)).toEqual([{
      seq: 2, type: "KILL", framework_id: { value: fid }, task_id: { value: "t1" },
      kill_policy: { grace_period: { nanoseconds: 5_000_000_000 } },
    }]);
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
    s.h.accept(s.fid, [s.offer.id.value], [
      { taskId: "a", agentId: s.agent, resources: "cpus:1;mem:128" },
      { taskId: "b", agentId: s.agent, resources: "cpus:1;mem:128" },
      { taskId: "c", agentId: s.agent, resources: "cpus:1;mem:128" },
    ]);
    s.h.pollCommands(s.agent);
    s.h.agentReport(s.agent, s.fid, "a", "TASK_RUNNING", { healthy: true });
    s.h.agentReport(s.agent, s.fid, "c", "TASK_FINISHED");
    s.h.newEvents(s.fid);
    return s;
  }

  it("explicit: the latest known state of each named task, TASK_LOST for unknown ones, without uuids", () => {
    const { h, agent, fid } = twoTasks();
    h.call(fid, { type: "RECONCILE", reconcile: { tasks: [
      { task_id: { value: "a" }, agent_id: { value: agent } }, { task_id: { value: "b" } },
      { task_id: { value: "c" } }, { task_id: { value: "zzz" } },
    ] } });
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
    expect(got.map((s) => [s?.task_id.value, s?.state]).sort()).toEqual([["a", "TASK_RUNNING"], ["b", "TASK_STAGING"]]);
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

describe("DRF order between frameworks", () => {
  it("offers each agent to the framework with the lowest dominant share first", () => {
    const h = new MasterHarness();
    const agent = h.addAgent("cpus:10;mem:10000");
    const { frameworkId: f1 } = h.subscribe("first");
    const { frameworkId: f2 } = h.subscribe("second");
    expect(f1 < f2).toBe(true);

    // Equal (zero) shares: the tie goes to the smaller id.
    h.advance(INTERVAL);
    expect(h.offersFor(f1)).toHaveLength(1);
    expect(h.offersFor(f2)).toEqual([]);

    // f1 now runs cpus:1 (share 0.1); f2 holds nothing, so f2 gets the rest despite its larger id.
    h.accept(f1, [h.offersFor(f1)[0]!.id.value], [{ taskId: "a", agentId: agent, resources: "cpus:1;mem:100" }], { refuse_seconds: 0 });
    h.advance(INTERVAL);
    expect(h.offersFor(f1)).toEqual([]);
    const [o2] = h.offersFor(f2);
    expect(scalarOf(o2!.resources, "cpus")).toBe(9);

    // f2 runs mem:2000 (share 0.2) > f1's 0.1: the rest goes back to f1.
    h.accept(f2, [o2!.id.value], [{ taskId: "b", agentId: agent, resources: "cpus:0.5;mem:2000" }], { refuse_seconds: 0 });
    h.advance(INTERVAL);
    expect(h.offersFor(f2)).toEqual([]);
    const [o1] = h.offersFor(f1);
    expect(scalarOf(o1!.resources, "cpus")).toBe(8.5);
    expect(scalarOf(o1!.resources, "mem")).toBe(7900);
  });

  it("spreads agents: with two agents each framework gets one", () => {
    const h = new MasterHarness();
    const a1 = h.addAgent("cpus:4;mem:4096");
    const a2 = h.addAgent("cpus:4;mem:4096");
    const { frameworkId: f1 } = h.subscribe("first");
    const { frameworkId: f2 } = h.subscribe("second");
    h.advance(INTERVAL);
    const got = [...h.offersFor(f1), ...h.offersFor(f2)].map((o) => o.agent_id.value).sort();
    expect(got).toEqual([a1, a2].sort());
    expect(h.offersFor(f1)).toHaveLength(1);
    expect(h.offersFor(f2)).toHaveLength(1);
  });
});

describe("framework failover (re-SUBSCRIBE with the framework id)", () => {
  it("resumes the framework, closes the old stream and re-sends unacknowledged updates", () => {
    const { h, agent, fid } = launched({ resources: "cpus:1;mem:128" });
    const r1 = h.agentReport(agent, fid, "t1", "TASK_STARTING");
    h.acknowledge(fid, lastUpdate(h, fid));
    const r2 = h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    const oldStream = h.streamOf(fid)!;

    const again = h.subscribe("fw-one", undefined, { frameworkId: fid });

    expect(again.frameworkId).toBe(fid);
    expect(again.streamId).not.toBe(oldStream);
    expect(h.outbox.closed.at(-1)).toMatchObject({ fid, streamId: oldStream, last: { type: "ERROR" } });
    expect(again.events.map((e) => e.type)).toEqual(["SUBSCRIBED", "UPDATE"]);
    expect(again.events[0]).toMatchObject({ subscribed: { framework_id: { value: fid }, heartbeat_interval_seconds: 5 } });
    const resent = again.events[1]!;
    expect(resent.type === "UPDATE" && resent.update.status.uuid).toBe(r2.uuid);
    expect(r1.uuid).not.toBe(r2.uuid);

    // The old stream id no longer works; the new one does.
    expectHttpError(() => h.call(fid, { type: "REVIVE" }, { streamId: oldStream }), 400, /Mesos-Stream-Id/);
    h.acknowledge(fid, lastUpdate(h, fid));
    expect(h.core.updates.get(r2.uuid)?.acked).toBe(true);
    expect(h.core.frameworks.size).toBe(1);
  });

  it("the offers made on the old stream are withdrawn and the resources offered on the new one", () => {
    const { h, fid, offer } = setup();
    h.subscribe("fw-one", undefined, { frameworkId: fid });
    expect(h.core.offers.has(offer.id.value)).toBe(false);
    h.advance(INTERVAL);
    const offers = h.offersFor(fid);
    expect(offers).toHaveLength(1);
    expect(offers[0]!.id.value).not.toBe(offer.id.value);
    expect(scalarOf(offers[0]!.resources, "cpus")).toBe(4);
  });

  it("a broken stream withdraws the framework's offers; a stale stream's break is ignored", () => {
    const { h, fid, offer } = setup();
    h.core.disconnected(fid, "some-old-stream", h.now);
    expect(h.core.offers.has(offer.id.value)).toBe(true);
    h.core.disconnected(fid, h.streamOf(fid)!, h.now);
    expect(h.core.offers.size).toBe(0);
    expect(h.core.frameworkConnected(fid)).toBe(false);
    h.advance(INTERVAL * 5);
    expect(h.core.offers.size).toBe(0); // nobody to offer to
  });
});

describe("agent liveness", () => {
  it("an agent silent past the ping timeout has its offers rescinded; polling again brings it back", () => {
    // Unreachable (partitions.test.ts) only later than the ping timeout.
    const { h, agent, fid, offer } = setup(undefined, { STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "600" });
    h.advance(75_000 - INTERVAL - 1);
    expect(h.eventsOf(fid, "RESCIND")).toEqual([]);
    h.advance(1);
    expect(h.eventsOf(fid, "RESCIND")).toEqual([{ type: "RESCIND", rescind: { offer_id: { value: offer.id.value } } }]);
    expect(h.core.offers.size).toBe(0);
    expect(h.core.agentConnected(agent)).toBe(false);
    h.advance(INTERVAL * 5);
    expect(h.offersFor(fid)).toEqual([]);

    expect(h.fakeAgentPoll(agent)).toBeNull();
    h.advance(INTERVAL);
    expect(h.offersFor(fid).map((o) => o.agent_id.value)).toEqual([agent]);
  });

  it("an agent inside a held poll is not timed out", () => {
    const { h, agent, fid } = setup();
    h.core.pollHeld(agent, 1, h.now);
    h.advance(200_000);
    expect(h.eventsOf(fid, "RESCIND")).toEqual([]);
    h.core.pollHeld(agent, -1, h.now);
    h.advance(75_000);
    expect(h.eventsOf(fid, "RESCIND")).toHaveLength(1);
  });

  it("offers time out when STRATA_OFFER_TIMEOUT_SECONDS is set", () => {
    const { h, fid, offer } = setup(undefined, { STRATA_OFFER_TIMEOUT_SECONDS: "10" });
    h.advance(9_999);
    expect(h.eventsOf(fid, "RESCIND")).toEqual([]);
    h.advance(1);
    expect(h.eventsOf(fid, "RESCIND").map((e) => e.rescind.offer_id.value)).toEqual([offer.id.value]);
    h.advance(INTERVAL);
    expect(h.offersFor(fid)).toHaveLength(1);
  });

  it("status from an unregistered agent is refused (400); a poll from one is told to re-register", () => {
    const h = new MasterHarness();
    expect(h.core.poll({ agent_id: { value: "ghost" }, ack_seq: 0, acked_uuids: [] }, h.now, undefined)).toEqual({ commands: [], acks: [], reregister: true });
    expectHttpError(() => h.core.status({ agent_id: { value: "ghost" }, updates: [{ framework_id: { value: "f" }, status: { task_id: { value: "t" }, state: "TASK_RUNNING", uuid: "u" } }] }, h.now, undefined), 400, /^agent_id:/);
  });
});

describe("status update retries", () => {
  it("a retry with the same uuid is not stored again, forwarded again only after the resend interval; once acknowledged it is answered in `acknowledged`", () => {
    const { h, agent, fid } = launched();
    const { uuid } = h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    const stored = h.store.load().updates;
    const commits = h.store.commits;
    expect(stored).toEqual([]); // the agent keeps it; the master holds it in memory

    // A quick retry: the copy just sent is still on the live stream, so no second one.
    expect(h.agentRetry(agent).acknowledged).toEqual([]);
    expect(h.updates(fid).map((s) => s.uuid)).toEqual([uuid]);
    h.advance(UPDATE_RESEND_INTERVAL_MS - 1);
    h.agentRetry(agent);
    expect(h.updates(fid)).toHaveLength(1);
    // Past the interval with still no acknowledgement: forwarded again (at-least-once).
    h.advance(1);
    const retry = h.agentRetry(agent);
    expect(retry.acknowledged).toEqual([]);
    expect(h.updates(fid).map((s) => s.uuid)).toEqual([uuid, uuid]);
    expect(h.core.updates.size).toBe(1);
    expect(h.store.load().updates).toEqual(stored);
    expect(h.store.commits).toBe(commits);

    h.acknowledge(fid, lastUpdate(h, fid));
    h.acknowledge(fid, lastUpdate(h, fid)); // a duplicate ACK is harmless
    const afterAck = h.agentRetry(agent);
    expect(afterAck.acknowledged).toEqual([uuid]);
    expect(h.updates(fid)).toHaveLength(2); // not forwarded again
    expect(h.outstanding(agent)).toEqual([]);
  });

  it("ACKNOWLEDGE_BATCH acknowledges every update it names; one wrong entry rejects it all, naming the entry", () => {
    const { h, agent, fid } = launched();
    const running = h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    const finished = h.agentReport(agent, fid, "t1", "TASK_FINISHED");
    const ack = (uuid: string, task = "t1") => ({ agent_id: { value: agent }, task_id: { value: task }, uuid });
    const commits = h.store.commits;
    expectHttpError(() => h.call(fid, { type: "ACKNOWLEDGE_BATCH", acknowledge_batch: { acknowledgements: [ack(running.uuid), ack(finished.uuid, "t9")] } }),
      400, /^acknowledge_batch\.acknowledgements\[1\]\.task_id: /);
    expect([...h.core.updates.values()].filter((u) => u.acked)).toEqual([]);
    expect(h.store.commits).toBe(commits);

    h.call(fid, { type: "ACKNOWLEDGE_BATCH", acknowledge_batch: { acknowledgements: [ack(running.uuid), ack(finished.uuid), ack("unknown-uuid")] } });
    expect(h.store.commits).toBe(commits); // acknowledging an agent's updates writes no row
    expect([...h.core.updates.values()].filter((u) => u.acked).map((u) => u.uuid).sort()).toEqual([running.uuid, finished.uuid].sort());
    expect(h.agentRetry(agent).acknowledged.sort()).toEqual([running.uuid, finished.uuid].sort());
  });

  it("a batch carrying a late non-terminal update does not resurrect a finished task", () => {
    const { h, agent, fid } = launched({ resources: "cpus:4;mem:4096;ports:[31000-32000]" });
    h.core.status({ agent_id: { value: agent }, updates: [
      { framework_id: { value: fid }, status: { task_id: { value: "t1" }, state: "TASK_FINISHED", uuid: h.newAgentUuid() } },
      { framework_id: { value: fid }, status: { task_id: { value: "t1" }, state: "TASK_RUNNING", uuid: h.newAgentUuid() } },
    ] }, h.now, h.tokenHashOf(agent));
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_FINISHED");
    expect(h.store.load().tasks.find((t) => t.taskId === "t1")?.state).toBe("TASK_FINISHED");
    h.advance(INTERVAL);
    expect(scalarOf(h.offersFor(fid)[0]!.resources, "cpus")).toBe(4);
  });

  it("an update for a framework that does not exist is acknowledged at once (nobody to deliver to)", () => {
    const { h, agent } = setup();
    const { uuid, response } = h.agentReport(agent, "no-such-framework", "t", "TASK_RUNNING");
    expect(response.acknowledged).toEqual([uuid]);
    expect(h.core.updates.size).toBe(0);
  });
});

describe("chatter writes nothing", () => {
  it("heartbeats, idle ticks and polls with nothing new commit nothing", () => {
    const { h, agent, fid } = launched();
    h.fakeAgentPoll(agent); // reports the LAUNCH taken (a real change)
    const commits = h.store.commits;
    const before = h.eventsOf(fid, "HEARTBEAT").length;
    h.advance(5_000);
    expect(h.eventsOf(fid, "HEARTBEAT")).toHaveLength(before + 1);
    for (let i = 0; i < 5; i++) {
      expect(h.fakeAgentPoll(agent)).toBeNull();
      h.advance(1_000);
    }
    expect(h.eventsOf(fid, "HEARTBEAT").length).toBeGreaterThanOrEqual(before + 2);
    expect(h.store.commits).toBe(commits);
  });

  it("real changes do commit: a registration, a launch, a status update", () => {
    const h = new MasterHarness();
    let commits = h.store.commits;
    const agent = h.addAgent();
    expect(h.store.commits).toBe(++commits);
    const { frameworkId: fid } = h.subscribe("fw");
    expect(h.store.commits).toBe(++commits);
    h.advance(INTERVAL);
    const [offer] = h.offersFor(fid);
    h.accept(fid, [offer!.id.value], [{ taskId: "t1", agentId: agent }]);
    expect(h.store.commits).toBe(++commits);
    expect(h.store.load().commands).toHaveLength(1);
    h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    expect(h.store.commits).toBe(++commits);
  });

  it("tick returns the next deadline: the allocation, then the heartbeat", () => {
    const h = new MasterHarness();
    h.addAgent();
    h.subscribe("fw");
    expect(h.core.nextDeadline(h.now)).toBe(h.now + INTERVAL);
    const next = h.advance(INTERVAL);
    expect(next).toBe(h.now - INTERVAL + 5_000); // heartbeat, 5 s after subscribing
  });
});
