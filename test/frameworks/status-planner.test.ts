import { describe, expect, it } from "vitest";
import { applyStatus, quietLaunches } from "../../frameworks/services/status-planner.ts";
import type { TaskStatus } from "../../schemas/mesos.ts";
import { instance, record, stateOf } from "../support/services-fixtures.ts";

const status = (taskId: string, state: TaskStatus["state"], message?: string): TaskStatus => ({
  task_id: { value: taskId },
  agent_id: { value: "a1" },
  state,
  ...(message ? { message } : {}),
});
const sleepy = { id: "/sleepy", cmd: "sleep 600", instances: 1 };

describe("applyStatus", () => {
  it("records the state, and the start time on the first TASK_RUNNING", () => {
    const state = stateOf([record(sleepy)], [instance("t1", "/sleepy", { state: "TASK_STAGING", startedAt: undefined })]);
    expect(applyStatus(state, status("t1", "TASK_RUNNING"), 5_000)).toEqual({
      instance: { ...state.instances.get("t1"), state: "TASK_RUNNING", startedAt: 5_000 },
    });
  });

  it("a task of a running instance that fails: the instance goes, the delay starts at backoffSeconds, the failure is recorded", () => {
    const state = stateOf([record(sleepy)], [instance("t1", "/sleepy")]);
    const out = applyStatus(state, status("t1", "TASK_FAILED", "Command exited with status 1"), 5_000);
    expect(out.removed).toBe("t1");
    expect(out.app?.delay).toEqual({ sinceMs: 5_000, delayMs: 1_000 });
    expect(out.app?.lastTaskFailure).toEqual({
      appId: "/sleepy",
      host: "host1",
      message: "Command exited with status 1",
      state: "TASK_FAILED",
      taskId: "t1",
      timestamp: "1970-01-01T00:00:05.000Z",
      version: "1970-01-01T00:00:01.000Z",
      slaveId: "a1",
    });
  });

  it("a second failure multiplies the delay by backoffFactor", () => {
    const state = stateOf([record(sleepy, 1_000, { delay: { sinceMs: 5_000, delayMs: 1_000 } })], [instance("t2", "/sleepy")]);
    expect(applyStatus(state, status("t2", "TASK_LOST"), 7_000).app?.delay).toEqual({ sinceMs: 7_000, delayMs: 1_150 });
  });

  it.each([
    ["an instance being stopped ends", instance("t1", "/sleepy", { goal: "stopped" }), "TASK_FAILED"],
    ["a running instance is killed", instance("t1", "/sleepy"), "TASK_KILLED"],
  ] as const)("no failure when %s", (_name, inst, state) => {
    expect(applyStatus(stateOf([record(sleepy)], [inst]), status("t1", state), 5_000)).toEqual({ removed: "t1" });
  });

  it("an unknown task still alive is to be killed; an unknown task that ended is nothing", () => {
    expect(applyStatus(stateOf([]), status("x", "TASK_RUNNING"), 1)).toEqual({ killUnknown: { taskId: "x", agentId: "a1" } });
    expect(applyStatus(stateOf([]), status("x", "TASK_FINISHED"), 1)).toEqual({});
  });
});

describe("quietLaunches", () => {
  it("names the running instances still TASK_STAGING more than 30 s after their launch", () => {
    const state = stateOf(
      [record(sleepy)],
      [
        instance("quiet", "/sleepy", { state: "TASK_STAGING", stagedAt: 1_000 }),
        instance("recent", "/sleepy", { state: "TASK_STAGING", stagedAt: 20_000 }),
        instance("heard", "/sleepy", { state: "TASK_STARTING", stagedAt: 1_000 }),
        instance("stopping", "/sleepy", { state: "TASK_STAGING", stagedAt: 1_000, goal: "stopped" }),
      ],
    );
    expect(quietLaunches(state, 40_000).map((i) => i.taskId)).toEqual(["quiet"]);
  });
});

describe("applyStatus: health", () => {
  const checked = { id: "/sleepy", cmd: "sleep 600", instances: 1, healthChecks: [{ protocol: "MESOS_TCP" }] };

  it("an update's `healthy` becomes the instance's health", () => {
    const state = stateOf([record(checked)], [instance("t1", "/sleepy")]);
    const out = applyStatus(state, { ...status("t1", "TASK_RUNNING"), healthy: true }, 7_000);
    expect(out.instance?.health).toEqual({ alive: true, consecutiveFailures: 0, firstSuccess: 7_000, lastSuccess: 7_000 });
    const sick = applyStatus(stateOf([record(checked)], [out.instance!]), { ...status("t1", "TASK_RUNNING", "HTTP 404"), healthy: false }, 8_000);
    expect(sick.instance?.health).toMatchObject({ alive: false, consecutiveFailures: 1, lastFailure: 8_000, lastFailureCause: "HTTP 404" });
  });

  it("a task the agent killed for failing its health checks is a failure: the instance goes and lastTaskFailure is set", () => {
    const state = stateOf([record(checked)], [instance("t1", "/sleepy")]);
    const killed = {
      ...status("t1", "TASK_KILLED", "3 consecutive health checks failed"),
      reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED" as const,
      healthy: false,
    };
    const out = applyStatus(state, killed, 9_000);
    expect(out.removed).toBe("t1");
    expect(out.app?.lastTaskFailure).toMatchObject({ state: "TASK_KILLED", message: "3 consecutive health checks failed", taskId: "t1" });
    expect(applyStatus(state, status("t1", "TASK_KILLED"), 9_000)).toEqual({ removed: "t1" }); // killed otherwise: no failure
  });
});
