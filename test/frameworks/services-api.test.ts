import { describe, expect, it } from "vitest";
import { type ApiRequest, serveApi } from "../../frameworks/services/services-api.ts";
import { labelsEnv } from "../../frameworks/services/task-env.ts";
import { instance, record, stateOf, uuids } from "../support/services-fixtures.ts";

const ctx = { nowMs: 50_000, uuid: uuids(), role: "*", user: "root" };
const req = (method: string, path: string, body = "", query = ""): ApiRequest => ({
  method,
  path,
  query: new URLSearchParams(query),
  body,
  origin: "http://m:8787",
});
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

  it("a new configuration replaces every instance and forgets the launch delay", () => {
    const state = three();
    state.apps.set("/web", { ...state.apps.get("/web")!, delay: { sinceMs: 1, delayMs: 1_000 } });
    const { changes } = serveApi(state, req("PUT", "/v2/apps/web", '{"cmd":"sleep 700"}'), ctx);
    expect(changes?.instances.map((i) => i.taskId).sort()).toEqual(["mid", "new", "old"]);
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
