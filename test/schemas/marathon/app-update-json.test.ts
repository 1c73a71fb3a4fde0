/**
 * Updating an app as PUT (partial by default, `partialUpdate=false` replaces) and PATCH do in
 * Marathon, and the app's answer to GET `/v2/apps/{id}`: the definition, `version`,
 * `versionInfo`, the counts, deployments, tasks and last failure, timestamps in UTC ending in Z.
 */
import { describe, expect, it } from "vitest";
import {
  APP_SHOW_EMBEDS,
  type AppRuntime,
  appJson,
  isMarathonRefusal,
  type MarathonApp,
  mergeAppUpdate,
  parseAppDefinition,
  queryBoolean,
  VERSION_ONLY_WITH_ID,
} from "../../../schemas/marathon/index.ts";

function parsed(body: unknown): MarathonApp {
  const r = parseAppDefinition(body);
  if (isMarathonRefusal(r)) throw new Error(`refused: ${JSON.stringify(r)}`);
  return r.app;
}

function updated(existing: MarathonApp, body: unknown, partial = true): MarathonApp {
  const r = mergeAppUpdate(existing, body, partial);
  if (!("app" in r)) throw new Error(`not an app: ${JSON.stringify(r)}`);
  return r.app;
}

const existing = parsed({
  id: "/prod/web",
  cmd: "python3 -m http.server $PORT0",
  cpus: 0.5,
  mem: 64,
  instances: 2,
  labels: { team: "a" },
  healthChecks: [{ protocol: "MESOS_HTTP", path: "/" }],
});

describe("mergeAppUpdate", () => {
  it("a partial update changes only the fields sent", () => {
    const app = updated(existing, { instances: 5 });
    expect(app).toEqual({ ...existing, instances: 5 });
  });

  it("a field sent replaces the app's whole field (maps and lists are not merged)", () => {
    const app = updated(existing, { labels: { owner: "b" }, healthChecks: [] });
    expect(app.labels).toEqual({ owner: "b" });
    expect(app.healthChecks).toEqual([]);
    expect(app.cmd).toBe(existing.cmd);
  });

  it("null in a partial update is an absent field: the app's value stays", () => {
    expect(updated(existing, { cpus: null, mem: 32 })).toEqual({ ...existing, mem: 32 });
  });

  it("the id is the path's: an id in the body does not move the app", () => {
    expect(updated(existing, { id: "/elsewhere", instances: 1 }).id).toBe("/prod/web");
  });

  it("partialUpdate=false replaces the definition: fields not sent take their defaults", () => {
    const app = updated(existing, { cmd: "sleep 100" }, false);
    expect(app.id).toBe("/prod/web");
    expect(app.cpus).toBe(1);
    expect(app.mem).toBe(128);
    expect(app.instances).toBe(1);
    expect(app.labels).toEqual({});
    expect(app.healthChecks).toEqual([]);
  });

  it("moving to a bridge network drops the host port definitions for a default port mapping", () => {
    const app = updated(existing, { networks: [{ mode: "container/bridge" }], container: { type: "DOCKER", docker: { image: "python:3" } } });
    expect(app.portDefinitions).toBeUndefined();
    expect(app.container?.portMappings).toEqual([{ containerPort: 0, hostPort: 0, labels: {}, name: "default", protocol: "tcp", servicePort: 0 }]);
  });

  it("a single-instance app with the default strategy can be updated (the strategy rules look at what is sent)", () => {
    const single = parsed({ id: "/one", cmd: "run", labels: { MARATHON_SINGLE_INSTANCE_APP: "true" } });
    expect(updated(single, { cmd: "run again" }).cmd).toBe("run again");
    expect(mergeAppUpdate(single, { upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } })).toMatchObject({
      status: 422,
      body: { details: [{ path: "/upgradeStrategy/minimumHealthCapacity", errors: ["got 1.0, expected 0.0"] }] },
    });
  });

  it("moving back to host networking drops the port mappings for a default port definition", () => {
    const bridged = updated(existing, { networks: [{ mode: "container/bridge" }], container: { type: "DOCKER", docker: { image: "python:3" } } });
    const host = updated(bridged, { networks: [{ mode: "host" }] });
    expect(host.container?.portMappings).toBeUndefined();
    expect(host.portDefinitions).toEqual([{ port: 0, protocol: "tcp", name: "default", labels: {} }]);
  });

  it("the deprecated ports replace the port definitions", () => {
    expect(updated(existing, { ports: [8080] }).portDefinitions).toEqual([{ port: 8080, protocol: "tcp", labels: {} }]);
  });

  it("a body of version (and id) alone asks for a rollback", () => {
    expect(mergeAppUpdate(existing, { id: "/prod/web", version: "2026-12-01T10:00:00.000Z" })).toEqual({ rollbackTo: "2026-12-01T10:00:00.000Z" });
  });

  it("version with other fields is refused as Marathon does", () => {
    expect(mergeAppUpdate(existing, { version: "2026-12-01T10:00:00.000Z", instances: 3 })).toEqual({
      status: 422,
      body: { message: "Object is not valid", details: [{ path: "/", errors: [VERSION_ONLY_WITH_ID] }] },
    });
  });

  it("a bad field is refused at its path, and the merged definition's rules are checked", () => {
    expect(mergeAppUpdate(existing, { instances: -1 })).toEqual({
      status: 422,
      body: { message: "Invalid JSON", details: [{ path: "/instances", errors: ["error.min"] }] },
    });
    expect(mergeAppUpdate(existing, { healthChecks: [{ protocol: "MESOS_HTTP" }, { protocol: "MESOS_TCP" }] })).toEqual({
      status: 422,
      body: { message: "Object is not valid", details: [{ path: "/", errors: ["AppDefinition can contain at most one Mesos health check"] }] },
    });
    expect(mergeAppUpdate(existing, '{"instances":')).toMatchObject({ status: 400, body: { message: "Invalid JSON" } });
  });
});

const T0 = Date.UTC(2026, 11, 7, 21, 0, 0, 0);
const runtime: AppRuntime = {
  version: T0 + 3000,
  lastScalingAt: T0 + 3000,
  lastConfigChangeAt: T0,
  staged: 1,
  running: 2,
  healthy: 2,
  unhealthy: 0,
  deployments: ["5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43"],
  tasks: [{ id: "prod_web.abc", appId: "/prod/web" }],
};

describe("appJson", () => {
  it("a minimal app answers exactly Marathon's fields, timestamps in UTC ending in Z", () => {
    const app = parsed({ id: "/sleep", cmd: "sleep 1000", cpus: 0.1, mem: 32 });
    expect(JSON.parse(JSON.stringify(appJson(app, runtime)))).toEqual({
      id: "/sleep",
      backoffFactor: 1.15,
      backoffSeconds: 1,
      cmd: "sleep 1000",
      constraints: [],
      cpus: 0.1,
      dependencies: [],
      disk: 0,
      env: {},
      executor: "",
      fetch: [],
      gpus: 0,
      healthChecks: [],
      instances: 1,
      labels: {},
      maxLaunchDelaySeconds: 300,
      mem: 32,
      networks: [{ mode: "host" }],
      portDefinitions: [{ port: 0, protocol: "tcp", name: "default", labels: {} }],
      readinessChecks: [],
      requirePorts: false,
      secrets: {},
      storeUrls: [],
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      version: "2026-12-07T21:00:03.000Z",
      versionInfo: { lastScalingAt: "2026-12-07T21:00:03.000Z", lastConfigChangeAt: "2026-12-07T21:00:00.000Z" },
      killSelection: "YOUNGEST_FIRST",
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
      tasksStaged: 1,
      tasksRunning: 2,
      tasksHealthy: 2,
      tasksUnhealthy: 0,
      deployments: [{ id: "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43" }],
      tasks: [{ id: "prod_web.abc", appId: "/prod/web" }],
    });
  });

  it("GET /v2/apps/{id} embeds tasks, counts, deployments and lastTaskFailure by default", () => {
    expect(APP_SHOW_EMBEDS).toEqual({ tasks: true, counts: true, deployments: true, lastTaskFailure: true });
    const failure = { appId: "/prod/web", message: "Command exited with status 1", state: "TASK_FAILED" };
    expect(appJson(existing, { ...runtime, lastTaskFailure: failure }).lastTaskFailure).toEqual(failure);
  });

  it("without embeds: no counts, deployments, tasks nor failure; readiness and taskStats only when asked", () => {
    const json = appJson(existing, { ...runtime, lastTaskFailure: {}, taskStats: { startedAfterLastScaling: {} } }, {});
    for (const key of [
      "tasksStaged",
      "tasksRunning",
      "tasksHealthy",
      "tasksUnhealthy",
      "deployments",
      "tasks",
      "lastTaskFailure",
      "readinessCheckResults",
      "taskStats",
    ]) {
      expect(json).not.toHaveProperty(key);
    }
    const asked = appJson(existing, { ...runtime, taskStats: { totalSummary: {} } }, { readiness: true, taskStats: true });
    expect(asked.readinessCheckResults).toEqual([]);
    expect(asked.taskStats).toEqual({ totalSummary: {} });
  });

  it("a GET answer sent back as a definition parses to the same app (clients PUT what they GET)", () => {
    const body = JSON.parse(JSON.stringify(appJson(existing, runtime)));
    expect(parsed(body)).toEqual(existing);
  });
});

describe("queryBoolean (Java's Boolean.valueOf, as Jersey reads Marathon's query parameters)", () => {
  it.each<[string | null, boolean, boolean]>([
    ["true", false, true],
    ["True", false, true],
    ["TRUE", false, true],
    ["False", true, false],
    ["false", true, false],
    ["yes", true, false],
    ["1", true, false],
    ["", true, false],
    [null, true, true],
    [null, false, false],
  ])("%s (default %s) is %s", (raw, fallback, value) => {
    expect(queryBoolean(raw, fallback)).toBe(value);
  });
});
