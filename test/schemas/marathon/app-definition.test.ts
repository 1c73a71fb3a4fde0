/**
 * Marathon app definitions: a definition from Marathon's docs parses with every default filled
 * (Marathon's values, field by field) and survives a round trip; ids are made canonical; each
 * bad field is refused with Marathon's status, message, path and error key; every field is bounded.
 */
import { describe, expect, it } from "vitest";
import {
  ID_PATTERN_ERROR,
  ID_RESERVED_ERROR,
  isMarathonRefusal,
  type MarathonApp,
  type MarathonRefusal,
  parseAppDefinition,
} from "../../../schemas/marathon/index.ts";

/** The app a definition parses to (fails the test on a refusal). */
function parsed(body: unknown, base?: string): MarathonApp {
  const r = parseAppDefinition(body, base);
  if (isMarathonRefusal(r)) throw new Error(`refused: ${JSON.stringify(r)}`);
  return r.app;
}

/** The refusal a definition gets (fails the test when it is accepted). */
function refused(body: unknown): MarathonRefusal {
  const r = parseAppDefinition(body);
  if (!isMarathonRefusal(r)) throw new Error(`accepted: ${JSON.stringify(r.app)}`);
  return r;
}

describe("defaults", () => {
  it("a minimal definition gets every Marathon default", () => {
    expect(parsed({ id: "web", cmd: "sleep 100" })).toEqual({
      id: "/web",
      cmd: "sleep 100",
      env: {},
      instances: 1,
      cpus: 1,
      mem: 128,
      disk: 0,
      gpus: 0,
      executor: "",
      constraints: [],
      fetch: [],
      storeUrls: [],
      backoffSeconds: 1,
      backoffFactor: 1.15,
      maxLaunchDelaySeconds: 300,
      healthChecks: [],
      readinessChecks: [],
      dependencies: [],
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      labels: {},
      networks: [{ mode: "host" }],
      portDefinitions: [{ port: 0, protocol: "tcp", name: "default", labels: {} }],
      requirePorts: false,
      secrets: {},
      killSelection: "YOUNGEST_FIRST",
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    });
  });

  it("health checks get Marathon's defaults (HTTP, 300 s grace, 60 s interval, 20 s timeout, 3 failures, 15 s delay, port index 0)", () => {
    const app = parsed({
      id: "/h",
      cmd: "serve",
      healthChecks: [
        {},
        { protocol: "command", command: { value: "true" }, portIndex: 0, delaySeconds: 5 },
        { protocol: "MESOS_TCP", port: 8080, path: "/x", delaySeconds: 5 },
      ],
    });
    const timing = { gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3 };
    expect(app.healthChecks).toEqual([
      { protocol: "HTTP", portIndex: 0, ignoreHttp1xx: false, ...timing, delaySeconds: 15 },
      { protocol: "COMMAND", command: { value: "true" }, ...timing, delaySeconds: 5 },
      { protocol: "MESOS_TCP", port: 8080, ...timing, delaySeconds: 5 },
    ]);
  });

  it("a check Marathon runs itself (HTTP, HTTPS, TCP) keeps the default delay, as Marathon writes it back", () => {
    const app = parsed({
      id: "/h",
      cmd: "serve",
      healthChecks: [
        { protocol: "TCP", delaySeconds: 5, ignoreHttp1xx: true },
        { protocol: "HTTPS", delaySeconds: 5, path: "/ok" },
      ],
    });
    expect(app.healthChecks.map((h) => [h.delaySeconds, h.ignoreHttp1xx, h.path])).toEqual([
      [15, undefined, undefined],
      [15, false, "/ok"],
    ]);
  });

  it("readiness checks get Marathon's defaults", () => {
    const app = parsed({ id: "/r", cmd: "serve", portDefinitions: [{ port: 0, name: "http-api" }], readinessChecks: [{}] });
    expect(app.readinessChecks).toEqual([
      {
        name: "readinessCheck",
        protocol: "HTTP",
        path: "/",
        portName: "http-api",
        intervalSeconds: 30,
        timeoutSeconds: 10,
        httpStatusCodesForReady: [200],
        preserveLastResponse: false,
      },
    ]);
  });

  it("a resident app (persistent volume) gets a residency, upgradeStrategy 0.5/0 and no unreachable strategy", () => {
    const app = parsed({
      id: "/db",
      cmd: "postgres",
      container: { type: "MESOS", volumes: [{ containerPath: "pgdata", mode: "RW", persistent: { size: 100 } }] },
    });
    expect(app.residency).toEqual({ relaunchEscalationTimeoutSeconds: 3600, taskLostBehavior: "WAIT_FOREVER" });
    expect(app.upgradeStrategy).toEqual({ minimumHealthCapacity: 0.5, maximumOverCapacity: 0 });
    expect(app.unreachableStrategy).toBe("disabled");
    expect(app.container).toEqual({
      type: "MESOS",
      volumes: [{ containerPath: "pgdata", mode: "RW", persistent: { type: "root", size: 100, constraints: [] } }],
    });
  });

  it("a single-instance app without an upgrade strategy keeps the default one (Marathon checks only one sent)", () => {
    const app = parsed({ id: "/one", cmd: "run", labels: { MARATHON_SINGLE_INSTANCE_APP: "true" } });
    expect(app.upgradeStrategy).toEqual({ minimumHealthCapacity: 1, maximumOverCapacity: 1 });
  });

  it("a bridged Docker app gets one default port mapping (host port 0) and no port definitions", () => {
    const app = parsed({
      id: "/nginx",
      container: { type: "DOCKER", docker: { image: "nginx" } },
      networks: [{ mode: "container/bridge" }],
      requirePorts: true,
    });
    expect(app.portDefinitions).toBeUndefined();
    expect(app.requirePorts).toBe(false);
    expect(app.container).toEqual({
      type: "DOCKER",
      docker: { image: "nginx", forcePullImage: false, privileged: false, parameters: [] },
      volumes: [],
      portMappings: [{ containerPort: 0, hostPort: 0, labels: {}, name: "default", protocol: "tcp", servicePort: 0 }],
    });
  });

  it("the deprecated ports, uris and docker.network become portDefinitions, fetch and networks", () => {
    const app = parsed({ id: "/old", cmd: "run", ports: [0, 9000], uris: ["http://x/a.tgz", "http://x/b.jar"] });
    expect(app.portDefinitions).toEqual([
      { port: 0, protocol: "tcp", labels: {} },
      { port: 9000, protocol: "tcp", labels: {} },
    ]);
    expect(app.fetch).toEqual([
      { uri: "http://x/a.tgz", extract: true, executable: false, cache: false },
      { uri: "http://x/b.jar", extract: false, executable: false, cache: false },
    ]);
    const bridged = parsed({ id: "/b", container: { type: "DOCKER", docker: { image: "i", network: "BRIDGE", portMappings: [{ containerPort: 80 }] } } });
    expect(bridged.networks).toEqual([{ mode: "container/bridge" }]);
    expect(bridged.container?.portMappings).toEqual([{ containerPort: 80, hostPort: 0, labels: {}, protocol: "tcp", servicePort: 0 }]);
  });

  it("enums read case-insensitively, as Marathon's readers do, and are kept in their canonical spelling", () => {
    const app = parsed({
      id: "/e",
      container: { type: "docker", docker: { image: "i" } },
      killSelection: "oldest_first",
      healthChecks: [{ protocol: "mesos_http" }],
    });
    expect(app.container?.type).toBe("DOCKER");
    expect(app.killSelection).toBe("OLDEST_FIRST");
    expect(app.healthChecks[0]!.protocol).toBe("MESOS_HTTP");
  });

  it("constraints: operators read case-insensitively and kept in capitals; CLUSTER's value, GROUP_BY's and IS's are optional", () => {
    const constraints = [
      ["hostname", "unique"],
      ["rack", "cluster"],
      ["zone", "group_by"],
      ["zone", "Group_By", "3"],
      ["rack", "MAX_PER", "-2"],
      ["os", "is", "linux"],
      ["@region", "LIKE", ""],
    ];
    expect(parsed({ id: "/c", cmd: "run", constraints }).constraints).toEqual([
      ["hostname", "UNIQUE"],
      ["rack", "CLUSTER"],
      ["zone", "GROUP_BY"],
      ["zone", "GROUP_BY", "3"],
      ["rack", "MAX_PER", "-2"],
      ["os", "IS", "linux"],
      ["@region", "LIKE", ""],
    ]);
  });

  it("null is an absent field (the default applies), unknown fields are dropped", () => {
    const app = parsed({ id: "/n", cmd: "run", cpus: null, tasksRunning: 3, someFutureField: { a: 1 } });
    expect(app.cpus).toBe(1);
    expect(app).not.toHaveProperty("tasksRunning");
    expect(app).not.toHaveProperty("someFutureField");
  });
});

/** The full example of Marathon's REST API docs (POST /v2/apps), trimmed of the features Strata refuses. */
const DOCS_EXAMPLE = {
  id: "/product/service/my-app",
  cmd: "env && sleep 300",
  cpus: 1.5,
  mem: 256.0,
  portDefinitions: [
    { port: 8080, protocol: "tcp", name: "http", labels: { VIP_0: "10.0.0.1:80" } },
    { port: 9000, protocol: "tcp", name: "admin" },
  ],
  requirePorts: false,
  instances: 3,
  executor: "",
  env: { LD_LIBRARY_PATH: "/usr/local/lib/myLib" },
  constraints: [
    ["hostname", "UNIQUE"],
    ["rack_id", "GROUP_BY", "3"],
    ["hostname", "LIKE", "[a-z]+"],
  ],
  acceptedResourceRoles: ["role1", "*"],
  labels: { environment: "staging" },
  fetch: [
    { uri: "https://raw.github.com/mesosphere/marathon/master/README.md" },
    { uri: "https://foo.com/archive.zip", executable: false, extract: true, cache: true },
  ],
  dependencies: ["/product/db/mongo", "/product/db", "../../db"],
  healthChecks: [
    { protocol: "HTTP", path: "/health", portIndex: 0, gracePeriodSeconds: 3, intervalSeconds: 10, timeoutSeconds: 10, maxConsecutiveFailures: 3 },
    { protocol: "HTTP", path: "/machinehealth", port: 3333, gracePeriodSeconds: 3, intervalSeconds: 10, timeoutSeconds: 10 },
    { protocol: "TCP", portIndex: 1, gracePeriodSeconds: 3, intervalSeconds: 5, timeoutSeconds: 5 },
    { protocol: "COMMAND", command: { value: "curl -f -X GET http://$HOST:$PORT0/health" }, maxConsecutiveFailures: 3 },
  ],
  backoffSeconds: 1,
  backoffFactor: 1.15,
  maxLaunchDelaySeconds: 300,
  taskKillGracePeriodSeconds: 2,
  upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.2 },
  readinessChecks: [
    { name: "readiness", protocol: "HTTP", path: "/ready", portName: "http", intervalSeconds: 30, timeoutSeconds: 10, httpStatusCodesForReady: [200, 201] },
  ],
  killSelection: "YOUNGEST_FIRST",
  unreachableStrategy: { inactiveAfterSeconds: 60, expungeAfterSeconds: 120 },
};

describe("a definition from Marathon's docs", () => {
  it("parses, keeps what it says and resolves relative dependencies against the app's group", () => {
    const app = parsed(DOCS_EXAMPLE);
    expect(app.id).toBe("/product/service/my-app");
    expect(app.dependencies).toEqual(["/product/db/mongo", "/product/db", "/db"]);
    expect(app.fetch[0]).toEqual({ uri: "https://raw.github.com/mesosphere/marathon/master/README.md", extract: true, executable: false, cache: false });
    expect(app.healthChecks[3]).toMatchObject({ protocol: "COMMAND", gracePeriodSeconds: 300, delaySeconds: 15 });
    expect(app.healthChecks[0]).toMatchObject({ portIndex: 0, timeoutSeconds: 10 });
    expect(app.upgradeStrategy).toEqual({ minimumHealthCapacity: 0.5, maximumOverCapacity: 0.2 });
    expect(app.taskKillGracePeriodSeconds).toBe(2);
  });

  it("survives a round trip: the parsed app parses to itself", () => {
    const app = parsed(DOCS_EXAMPLE);
    expect(parsed(JSON.parse(JSON.stringify(app)))).toEqual(app);
    const minimal = parsed({ id: "/m", cmd: "sleep 1" });
    expect(parsed(JSON.stringify(minimal))).toEqual(minimal);
  });
});

describe("ids", () => {
  it.each([
    ["web", "/web"],
    ["/prod/web/", "/prod/web"],
    ["//prod/web", "/prod/web"],
    ["prod//web", "/prod/web"],
    ["/prod/x/../web", "/prod/web"],
    ["/a.b-c/d1", "/a.b-c/d1"],
  ])("%s is %s", (raw, id) => {
    expect(parsed({ id: raw, cmd: "run" }).id).toBe(id);
  });

  it("a relative id resolves against the base group", () => {
    expect(parsed({ id: "web", cmd: "run" }, "/prod").id).toBe("/prod/web");
  });

  it.each([
    ["/Web", 422, "Invalid JSON", "/id", "error.pattern"],
    ["/a b", 422, "Invalid JSON", "/id", "error.pattern"],
    ["/-dash", 422, "Invalid JSON", "/id", "error.pattern"],
    ["/prod/./web", 422, "Invalid JSON", "/id", "error.pattern"],
    ["/a-.b", 422, "Object is not valid", "/id", ID_PATTERN_ERROR],
    ["/app/tasks", 422, "Object is not valid", "/id", ID_RESERVED_ERROR],
    ["/app/versions", 422, "Object is not valid", "/id", ID_RESERVED_ERROR],
    ["/", 422, "Object is not valid", "/", "must not be root"],
  ])("%s is refused: %i %s at %s", (raw, status, message, path, error) => {
    const r = refused({ id: raw, cmd: "run" });
    expect(r.status).toBe(status);
    expect(r.body.message).toBe(message);
    expect(r.body.details).toContainEqual({ path, errors: [error] });
  });
});
