import { describe, expect, it } from "vitest";
import { advanceDeployments, deploymentJson, startDeployment } from "../../frameworks/services/deployments.ts";
import { missingInstances } from "../../frameworks/services/offer-planner.ts";
import type { AppRecord, InstanceRecord, ServicesState } from "../../frameworks/services/service-records.ts";
import { instance, record, stateOf } from "../support/services-fixtures.ts";

const checked = { id: "/web", cmd: "sleep 600", instances: 2, healthChecks: [{ protocol: "MESOS_HTTP" }] };
const healthy = { alive: true, consecutiveFailures: 0, firstSuccess: 1, lastSuccess: 1 };

/** The state after a config change to `definition` at 50 s over `old` instances, with the deployment started. */
function rolling(definition: Record<string, unknown>, old: InstanceRecord[]): ServicesState {
  const before = stateOf([record(definition)], old);
  const next: AppRecord = record({ ...definition, cmd: "sleep 700" }, 50_000);
  const state = stateOf([next], old);
  const started = startDeployment(before, state, ["/web"], "d1", 50_000);
  if ("cycle" in started) throw new Error(started.cycle);
  for (const s of started.stops) state.instances.set(s.taskId, s);
  state.deployments.set(started.deployment.id, started.deployment);
  return state;
}
const launch = (state: ServicesState, id: string, extra: Partial<InstanceRecord> = {}) =>
  state.instances.set(id, instance(id, "/web", { version: 50_000, state: "TASK_STAGING", ...extra }));
const step = (state: ServicesState) => {
  const out = advanceDeployments(state, 60_000);
  for (const s of out.stops) state.instances.set(s.taskId, s);
  for (const d of out.advanced) state.deployments.set(d.id, d);
  for (const d of out.finished) state.deployments.delete(d.id);
  return { stops: out.stops.map((s) => s.taskId), finished: out.finished.map((d) => d.id) };
};

describe("deployments: a rolling restart", () => {
  it("with health checks, an old instance is stopped only once a new one is healthy, and the deployment ends with the last old one", () => {
    const state = rolling(checked, [instance("o1", "/web", { health: healthy }), instance("o2", "/web", { health: healthy })]);
    expect([...state.instances.values()].every((i) => i.goal === "running")).toBe(true); // 1/1: nothing at once
    expect(missingInstances(state, state.apps.get("/web")!)).toBe(2); // capacity 4, two old
    launch(state, "n1");
    launch(state, "n2");
    expect(missingInstances(state, state.apps.get("/web")!)).toBe(0);
    expect(step(state)).toEqual({ stops: [], finished: [] });
    launch(state, "n1", { state: "TASK_RUNNING" }); // running, not yet reported healthy
    expect(step(state)).toEqual({ stops: [], finished: [] });
    launch(state, "n1", { state: "TASK_RUNNING", health: healthy });
    expect(step(state)).toEqual({ stops: ["o1"], finished: [] });
    launch(state, "n2", { state: "TASK_RUNNING", health: { ...healthy, alive: false } });
    expect(step(state)).toEqual({ stops: [], finished: [] });
    launch(state, "n2", { state: "TASK_RUNNING", health: healthy });
    expect(step(state)).toEqual({ stops: ["o2"], finished: [] });
    state.instances.delete("o1");
    state.instances.delete("o2");
    expect(step(state)).toEqual({ stops: [], finished: ["d1"] });
    expect(missingInstances(state, state.apps.get("/web")!)).toBe(0);
  });

  it("without health checks, a running new instance counts as healthy", () => {
    const state = rolling({ id: "/web", cmd: "sleep 600", instances: 1 }, [instance("o1", "/web")]);
    launch(state, "n1");
    expect(step(state).stops).toEqual([]);
    launch(state, "n1", { state: "TASK_RUNNING" });
    expect(step(state).stops).toEqual(["o1"]);
  });

  it("minimumHealthCapacity 0.5, maximumOverCapacity 0: half the old instances go at once, the rest one per healthy new one", () => {
    const upgradeStrategy = { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 };
    const state = rolling(
      { id: "/web", cmd: "sleep 600", instances: 4, upgradeStrategy },
      ["a", "b", "c", "d"].map((id) => instance(id, "/web")),
    );
    expect([...state.instances.values()].filter((i) => i.goal === "stopped").map((i) => i.taskId)).toEqual(["a", "b"]);
    expect(state.deployments.get("d1")?.strategies["/web"]).toEqual({ minHealthy: 2, maxCapacity: 4, killImmediately: 2, healthyFloor: 2 });
    expect(missingInstances(state, state.apps.get("/web")!)).toBe(0); // the stopping ones still take capacity
    state.instances.delete("a");
    state.instances.delete("b");
    expect(missingInstances(state, state.apps.get("/web")!)).toBe(2);
  });

  it("a deployment whose app is gone, or was changed again since, is over", () => {
    const state = rolling(checked, [instance("o1", "/web")]);
    state.apps.delete("/web");
    expect(step(state)).toEqual({ stops: [], finished: ["d1"] });
  });

  it("reads as Marathon's DeploymentPlan with its current actions", () => {
    const state = rolling(checked, [instance("o1", "/web")]);
    expect(deploymentJson(state.deployments.get("d1")!)).toEqual({
      id: "d1",
      version: "1970-01-01T00:00:50.000Z",
      affectedApps: ["/web"],
      affectedPods: [],
      steps: [{ actions: [{ action: "RestartApplication", app: "/web" }] }],
      currentActions: [{ action: "RestartApplication", app: "/web", readinessCheckResults: [] }],
      currentStep: 1,
      totalSteps: 1,
    });
  });
});

describe("deployments: unreachable instances", () => {
  it("a new instance that became inactive (unreachable too long) is not counted: the deployment starts a replacement", () => {
    const state = rolling(checked, [instance("o1", "/web", { health: healthy }), instance("o2", "/web", { health: healthy })]);
    launch(state, "n1");
    launch(state, "n2");
    expect(missingInstances(state, state.apps.get("/web")!)).toBe(0);
    launch(state, "n2", { state: "TASK_UNREACHABLE", unreachableSince: 55_000 }); // unreachable: still counted
    expect(missingInstances(state, state.apps.get("/web")!)).toBe(0);
    launch(state, "n2", { state: "TASK_UNREACHABLE", unreachableSince: 55_000, inactive: true });
    expect(missingInstances(state, state.apps.get("/web")!)).toBe(1);
  });
});
