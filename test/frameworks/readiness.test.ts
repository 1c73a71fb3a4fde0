import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceDeployments } from "../../frameworks/services/deployments.ts";
import { notYetLaunched } from "../../frameworks/services/not-yet-launched.ts";
import { dueReadinessProbes, type ReadinessProbe, readinessCheckResults, readinessResult, readinessUrl } from "../../frameworks/services/readiness.ts";
import { PRESERVED_BODY_BYTES, runReadinessProbe } from "../../frameworks/services/readiness-runner.ts";
import type { InstanceRecord, ServicesState } from "../../frameworks/services/service-records.ts";
import { serveApi } from "../../frameworks/services/services-api.ts";
import { app, instance, record, rollingChangeOf, stateOf } from "../support/services-fixtures.ts";

const ready = { portDefinitions: [{ port: 0, name: "http-api" }], readinessChecks: [{ path: "/ready", intervalSeconds: 2, timeoutSeconds: 1 }] };
const apiCtx = { nowMs: 60_000, uuid: () => "u", role: "*", user: "root" };
const web = { id: "/web", cmd: "sleep 600", instances: 1, ...ready };

const rolling = rollingChangeOf;
const put = (state: ServicesState, id: string, extra: Partial<InstanceRecord> = {}) =>
  state.instances.set(id, instance(id, "/web", { version: 50_000, host: "h1", ports: [31005], ...extra }));
const probeIds = (state: ServicesState, asked = new Map<string, number>(), now = 60_000) => dueReadinessProbes(state, asked, now).map((p) => p.taskId);

describe("readiness checks (Marathon's ReadinessCheckExecutor and ReadinessBehavior)", () => {
  it.each([
    ["a port definition named by portName", web, { host: "h1", ports: [31000, 31001] }, "http://h1:31000/ready"],
    [
      "the second port, over HTTPS",
      { ...web, portDefinitions: [{ name: "admin" }, { name: "http-api" }], readinessChecks: [{ protocol: "HTTPS" }] },
      { host: "h1", ports: [31000, 31001] },
      "https://h1:31001/",
    ],
    [
      "a bridged port mapping",
      {
        ...web,
        portDefinitions: undefined,
        container: { docker: { image: "busybox" }, portMappings: [{ containerPort: 8080, name: "http-api" }] },
        networks: [{ mode: "container/bridge" }],
      },
      { host: "h2", ports: [31007] },
      "http://h2:31007/ready",
    ],
  ])("asks %s", (_name, definition, where, url) => {
    expect(readinessUrl(app(definition), where)).toBe(url);
  });

  it("asks a new running instance during a deployment, every intervalSeconds, until it is ready", () => {
    const state = rolling(web, [instance("o1", "/web", { ports: [31000] })]);
    put(state, "n1", { state: "TASK_STAGING" });
    expect(probeIds(state)).toEqual([]); // not running yet
    put(state, "n1", { state: "TASK_RUNNING" });
    expect(dueReadinessProbes(state, new Map(), 60_000)).toEqual([
      { taskId: "n1", name: "readinessCheck", url: "http://h1:31005/ready", timeoutMs: 1_000, readyStatuses: [200], preserveLastResponse: false },
    ]);
    expect(probeIds(state, new Map([["n1", 59_000]]))).toEqual([]); // asked 1 s ago, interval 2 s
    expect(probeIds(state, new Map([["n1", 58_000]]))).toEqual(["n1"]);
    put(state, "n1", { state: "TASK_RUNNING", readiness: { name: "readinessCheck", taskId: "n1", ready: true } });
    expect(probeIds(state)).toEqual([]);
  });

  it("asks nothing of an app without a deployment, of old instances, nor of an instance failing its health check", () => {
    const plain = stateOf([record(web)], [instance("o1", "/web", { ports: [31000] })]);
    expect(probeIds(plain)).toEqual([]);
    const checked = rolling({ ...web, healthChecks: [{ protocol: "MESOS_HTTP" }] }, [instance("o1", "/web", { ports: [31000] })]);
    put(checked, "n1", { state: "TASK_RUNNING", health: { alive: false, consecutiveFailures: 1 } });
    expect(probeIds(checked)).toEqual([]);
    put(checked, "n1", { state: "TASK_RUNNING", health: { alive: true, consecutiveFailures: 0 } });
    expect(probeIds(checked)).toEqual(["n1"]);
  });

  it("keeps the old instance until the new one is ready, then the deployment goes on and ends", () => {
    const state = rolling(web, [instance("o1", "/web", { ports: [31000] })]);
    put(state, "n1", { state: "TASK_RUNNING" });
    expect(advanceDeployments(state, 60_000).stops).toEqual([]); // running, not ready
    put(state, "n1", { state: "TASK_RUNNING", readiness: { name: "readinessCheck", taskId: "n1", ready: false } });
    expect(advanceDeployments(state, 60_000).stops).toEqual([]);
    expect(readinessCheckResults(state, "/web")).toEqual([{ name: "readinessCheck", taskId: "n1", ready: false }]);
    const get = (path: string) =>
      serveApi(state, { method: "GET", path, query: new URLSearchParams(path.split("?")[1]), body: "", origin: "http://m" }, apiCtx);
    expect((get("/v2/deployments").answer.json as Array<{ currentActions: unknown[] }>)[0]!.currentActions).toEqual([
      { action: "RestartApplication", app: "/web", readinessCheckResults: [{ name: "readinessCheck", taskId: "n1", ready: false }] },
    ]);
    put(state, "n1", { state: "TASK_RUNNING", readiness: { name: "readinessCheck", taskId: "n1", ready: true } });
    expect(advanceDeployments(state, 60_000).stops.map((s) => s.taskId)).toEqual(["o1"]);
    state.instances.delete("o1");
    expect(advanceDeployments(state, 60_000).finished.map((d) => d.id)).toEqual(["d1"]);
    state.deployments.clear();
    expect(readinessCheckResults(state, "/web")).toEqual([]); // only while a deployment runs
  });

  it.each([
    ["a ready status", { status: 200, contentType: "text/plain", body: "ok" }, false, { ready: true }],
    ["another status", { status: 503, contentType: "text/plain", body: "warming" }, false, { ready: false }],
    ["no answer", undefined, false, { ready: false }],
    [
      "the last response, preserved",
      { status: 503, contentType: "text/plain", body: "w" },
      true,
      { ready: false, lastResponse: { status: 503, contentType: "text/plain", body: "w" } },
    ],
  ])("a result from %s", (_name, answer, preserveLastResponse, expected) => {
    const probe: ReadinessProbe = { taskId: "t1", name: "rc", url: "http://h:1/", timeoutMs: 1000, readyStatuses: [200, 204], preserveLastResponse };
    expect(readinessResult(probe, answer)).toEqual({ name: "rc", taskId: "t1", ...expected });
  });

  it("lets an app with a readiness check through the services API (no longer refused)", () => {
    expect(notYetLaunched(app(web))).toBeUndefined();
  });
});

describe("runReadinessProbe against a real HTTP server", () => {
  let server: Server;
  let port: number;
  let status = 503;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/slow") return void setTimeout(() => res.end("late"), 2_000);
      if (req.url === "/big") return void res.writeHead(503, { "content-type": "text/plain" }).end("x".repeat(100_000));
      res.writeHead(status, { "content-type": "text/plain" }).end(`status ${status}`);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const probe = (path: string, preserveLastResponse = true): ReadinessProbe => ({
    taskId: "t1",
    name: "readinessCheck",
    url: `http://127.0.0.1:${port}${path}`,
    timeoutMs: 300,
    readyStatuses: [200],
    preserveLastResponse,
  });

  it("is not ready on another status, ready on one of the check's, and not ready past the timeout or with nobody listening", async () => {
    status = 503;
    expect(await runReadinessProbe(probe("/ready"))).toEqual({
      name: "readinessCheck",
      taskId: "t1",
      ready: false,
      lastResponse: { status: 503, contentType: "text/plain", body: "status 503" },
    });
    status = 200;
    expect(await runReadinessProbe(probe("/ready", false))).toEqual({ name: "readinessCheck", taskId: "t1", ready: true });
    expect((await runReadinessProbe(probe("/slow"))).ready).toBe(false);
    expect((await runReadinessProbe(probe("/big"))).lastResponse).toEqual({ status: 503, contentType: "text/plain", body: "x".repeat(PRESERVED_BODY_BYTES) });
    expect(await runReadinessProbe({ ...probe("/"), url: "http://127.0.0.1:1/" })).toEqual({ name: "readinessCheck", taskId: "t1", ready: false });
  });
});
