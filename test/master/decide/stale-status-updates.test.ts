/**
 * A copy of an agent's status update that reaches the master after the update was acknowledged
 * and forgotten (a status call that timed out or was reset, still on its way while the agent
 * retried, learnt the acknowledgement and confirmed it in a poll): it must neither move the
 * task back to an earlier state nor reach the framework again as a new update.
 */
import { describe, expect, it } from "vitest";
import { staleAgentUpdate } from "../../../master-worker/src/decide/agent-calls.ts";
import type { TaskStatus } from "../../../schemas/index.ts";
import { parseMessage, StatusRequest } from "../../../schemas/index.ts";
import { launched } from "../../support/core-fixture.ts";
import type { MasterHarness } from "../../support/master-harness.ts";
import { orThrow } from "../../support/refused.ts";

/** Sends `status` again as the agent sent it (same uuid): a late copy of an earlier call. */
function lateCopy(h: MasterHarness, agent: string, fid: string, status: TaskStatus) {
  const { agent_id: _added, ...sent } = status;
  const req = parseMessage(StatusRequest, { agent_id: { value: agent }, updates: [{ framework_id: { value: fid }, status: sent }] });
  return orThrow(h.core.status(req, h.now, h.tokenHashOf(agent)));
}

/** Reports `states` for t1, one call each, has the framework acknowledge them all and the agent confirm them. */
function reportedAndForgotten(states: TaskStatus["state"][]) {
  const s = launched();
  const { h, agent, fid } = s;
  const sent: TaskStatus[] = [];
  for (const state of states) {
    h.agentReport(agent, fid, "t1", state);
    sent.push(h.updates(fid).at(-1)!);
    h.advance(1);
  }
  for (const status of h.updates(fid)) h.acknowledge(fid, status);
  h.fakeAgentPoll(agent); // learns the acknowledgements
  h.fakeAgentPoll(agent); // confirms them: the master forgets them
  expect(h.core.updates.size).toBe(0);
  return { ...s, sent };
}

describe("a late copy of an acknowledged, forgotten agent update", () => {
  it("does not move a RUNNING task back to TASK_STARTING, nor reach the framework again; the agent is told it is acknowledged", () => {
    const { h, agent, fid, sent } = reportedAndForgotten(["TASK_STARTING", "TASK_RUNNING"]);
    const before = h.updates(fid).length;
    const res = lateCopy(h, agent, fid, sent[0]!);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING");
    expect(res.acknowledged).toEqual([sent[0]!.uuid]);
    expect(h.core.tasks.get(`${fid}/t1`)?.status?.uuid).toBe(sent[1]!.uuid);
    expect(h.updates(fid)).toHaveLength(before);
    expect(h.core.updates.size).toBe(0);
  });

  it("a late copy of the latest update changes nothing (it is delivered again: it cannot be told from a retry after a failover)", () => {
    const { h, agent, fid, sent } = reportedAndForgotten(["TASK_STARTING", "TASK_RUNNING"]);
    lateCopy(h, agent, fid, sent[1]!);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING");
    expect(h.updates(fid).at(-1)).toMatchObject({ state: "TASK_RUNNING", uuid: sent[1]!.uuid });
  });

  it("an earlier health report does not overwrite a later one of the same state", () => {
    const s = launched();
    const { h, agent, fid } = s;
    h.agentReport(agent, fid, "t1", "TASK_RUNNING", { healthy: false });
    const unhealthy = h.updates(fid).at(-1)!;
    h.advance(1000);
    h.agentReport(agent, fid, "t1", "TASK_RUNNING", { healthy: true });
    for (const status of h.updates(fid)) h.acknowledge(fid, status);
    h.fakeAgentPoll(agent);
    h.fakeAgentPoll(agent);
    const before = h.updates(fid).length;
    expect(lateCopy(h, agent, fid, unhealthy).acknowledged).toEqual([unhealthy.uuid]);
    expect(h.core.tasks.get(`${fid}/t1`)?.status?.healthy).toBe(true);
    expect(h.updates(fid)).toHaveLength(before);
  });

  it("a non-terminal copy after the agent's terminal update is not forwarded", () => {
    const { h, agent, fid, sent } = reportedAndForgotten(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
    const before = h.updates(fid).length;
    expect(lateCopy(h, agent, fid, sent[1]!).acknowledged).toEqual([sent[1]!.uuid]);
    expect(h.updates(fid)).toHaveLength(before);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_FINISHED");
  });
});

describe("updates that move a task on are still applied", () => {
  it("STARTING and RUNNING with the same timestamp in one call: the task ends RUNNING", () => {
    const { h, agent, fid } = launched();
    const at = h.now / 1000;
    const status = (state: TaskStatus["state"]) => ({ task_id: { value: "t1" }, state, source: "SOURCE_EXECUTOR", timestamp: at, uuid: h.newAgentUuid() });
    const req = parseMessage(StatusRequest, {
      agent_id: { value: agent },
      updates: [status("TASK_STARTING"), status("TASK_RUNNING")].map((s) => ({ framework_id: { value: fid }, status: s })),
    });
    expect(orThrow(h.core.status(req, h.now, h.tokenHashOf(agent))).acknowledged).toEqual([]);
    expect(h.updates(fid).map((u) => u.state)).toEqual(["TASK_STARTING", "TASK_RUNNING"]);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING");
  });

  it("a RUNNING update whose timestamp is behind the STARTING one (agent clock stepped back) still moves the task on", () => {
    const { h, agent, fid } = launched();
    h.agentReport(agent, fid, "t1", "TASK_STARTING");
    h.agentReport(agent, fid, "t1", "TASK_RUNNING", { timestamp: h.now / 1000 - 5 });
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING");
    expect(h.updates(fid).map((u) => u.state)).toEqual(["TASK_STARTING", "TASK_RUNNING"]);
  });
});

describe("after a master failover (agent updates are kept in memory only)", () => {
  // Retries of STARTING and RUNNING together reach the framework in order (restart.test.ts).
  it("a retry of STARTING alone, the task's RUNNING acknowledged already, is acknowledged and leaves the task RUNNING", () => {
    const { h, agent, fid } = launched();
    const starting = h.agentReport(agent, fid, "t1", "TASK_STARTING").uuid;
    h.advance(1);
    h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    h.acknowledge(fid, h.updates(fid).at(-1)!); // RUNNING only
    h.fakeAgentPoll(agent);
    h.fakeAgentPoll(agent);
    expect(h.outstanding(agent)).toEqual([starting]);
    h.restart();
    h.fakeAgentPoll(agent);
    h.subscribe("fw", undefined, { frameworkId: fid });
    const before = h.updates(fid).length;
    expect(h.agentRetry(agent).acknowledged).toEqual([starting]);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING");
    expect(h.updates(fid)).toHaveLength(before);
  });
});

describe("a late copy of a whole earlier request", () => {
  it("STARTING and RUNNING both acknowledged and forgotten, sent again together: delivered again in order, the task ends RUNNING", () => {
    const { h, agent, fid, sent } = reportedAndForgotten(["TASK_STARTING", "TASK_RUNNING"]);
    const req = parseMessage(StatusRequest, {
      agent_id: { value: agent },
      updates: sent.map(({ agent_id: _added, ...status }) => ({ framework_id: { value: fid }, status })),
    });
    const before = h.updates(fid).length;
    orThrow(h.core.status(req, h.now, h.tokenHashOf(agent)));
    expect(
      h
        .updates(fid)
        .slice(before)
        .map((u) => u.state),
    ).toEqual(["TASK_STARTING", "TASK_RUNNING"]);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING");
  });

  it("STARTING forgotten and RUNNING still held (unacknowledged): STARTING is acknowledged, the task stays RUNNING", () => {
    const { h, agent, fid } = launched();
    h.agentReport(agent, fid, "t1", "TASK_STARTING");
    h.advance(1);
    h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    const [starting, running] = h.updates(fid).slice(-2) as [TaskStatus, TaskStatus];
    h.acknowledge(fid, starting);
    h.fakeAgentPoll(agent);
    h.fakeAgentPoll(agent);
    const req = parseMessage(StatusRequest, {
      agent_id: { value: agent },
      updates: [starting, running].map(({ agent_id: _added, ...status }) => ({ framework_id: { value: fid }, status })),
    });
    expect(orThrow(h.core.status(req, h.now + 60_000, h.tokenHashOf(agent))).acknowledged).toEqual([starting.uuid]);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING");
  });
});

describe("staleAgentUpdate", () => {
  const at = (state: TaskStatus["state"], timestamp: number, extra: Partial<TaskStatus> = {}): TaskStatus => ({
    task_id: { value: "t" },
    state,
    source: "SOURCE_EXECUTOR",
    timestamp,
    uuid: `${state}@${timestamp}`,
    ...extra,
  });
  it.each([
    ["no status yet", false, undefined, at("TASK_STARTING", 1)],
    ["RUNNING, then a copy of STARTING", true, at("TASK_RUNNING", 2), at("TASK_STARTING", 1)],
    ["RUNNING, then STARTING with the same timestamp", true, at("TASK_RUNNING", 1), at("TASK_STARTING", 1)],
    ["KILLING, then RUNNING", true, at("TASK_KILLING", 2), at("TASK_RUNNING", 1)],
    ["FINISHED, then RUNNING", true, at("TASK_FINISHED", 2), at("TASK_RUNNING", 1)],
    ["STARTING, then RUNNING", false, at("TASK_STARTING", 1), at("TASK_RUNNING", 2)],
    ["STARTING, then RUNNING stamped earlier (clock stepped back)", false, at("TASK_STARTING", 2), at("TASK_RUNNING", 1)],
    ["RUNNING, then an earlier RUNNING", true, at("TASK_RUNNING", 2, { healthy: true }), at("TASK_RUNNING", 1, { healthy: false })],
    ["RUNNING, then a later RUNNING", false, at("TASK_RUNNING", 1), at("TASK_RUNNING", 2, { healthy: true })],
    ["RUNNING, then RUNNING with the same timestamp", false, at("TASK_RUNNING", 1), at("TASK_RUNNING", 1, { healthy: true, uuid: "other" })],
    ["a copy of the latest itself", false, at("TASK_RUNNING", 1), at("TASK_RUNNING", 1)],
    ["RUNNING, then a terminal state stamped earlier", false, at("TASK_RUNNING", 2), at("TASK_FAILED", 1)],
    ["master-made UNREACHABLE, then STARTING", false, at("TASK_UNREACHABLE", 9, { source: "SOURCE_MASTER" }), at("TASK_STARTING", 1)],
    ["master-made RUNNING (agent back), then STARTING", false, at("TASK_RUNNING", 9, { source: "SOURCE_MASTER" }), at("TASK_STARTING", 1)],
  ] as const)("%s → stale: %s", (_name, stale, current, update) => {
    expect(staleAgentUpdate(current, update)).toBe(stale);
  });
});
