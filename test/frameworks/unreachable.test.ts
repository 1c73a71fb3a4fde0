import { describe, expect, it } from "vitest";
import { missingInstances } from "../../frameworks/services/offer-planner.ts";
import { applyStatus } from "../../frameworks/services/status-planner.ts";
import { unreachableSince, unreachableSteps } from "../../frameworks/services/unreachable.ts";
import type { TaskStatus } from "../../schemas/mesos.ts";
import { instance, record, stateOf } from "../support/services-fixtures.ts";

const status = (taskId: string, state: TaskStatus["state"], extra: Partial<TaskStatus> = {}): TaskStatus => ({
  task_id: { value: taskId },
  agent_id: { value: "a1" },
  state,
  ...extra,
});
const def = (unreachableStrategy: unknown, extra: Record<string, unknown> = {}) => ({
  id: "/web",
  cmd: "sleep 600",
  instances: 1,
  ...(unreachableStrategy !== undefined ? { unreachableStrategy } : {}),
  ...extra,
});
const strategy = { inactiveAfterSeconds: 10, expungeAfterSeconds: 60 };
/** An instance of /web unreachable since 100 s (ms since the epoch). */
const lost = (taskId: string, extra = {}) => instance(taskId, "/web", { state: "TASK_UNREACHABLE", unreachableSince: 100_000, ...extra });

describe("unreachableSteps: inactive after inactiveAfterSeconds, expunged after expungeAfterSeconds", () => {
  it.each([
    ["within inactiveAfterSeconds: nothing", strategy, {}, 110_000, [], []],
    ["past inactiveAfterSeconds: inactive", strategy, {}, 110_001, ["t1"], []],
    ["already inactive: nothing new", strategy, { inactive: true }, 150_000, [], []],
    ["at expungeAfterSeconds: not yet", strategy, { inactive: true }, 160_000, [], []],
    ["past expungeAfterSeconds: expunged", strategy, { inactive: true }, 160_001, [], ["t1"]],
    ["past both at once (no tick between): expunged", strategy, {}, 500_000, [], ["t1"]],
    ["Marathon's default 0/0: expunged as soon as time passes", undefined, {}, 100_001, [], ["t1"]],
    ["0/0 at the very instant: nothing yet", undefined, {}, 100_000, [], []],
    ["equal times (0/30): inactive at once, expunged after 30 s", { inactiveAfterSeconds: 0, expungeAfterSeconds: 30 }, {}, 100_001, ["t1"], []],
    ['"disabled": never inactive', "disabled", {}, 10_000_000, [], []],
    ["a stopped instance is expunged too", strategy, { goal: "stopped" }, 160_001, [], ["t1"]],
  ] as const)("%s", (_name, unreachable, extra, now, inactive, expunged) => {
    const state = stateOf([record(def(unreachable))], [lost("t1", extra)]);
    const steps = unreachableSteps(state, now);
    expect(steps.inactive.map((i) => i.taskId)).toEqual(inactive);
    for (const i of steps.inactive) expect(i).toEqual({ ...state.instances.get("t1"), inactive: true });
    expect(steps.expunged).toEqual(expunged);
  });

  it("leaves reachable instances, those of an app that is gone, and TASK_UNREACHABLE without a time alone", () => {
    const state = stateOf(
      [record(def(strategy))],
      [instance("running", "/web"), lost("orphan", { appId: "/gone" }), instance("untimed", "/web", { state: "TASK_UNREACHABLE" })],
    );
    expect(unreachableSteps(state, 10_000_000)).toEqual({ inactive: [], expunged: [] });
  });
});

describe("unreachableSince", () => {
  it.each([
    ["the master's unreachable_time (ns)", { unreachable_time: { nanoseconds: 42_000_000_000 }, timestamp: 50 }, undefined, 42_000],
    ["… given as a string", { unreachable_time: { nanoseconds: "42000000000" } }, undefined, 42_000],
    ["else the time already recorded", { timestamp: 50 }, 30_000, 30_000],
    ["else the update's timestamp (s)", { timestamp: 50.5 }, undefined, 50_500],
    ["else now", {}, undefined, 99_000],
  ] as const)("%s", (_name, extra, recorded, expected) => {
    const i = instance("t1", "/web", recorded !== undefined ? { state: "TASK_UNREACHABLE", unreachableSince: recorded } : {});
    expect(unreachableSince(i, status("t1", "TASK_UNREACHABLE", extra as Partial<TaskStatus>), 99_000)).toBe(expected);
  });
});

describe("missingInstances with unreachable instances", () => {
  it.each([
    ["an unreachable instance still counts", {}, 0],
    ["an inactive one does not: a replacement is wanted", { inactive: true as const }, 1],
  ])("%s", (_name, extra, missing) => {
    const r = record(def(strategy));
    expect(missingInstances(stateOf([r], [lost("t1", extra)]), r)).toBe(missing);
  });
});

describe("applyStatus with unreachable tasks", () => {
  it("TASK_UNREACHABLE keeps the instance, recording since when; no failure", () => {
    const state = stateOf([record(def(strategy))], [instance("t1", "/web")]);
    const out = applyStatus(state, status("t1", "TASK_UNREACHABLE", { unreachable_time: { nanoseconds: 100_000_000_000 } }), 101_000);
    expect(out).toEqual({ instance: { ...state.instances.get("t1"), state: "TASK_UNREACHABLE", unreachableSince: 100_000 } });
  });

  it("a TASK_UNREACHABLE sent again keeps the instance inactive", () => {
    const state = stateOf([record(def(strategy))], [lost("t1", { inactive: true })]);
    const out = applyStatus(state, status("t1", "TASK_UNREACHABLE", { unreachable_time: { nanoseconds: 100_000_000_000 } }), 150_000);
    expect(out.instance).toEqual(state.instances.get("t1"));
  });

  it("a task back before it was inactive is simply running again", () => {
    const state = stateOf([record(def(strategy))], [lost("t1")]);
    const { unreachableSince: _s, ...back } = state.instances.get("t1")!;
    expect(applyStatus(state, status("t1", "TASK_RUNNING"), 105_000)).toEqual({ instance: { ...back, state: "TASK_RUNNING" } });
  });

  it.each([
    ["YOUNGEST_FIRST (default) stops the replacement", "YOUNGEST_FIRST", "new"],
    ["OLDEST_FIRST stops the instance that came back", "OLDEST_FIRST", "old"],
  ])("an inactive instance back while its replacement runs: %s", (_name, killSelection, stopped) => {
    const state = stateOf(
      [record(def(strategy, { killSelection }))],
      [lost("old", { inactive: true, startedAt: 1_000 }), instance("new", "/web", { stagedAt: 120_000, startedAt: 121_000 })],
    );
    const out = applyStatus(state, status("old", "TASK_RUNNING"), 200_000);
    const all = [out.instance!, ...(out.stops ?? [])];
    expect(all.filter((i) => i.goal === "stopped").map((i) => [i.taskId, i.killAskedAt])).toEqual([[stopped, 200_000]]);
    expect(out.instance).toMatchObject({ taskId: "old", state: "TASK_RUNNING" });
    expect(out.instance).not.toHaveProperty("inactive");
    expect(out.instance).not.toHaveProperty("unreachableSince");
  });

  it("an inactive instance back before its replacement was launched: nothing to stop", () => {
    const state = stateOf([record(def(strategy))], [lost("old", { inactive: true })]);
    const out = applyStatus(state, status("old", "TASK_RUNNING"), 200_000);
    expect(out.stops).toBeUndefined();
    expect(out.instance).toMatchObject({ taskId: "old", state: "TASK_RUNNING", goal: "running" });
  });

  it("TASK_UNKNOWN (reconciliation of a task the master never heard of) ends a running instance as a failure", () => {
    const state = stateOf([record(def(strategy))], [instance("t1", "/web", { state: "TASK_STAGING" })]);
    const out = applyStatus(state, status("t1", "TASK_UNKNOWN"), 5_000);
    expect(out.removed).toBe("t1");
    expect(out.app?.lastTaskFailure).toMatchObject({ taskId: "t1", state: "TASK_UNKNOWN" });
  });
});
