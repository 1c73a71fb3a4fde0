import { describe, expect, it } from "vitest";
import { serveApi } from "../../frameworks/services/services-api.ts";
import { labelsEnv } from "../../frameworks/services/task-env.ts";
import { apiRequest, instance, record, stateOf, uuids } from "../support/services-fixtures.ts";

const ctx = { nowMs: 50_000, uuid: uuids(), role: "*", user: "root" };
const req = apiRequest;
const three = () =>
  stateOf(
    [record({ id: "/web", cmd: "sleep 600", instances: 3 })],
    [instance("old", "/web", { startedAt: 100 }), instance("mid", "/web", { startedAt: 200 }), instance("new", "/web", { startedAt: 300 })],
  );

describe("serveApi: changes", () => {
  it("a scale down stops the surplus, youngest first, and keeps the configuration's time", () => {
    const { answer, changes } = serveApi(three(), req("PUT", "/v2/apps/web", '{"instances":1}'), ctx);
    expect(answer.status).toBe(200);
    expect(changes?.instances.map((i) => [i.taskId, i.goal, i.killAskedAt])).toEqual([
      ["mid", "stopped", 50_000],
      ["new", "stopped", 50_000],
    ]);
    expect(changes?.apps[0]).toMatchObject({ version: 50_000, lastScalingAt: 50_000, lastConfigChangeAt: 1_000 });
  });

  it("a new configuration starts a rolling deployment (nothing stopped at once under 1/1) and forgets the launch delay", () => {
    const state = three();
    state.apps.set("/web", { ...state.apps.get("/web")!, delay: { sinceMs: 1, delayMs: 1_000 } });
    const { answer, changes } = serveApi(state, req("PUT", "/v2/apps/web", '{"cmd":"sleep 700"}'), ctx);
    expect(changes?.instances).toEqual([]);
    expect(changes?.deployments).toEqual([
      {
        id: (answer.json as { deploymentId: string }).deploymentId,
        version: 50_000,
        steps: [[{ action: "RestartApplication", app: "/web" }]],
        currentStep: 0,
        original: { "/web": state.apps.get("/web")!.app },
        strategies: { "/web": { minHealthy: 3, maxCapacity: 6, killImmediately: 0, healthyFloor: 3 } },
      },
    ]);
    expect(answer.headers?.["Marathon-Deployment-Id"]).toBe(changes?.deployments?.[0]?.id);
    expect(changes?.apps[0]).toMatchObject({ app: { cmd: "sleep 700", instances: 3 }, lastConfigChangeAt: 50_000 });
    expect(changes?.apps[0]?.delay).toBeUndefined();
  });

  it("DELETE removes the app and stops all its instances", () => {
    const { answer, changes } = serveApi(three(), req("DELETE", "/v2/apps/web"), ctx);
    expect(answer).toMatchObject({ status: 200, json: { version: "1970-01-01T00:00:50.000Z" } });
    expect(changes?.removedApps).toEqual(["/web"]);
    expect(changes?.instances.every((i) => i.goal === "stopped")).toBe(true);
  });

  it("a PUT of an app that does not exist creates it (201)", () => {
    const { answer, changes } = serveApi(stateOf([]), req("PUT", "/v2/apps/fresh", '{"cmd":"sleep 1"}'), ctx);
    expect(answer.status).toBe(201);
    expect(answer.headers?.Location).toBe("http://m:8787/v2/apps/fresh");
    expect(changes?.apps[0]?.app.id).toBe("/fresh");
  });

  it("GET /v2/apps/{id}/tasks lists the instances in Marathon's task shape", () => {
    const { answer } = serveApi(three(), req("GET", "/v2/apps/web/tasks"), ctx);
    expect((answer.json as { tasks: unknown[] }).tasks[0]).toEqual({
      appId: "/web",
      healthCheckResults: [],
      host: "host1",
      id: "mid",
      ipAddresses: [],
      ports: [],
      servicePorts: [0],
      slaveId: "a1",
      state: "TASK_RUNNING",
      stagedAt: "1970-01-01T00:00:01.000Z",
      startedAt: "1970-01-01T00:00:00.200Z",
      version: "1970-01-01T00:00:01.000Z",
      localVolumes: [],
    });
  });
});

describe("labelsEnv", () => {
  it("escapes label keys as Marathon does", () => {
    expect(labelsEnv({ "com.example/tier": "web", owner: "ops" })).toEqual({
      MARATHON_APP_LABELS: "COM_EXAMPLE_TIER OWNER",
      MARATHON_APP_LABEL_COM_EXAMPLE_TIER: "web",
      MARATHON_APP_LABEL_OWNER: "ops",
    });
  });
});

describe("serveApi: deployments and health checks", () => {
  /** `three()` after a config change, the change's deployment recorded. */
  function deploying() {
    const state = three();
    const served = serveApi(state, req("PUT", "/v2/apps/web", '{"cmd":"sleep 700"}'), { ...ctx, uuid: uuids() });
    for (const a of served.changes!.apps) state.apps.set(a.app.id, a);
    for (const d of served.changes!.deployments!) state.deployments.set(d.id, d);
    return state;
  }

  it("GET /v2/deployments lists the deployment; the app names it", () => {
    const state = deploying();
    const list = serveApi(state, req("GET", "/v2/deployments"), ctx).answer;
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject([{ id: "u1", affectedApps: ["/web"], currentStep: 1, totalSteps: 1 }]);
    expect((serveApi(state, req("GET", "/v2/apps/web"), ctx).answer.json as { app: { deployments: unknown } }).app.deployments).toEqual([{ id: "u1" }]);
  });

  it("a change to a locked app is 409 with Marathon's body; force=true overrides and ends the old deployment", () => {
    const state = deploying();
    for (const [method, path, body] of [
      ["PUT", "/v2/apps/web", '{"cmd":"sleep 800"}'],
      ["PUT", "/v2/apps/web", '{"instances":5}'],
      ["DELETE", "/v2/apps/web", ""],
      ["POST", "/v2/apps/web/restart", ""],
    ] as const) {
      const { answer, changes } = serveApi(state, req(method, path, body), ctx);
      expect(answer.status, `${method} ${path} ${body}`).toBe(409);
      expect(answer.json).toEqual({
        message: "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
        deployments: [{ id: "u1" }],
      });
      expect(changes).toBeUndefined();
    }
    const forced = serveApi(state, req("PUT", "/v2/apps/web", '{"cmd":"sleep 800"}', "force=true"), { ...ctx, uuid: () => "u9" });
    expect(forced.answer.status).toBe(200);
    expect(forced.changes?.removedDeployments).toEqual(["u1"]);
    expect(forced.changes?.deployments?.map((d) => d.id)).toEqual(["u9"]);
  });

  it("DELETE /v2/deployments/{id} rolls back as a new deployment; force=true only stops it; an unknown id is 404", () => {
    const state = deploying();
    const rollback = serveApi(state, req("DELETE", "/v2/deployments/u1"), { ...ctx, uuid: () => "r1" });
    expect(rollback.answer).toMatchObject({ status: 200, json: { deploymentId: "r1" } });
    expect(rollback.changes?.apps[0]?.app.cmd).toBe("sleep 600");
    expect(rollback.changes?.removedDeployments).toEqual(["u1"]);
    const stop = serveApi(state, req("DELETE", "/v2/deployments/u1", "", "force=true"), ctx);
    expect(stop.answer.status).toBe(202);
    expect(stop.changes).toMatchObject({ apps: [], instances: [], removedDeployments: ["u1"] });
    expect(serveApi(state, req("DELETE", "/v2/deployments/nope"), ctx).answer.status).toBe(404);
  });

  it("POST /v2/apps/{id}/restart is a rolling deployment of the same definition at a new version", () => {
    const { answer, changes } = serveApi(three(), req("POST", "/v2/apps/web/restart"), { ...ctx, uuid: () => "rs" });
    expect(answer).toMatchObject({ status: 200, json: { deploymentId: "rs", version: "1970-01-01T00:00:50.000Z" } });
    expect(changes?.apps[0]).toMatchObject({ app: { cmd: "sleep 600" }, version: 50_000, lastConfigChangeAt: 50_000 });
    expect(changes?.deployments?.[0]).toMatchObject({ id: "rs", steps: [[{ action: "RestartApplication", app: "/web" }]] });
    expect(serveApi(three(), req("POST", "/v2/apps/nope/restart"), ctx).answer.status).toBe(404);
  });

  it("Mesos health checks are accepted; the HTTP, HTTPS and TCP checks Marathon ran itself are refused naming the field", () => {
    const ok = serveApi(stateOf([]), req("POST", "/v2/apps", JSON.stringify({ id: "/hc", cmd: "sleep 1", healthChecks: [{ protocol: "MESOS_HTTP" }] })), ctx);
    expect(ok.answer.status).toBe(201);
    expect((ok.answer.json as { healthChecks: unknown[] }).healthChecks).toMatchObject([
      { protocol: "MESOS_HTTP", intervalSeconds: 60, maxConsecutiveFailures: 3 },
    ]);
    const bad = serveApi(stateOf([]), req("POST", "/v2/apps", JSON.stringify({ id: "/hc", cmd: "sleep 1", healthChecks: [{ protocol: "TCP" }] })), ctx);
    expect(bad.answer.status).toBe(422);
    expect(bad.answer.json).toMatchObject({ details: [{ path: "/healthChecks(0)/protocol", errors: [expect.stringContaining("MESOS_TCP")] }] });
  });

  it("counts healthy and unhealthy tasks and shows each task's healthCheckResults", () => {
    const state = stateOf(
      [record({ id: "/web", cmd: "sleep 600", instances: 2, healthChecks: [{ protocol: "MESOS_TCP" }] })],
      [
        instance("web.instance-a._app.1", "/web", { health: { alive: true, consecutiveFailures: 0, firstSuccess: 2_000, lastSuccess: 3_000 } }),
        instance("web.instance-b._app.1", "/web", { health: { alive: false, consecutiveFailures: 1, lastFailure: 4_000, lastFailureCause: "refused" } }),
      ],
    );
    const app = (serveApi(state, req("GET", "/v2/apps/web"), ctx).answer.json as { app: Record<string, unknown> }).app;
    expect(app).toMatchObject({ tasksRunning: 2, tasksHealthy: 1, tasksUnhealthy: 1 });
    expect((app.tasks as Array<{ healthCheckResults: unknown }>)[1]!.healthCheckResults).toEqual([
      {
        alive: false,
        consecutiveFailures: 1,
        firstSuccess: null,
        lastFailure: "1970-01-01T00:00:04.000Z",
        lastFailureCause: "refused",
        lastSuccess: null,
        instanceId: "web.instance-b",
      },
    ]);
  });
});
