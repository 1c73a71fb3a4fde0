/**
 * Multi-step deployments (deployments.ts: Marathon's DeploymentPlan steps, a step only after the
 * one before is done) and the tracking of every app change as a deployment (deployment-api.ts).
 */
import { describe, expect, it } from "vitest";
import type { ApiChanges } from "../../frameworks/services/api-types.ts";
import { trackDeployments } from "../../frameworks/services/deployment-api.ts";
import { advanceDeployments, deploymentJson, planSteps, storedDeployment } from "../../frameworks/services/deployments.ts";
import { deploymentEvent, groupChangeEvent } from "../../frameworks/services/event-json.ts";
import { missingInstances } from "../../frameworks/services/offer-planner.ts";
import type { AppRecord, ServicesState } from "../../frameworks/services/service-records.ts";
import { type ApiRequest, serveApi } from "../../frameworks/services/services-api.ts";
import { applyChanges } from "../../frameworks/services/services-store.ts";
import { apiRequest, instance, record, stateOf, uuids } from "../support/services-fixtures.ts";

const apps = (...records: AppRecord[]) => new Map(records.map((r) => [r.app.id, r]));
const a1 = record({ id: "/g/a", cmd: "sleep 600", instances: 1 });
const b1 = record({ id: "/g/b", cmd: "sleep 600", instances: 1, dependencies: ["a"] });

describe("planSteps: Marathon's DeploymentPlan steps", () => {
  const cases: Array<[string, Map<string, AppRecord>, Map<string, AppRecord>, Array<Array<[string, string]>>]> = [
    ["a new app starts, then scales", apps(), apps(a1), [[["StartApplication", "/g/a"]], [["ScaleApplication", "/g/a"]]]],
    [
      "a new group: every app started at once, scaled in dependency order",
      apps(),
      apps(a1, b1),
      [
        [
          ["StartApplication", "/g/a"],
          ["StartApplication", "/g/b"],
        ],
        [["ScaleApplication", "/g/a"]],
        [["ScaleApplication", "/g/b"]],
      ],
    ],
    ["a scale change", apps(a1), apps({ ...a1, app: { ...a1.app, instances: 3 }, version: 2_000 }), [[["ScaleApplication", "/g/a"]]]],
    ["a new configuration restarts", apps(a1), apps(record({ id: "/g/a", cmd: "sleep 700" }, 2_000)), [[["RestartApplication", "/g/a"]]]],
    [
      "a restart: the same definition, a new configuration time",
      apps(a1),
      apps({ ...a1, version: 2_000, lastConfigChangeAt: 2_000 }),
      [[["RestartApplication", "/g/a"]]],
    ],
    [
      "a new configuration of 0 instances only scales",
      apps(a1),
      apps(record({ id: "/g/a", cmd: "sleep 700", instances: 0 }, 2_000)),
      [[["ScaleApplication", "/g/a"]]],
    ],
    ["a removed app stops", apps(a1), apps(), [[["StopApplication", "/g/a"]]]],
    ["nothing changed: no step", apps(a1), apps(a1), []],
    [
      "stops first, then starts, then the dependency steps",
      apps(record({ id: "/old", cmd: "sleep 1" }), { ...a1 }),
      apps({ ...a1, version: 2_000, lastConfigChangeAt: 2_000 }, b1),
      [[["StopApplication", "/old"]], [["StartApplication", "/g/b"]], [["RestartApplication", "/g/a"]], [["ScaleApplication", "/g/b"]]],
    ],
    ["a dependency on an app not in the change is left out", apps(), apps(b1), [[["StartApplication", "/g/b"]], [["ScaleApplication", "/g/b"]]]],
  ];
  it.each(cases)("%s", (_name, original, target, expected) => {
    const planned = planSteps(original, target);
    expect(planned).toEqual({ steps: expected.map((s) => s.map(([action, app]) => ({ action, app }))) });
  });

  it("group-level dependencies order the apps of the group after those they name", () => {
    const x = record({ id: "/g/x/web", cmd: "sleep 1" });
    const y = record({ id: "/g/y/db", cmd: "sleep 1" });
    const planned = planSteps(apps(), apps(x, y), [{ id: "/g/x", dependencies: ["/g/y"] }]);
    expect("steps" in planned && planned.steps.slice(1).map((s) => s.map((a) => a.app))).toEqual([["/g/y/db"], ["/g/x/web"]]);
  });

  it("a dependency cycle is refused, naming it", () => {
    const a = record({ id: "/a", cmd: "sleep 1", dependencies: ["/b"] });
    const b = record({ id: "/b", cmd: "sleep 1", dependencies: ["/a"] });
    expect(planSteps(apps(), apps(a, b))).toEqual({ cycle: "Dependency graph has cyclic dependencies: /a -> /b -> /a" });
  });
});

const ctx = { nowMs: 50_000, uuid: uuids(), role: "*", user: "root" };
const req = apiRequest;
/** Serves `r` as the object does (the change tracked as a deployment) and applies its changes. */
function serve(state: ServicesState, r: ApiRequest, nowMs = ctx.nowMs) {
  const served = trackDeployments(state, serveApi(state, r, { ...ctx, nowMs }), nowMs);
  if (served.changes) apply(state, served.changes);
  return served;
}
const apply = (state: ServicesState, c: ApiChanges) => applyChanges(state, c);
/** One round of the deployments' progress, applied. */
function progress(state: ServicesState, nowMs = 60_000) {
  const out = advanceDeployments(state, nowMs);
  applyChanges(state, { instances: out.stops, deployments: out.advanced, removedDeployments: out.finished.map((d) => d.id) });
  return out;
}
const healthy = { alive: true, consecutiveFailures: 0, firstSuccess: 1, lastSuccess: 1 };

describe("a group deployment runs its steps in dependency order", () => {
  const group = {
    id: "/g",
    apps: [
      { id: "a", cmd: "sleep 600", instances: 2, healthChecks: [{ protocol: "COMMAND", command: { value: "true" } }] },
      { id: "b", cmd: "sleep 600", dependencies: ["a"] },
    ],
  };

  it("b launches nothing until a runs all its instances healthy; then b's step begins; then the deployment is over", () => {
    const state = stateOf([]);
    const created = serve(state, req("POST", "/v2/groups", group));
    expect(created.answer.status).toBe(201);
    const id = (created.answer.json as { deploymentId: string }).deploymentId;
    const a = () => state.apps.get("/g/a")!;
    const b = () => state.apps.get("/g/b")!;
    progress(state); // StartApplication is done at once
    expect(deploymentJson(state.deployments.get(id)!)).toMatchObject({
      affectedApps: ["/g/a", "/g/b"],
      currentStep: 2,
      totalSteps: 3,
      currentActions: [{ action: "ScaleApplication", app: "/g/a", readinessCheckResults: [] }],
    });
    expect([missingInstances(state, a()), missingInstances(state, b())]).toEqual([2, 0]);
    state.instances.set("a1", instance("a1", "/g/a", { version: 50_000 }));
    state.instances.set("a2", instance("a2", "/g/a", { version: 50_000 }));
    expect(progress(state).stepsDone).toEqual([]); // running, not yet healthy
    expect(missingInstances(state, b())).toBe(0);
    state.instances.set("a1", instance("a1", "/g/a", { version: 50_000, health: healthy }));
    state.instances.set("a2", instance("a2", "/g/a", { version: 50_000, health: healthy }));
    expect(progress(state).stepsDone.map((s) => s.step)).toEqual([1]);
    expect(deploymentJson(state.deployments.get(id)!)).toMatchObject({ currentStep: 3, currentActions: [{ action: "ScaleApplication", app: "/g/b" }] });
    expect(missingInstances(state, b())).toBe(1);
    state.instances.set("b1", instance("b1", "/g/b", { version: 50_000 }));
    const done = progress(state);
    expect(done.stepsDone.map((s) => s.step)).toEqual([2]);
    expect(done.finished.map((d) => d.id)).toEqual([id]);
    expect(state.deployments.size).toBe(0);
  });

  it("a change to a locked app is 409 naming the deployment; force=true ends it", () => {
    const state = stateOf([]);
    const id = (serve(state, req("POST", "/v2/groups", group)).answer.json as { deploymentId: string }).deploymentId;
    const locked = serve(state, req("PUT", "/v2/groups/g", { scaleBy: 2 }));
    expect(locked.answer).toMatchObject({ status: 409, json: { deployments: [{ id }] } });
    expect(serve(state, req("PUT", "/v2/apps/g/b", { instances: 3 })).answer.status).toBe(409);
    const forced = serve(state, req("PUT", "/v2/groups/g", { scaleBy: 2 }, "force=true"));
    expect(forced.answer.status).toBe(200);
    expect(forced.changes?.removedDeployments).toEqual([id]);
    expect([state.apps.get("/g/a")?.app.instances, state.apps.get("/g/b")?.app.instances]).toEqual([4, 2]);
  });
});

describe("app changes are tracked deployments", () => {
  const settled = () =>
    stateOf([record({ id: "/web", cmd: "sleep 600", instances: 2 })], [instance("w1", "/web"), instance("w2", "/web", { startedAt: 1_200 })]);

  it("a creation is the deployment its answer names, holding the app until its instances run", () => {
    const state = stateOf([]);
    const created = serve(state, req("POST", "/v2/apps", { id: "/new", cmd: "sleep 1", instances: 1 }));
    const id = created.answer.headers?.["Marathon-Deployment-Id"];
    expect(
      state.deployments
        .get(id!)
        ?.steps.flat()
        .map((a) => a.action),
    ).toEqual(["StartApplication", "ScaleApplication"]);
    expect(serve(state, req("PUT", "/v2/apps/new", { instances: 2 })).answer.status).toBe(409);
    progress(state);
    state.instances.set("n1", instance("n1", "/new", { version: 50_000 }));
    expect(progress(state).finished.map((d) => d.id)).toEqual([id]);
  });

  it("a scale down is a ScaleApplication, over once the surplus is gone", () => {
    const state = settled();
    const scaled = serve(state, req("PUT", "/v2/apps/web", { instances: 1 }));
    const id = (scaled.answer.json as { deploymentId: string }).deploymentId;
    expect(deploymentJson(state.deployments.get(id)!)).toMatchObject({ steps: [{ actions: [{ action: "ScaleApplication", app: "/web" }] }] });
    expect(progress(state).finished).toEqual([]);
    state.instances.delete("w2");
    expect(progress(state).finished.map((d) => d.id)).toEqual([id]);
  });

  it("a delete is a StopApplication, over once no instance is left; rolling it back brings the app back", () => {
    const state = settled();
    const deleted = serve(state, req("DELETE", "/v2/apps/web"));
    const id = (deleted.answer.json as { deploymentId: string }).deploymentId;
    expect(state.deployments.get(id)?.steps).toEqual([[{ action: "StopApplication", app: "/web" }]]);
    const back = serve(state, req("DELETE", `/v2/deployments/${id}`), 70_000);
    expect(back.answer.status).toBe(200);
    expect(state.apps.get("/web")?.app.instances).toBe(2);
    expect(state.deployments.has(id)).toBe(false);
    const rollback = state.deployments.get((back.answer.json as { deploymentId: string }).deploymentId);
    expect(rollback?.steps.flat()).toEqual([
      { action: "StartApplication", app: "/web" },
      { action: "ScaleApplication", app: "/web" },
    ]);
  });

  it("rolling back a creation removes the app", () => {
    const state = stateOf([]);
    const id = (serve(state, req("POST", "/v2/apps", { id: "/new", cmd: "sleep 1" })).answer.json as { deployments: Array<{ id: string }> }).deployments[0]!.id;
    serve(state, req("DELETE", `/v2/deployments/${id}`));
    expect(state.apps.has("/new")).toBe(false);
  });
});

describe("deployment rows and events", () => {
  it("a row of the first schema (one app's rolling restart) reads as a one-step RestartApplication", () => {
    const strategy = { minHealthy: 1, maxCapacity: 2, killImmediately: 0, healthyFloor: 1 };
    expect(storedDeployment({ id: "d", appId: "/web", version: 5, previous: a1.app, strategy })).toEqual({
      id: "d",
      version: 5,
      steps: [[{ action: "RestartApplication", app: "/web" }]],
      currentStep: 0,
      original: { "/web": a1.app },
      strategies: { "/web": strategy },
    });
  });

  it("deployment_step_success names the step that ended; group_change_success the group and version", () => {
    const state = stateOf([]);
    const created = serve(state, req("POST", "/v2/groups", { id: "/g", apps: [{ id: "a", cmd: "sleep 1" }] }));
    const d = created.changes!.deployments![0]!;
    const e = deploymentEvent("deployment_step_success", d, new Map([["/g/a", state.apps.get("/g/a")!.app]]), 60_000, 1);
    expect(e).toMatchObject({
      eventType: "deployment_step_success",
      timestamp: "1970-01-01T00:01:00.000Z",
      currentStep: { actions: [{ action: "ScaleApplication", app: "/g/a" }] },
      plan: { id: d.id, original: { id: "/", apps: [] }, target: { apps: [{ id: "/g/a" }] }, steps: [{ actions: [{ action: "StartApplication" }] }, {}] },
    });
    expect(groupChangeEvent("/g", 50_000, 60_000)).toEqual({
      eventType: "group_change_success",
      timestamp: "1970-01-01T00:01:00.000Z",
      groupId: "/g",
      version: "1970-01-01T00:00:50.000Z",
    });
  });
});
