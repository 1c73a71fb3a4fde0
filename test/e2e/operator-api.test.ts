/**
 * End to end: the operator API against the real local master (workerd) with the real agent and
 * a framework built on the SDK: the read calls, the classic endpoints, Prometheus `/metrics`,
 * and an operator SUBSCRIBE stream that sees the agent, the framework and the task arrive.
 */

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BINARY, freePort, localSecrets, type Proc, startAgent, startMaster } from "../../scripts/cluster-processes.ts";
import { authorizationHeader } from "../../sdk/src/auth.ts";
import { commandTask } from "../../sdk/src/index.ts";
import { readRecords } from "../../sdk/src/recordio.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { type Cluster, FAST_MASTER_VARS, TestFramework } from "../support/e2e-cluster.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);

type Event = { type: string } & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.skipIf(!binary)("operator API end to end", () => {
  let stateDir: string;
  let url: string;
  let auth: string;
  let joinToken: string;
  let master: Proc;
  let agent: Proc | undefined;
  let fw: TestFramework | undefined;
  const events: Event[] = [];
  let stream: AbortController;

  const post = (body: object) =>
    fetch(`${url}/api/v1`, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: JSON.stringify(body) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const call = async (type: string, extra: object = {}): Promise<any> => {
    const r = await post({ type, ...extra });
    expect(r.status, `${type}: ${r.status}`).toBe(200);
    return r.json();
  };
  const get = (path: string) => fetch(`${url}${path}`, { headers: { authorization: auth } });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const getJson = async (path: string): Promise<any> => (await get(path)).json();
  const waitForEvent = async (what: string, match: (e: Event) => boolean, timeoutMs = 30_000) => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
      const e = events.find(match);
      if (e) return e;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no ${what} on the operator stream; got ${events.map((e) => e.type).join(", ")}`);
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "strata-e2e-op-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const secrets = localSecrets(stateDir);
    joinToken = secrets.joinToken;
    auth = authorizationHeader({ principal: secrets.principal, secret: secrets.secret })!;
    master = await startMaster({ port, stateDir, vars: FAST_MASTER_VARS });
    // The operator stream opens before anything joins, so it sees everything arrive.
    stream = new AbortController();
    const res = await fetch(`${url}/api/v1`, {
      method: "POST",
      signal: stream.signal,
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify({ type: "SUBSCRIBE" }),
    });
    expect(res.status).toBe(200);
    void (async () => {
      for await (const r of readRecords(res.body!)) events.push(JSON.parse(r));
    })().catch(() => undefined);
    agent = startAgent({
      master: url,
      workDir: join(stateDir, "agent"),
      joinToken,
      logFile: join(stateDir, "agent.log"),
      extraArgs: ["--cgroups", "off", "--poll-wait-seconds", "5", "--resources", "cpus:4;mem:2048;disk:1024"],
    });
    fw = new TestFramework({ url, principal: secrets.principal, secret: secrets.secret } as Cluster, "operator-e2e");
    await fw.start();
  }, 90_000);

  afterAll(async () => {
    stream?.abort();
    await fw?.stop();
    await agent?.stop();
    await master?.stop();
    if (!process.env.STRATA_KEEP_E2E_STATE) rmSync(stateDir, { recursive: true, force: true });
  }, 30_000);

  it("SUBSCRIBE: SUBSCRIBED first, then AGENT_ADDED, FRAMEWORK_ADDED, TASK_ADDED and TASK_UPDATED for real activity", async () => {
    await waitForEvent("SUBSCRIBED", (e) => e.type === "SUBSCRIBED", 5000);
    expect(events[0]!.type).toBe("SUBSCRIBED");
    expect(events[0]!.subscribed.heartbeat_interval_seconds).toBe(1);
    expect(events[0]!.subscribed.get_state.get_agents.agents).toEqual([]);
    const added = await waitForEvent("AGENT_ADDED", (e) => e.type === "AGENT_ADDED");
    expect(added.agent_added.agent.agent_info.hostname).toBeTruthy();
    await waitForEvent("FRAMEWORK_ADDED", (e) => e.type === "FRAMEWORK_ADDED" && e.framework_added.framework.framework_info.name === "operator-e2e");
    fw!.submit({
      id: "op-echo",
      build: (agentId) => commandTask({ taskId: "op-echo", agentId, resources: [scalar("cpus", 0.1), scalar("mem", 32)], shell: "echo operator" }),
    });
    const taskAdded = await waitForEvent("TASK_ADDED", (e) => e.type === "TASK_ADDED" && e.task_added.task.task_id.value === "op-echo");
    expect(taskAdded.task_added.task.agent_id.value).toBe(added.agent_added.agent.agent_info.id.value);
    await waitForEvent("TASK_UPDATED to TASK_FINISHED", (e) => e.type === "TASK_UPDATED" && e.task_updated.state === "TASK_FINISHED", 60_000);
    expect(events.filter((e) => e.type === "TASK_UPDATED").map((e) => e.task_updated.state)).toContain("TASK_RUNNING");
    await waitForEvent("HEARTBEAT", (e) => e.type === "HEARTBEAT", 5000);
  }, 120_000);

  it("answers the read calls with Mesos' shapes", async () => {
    expect((await call("GET_HEALTH")).get_health.healthy).toBe(true);
    expect((await call("GET_VERSION")).get_version.version_info.version).toBeTruthy();
    const flagsRes = await post({ type: "GET_FLAGS" });
    const flagsText = await flagsRes.text();
    expect(flagsText).not.toContain(joinToken);
    expect(JSON.parse(flagsText).get_flags.flags).toEqual(expect.arrayContaining([{ name: "allocation_interval_ms", value: "100" }]));
    const metrics = Object.fromEntries(
      (await call("GET_METRICS", { get_metrics: {} })).get_metrics.metrics.map((m: { name: string; value: number }) => [m.name, m.value]),
    );
    expect(metrics["master/slaves_active"]).toBe(1);
    expect(metrics["master/tasks_finished"]).toBe(1);
    expect(metrics["master/operator_event_stream_subscribers"]).toBe(1);
    expect(metrics["allocator/mesos/allocation_runs"]).toBeGreaterThan(0);
    const state = (await call("GET_STATE")).get_state;
    expect(state.get_agents.agents).toHaveLength(1);
    expect(state.get_frameworks.frameworks[0].framework_info.name).toBe("operator-e2e");
    expect(state.get_tasks.completed_tasks.map((t: { task_id: { value: string } }) => t.task_id.value)).toEqual(["op-echo"]);
    const agents = (await call("GET_AGENTS")).get_agents.agents;
    expect(agents[0]).toMatchObject({ active: true, registered_time: { nanoseconds: expect.any(Number) } });
    expect((await call("GET_FRAMEWORKS")).get_frameworks.frameworks[0]).toMatchObject({ active: true, connected: true });
    expect((await call("GET_TASKS")).get_tasks.completed_tasks[0].state).toBe("TASK_FINISHED");
    expect((await call("GET_ROLES")).get_roles.roles.map((r: { name: string }) => r.name)).toContain("*");
    expect((await call("GET_MASTER")).get_master.master_info.port).toBeGreaterThan(0);
    expect((await post({ type: "GET_NOTHING" })).status).toBe(400);
  }, 30_000);

  it("serves the classic endpoints and Prometheus /metrics", async () => {
    const state = await getJson("/master/state");
    expect(state.slaves).toHaveLength(1);
    expect(state.frameworks[0].completed_tasks[0]).toMatchObject({ id: "op-echo", state: "TASK_FINISHED" });
    expect((await getJson("/master/state-summary")).slaves).toHaveLength(1);
    expect((await getJson("/master/frameworks")).frameworks[0].name).toBe("operator-e2e");
    expect((await getJson("/master/slaves")).slaves[0].resources.cpus).toBe(4);
    expect((await getJson("/master/tasks?limit=1&order=asc")).tasks.map((t: { id: string }) => t.id)).toEqual(["op-echo"]);
    expect((await get("/master/tasks?limit=x")).status).toBe(400);
    expect((await getJson("/master/roles")).roles.length).toBeGreaterThan(0);
    expect((await getJson("/flags")).flags.cluster_name).toBe("strata");
    expect((await getJson("/metrics/snapshot"))["master/tasks_finished"]).toBe(1);
    const prom = await get("/metrics");
    expect(prom.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await prom.text()).toMatch(/# TYPE master_tasks_finished gauge\nmaster_tasks_finished 1\n/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(((await (await fetch(`${url}/version`)).json()) as { version: string }).version).toBeTruthy();
  }, 30_000);
});

describe("operator API end to end, with view ACLs", () => {
  let stateDir: string;
  let url: string;
  let auth: string;
  let master: Proc | undefined;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "strata-e2e-op-acl-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const secrets = localSecrets(stateDir);
    auth = authorizationHeader({ principal: secrets.principal, secret: secrets.secret })!;
    const acls = { permissive: true, view_flags: [{ principals: { values: [secrets.principal] }, flags: { type: "NONE" } }] };
    master = await startMaster({ port, stateDir, vars: { ...FAST_MASTER_VARS, STRATA_ACLS: JSON.stringify(acls) } });
  }, 90_000);

  afterAll(async () => {
    await master?.stop();
    if (!process.env.STRATA_KEEP_E2E_STATE) rmSync(stateDir, { recursive: true, force: true });
  }, 30_000);

  it("the Worker hands the authenticated principal to the master for GET endpoints and operator calls", async () => {
    const headers = { authorization: auth };
    const flags = await fetch(`${url}/flags`, { headers });
    expect(flags.status).toBe(403);
    expect(await flags.text()).toMatch(/not authorized to view flags/);
    const call = await fetch(`${url}/api/v1`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ type: "GET_FLAGS" }),
    });
    expect(call.status).toBe(403);
    await call.body?.cancel();
    const state = (await (await fetch(`${url}/master/state`, { headers })).json()) as { flags?: unknown; id: string };
    expect(state.id).toBeTruthy();
    expect(state.flags).toBeUndefined();
  }, 30_000);
});
