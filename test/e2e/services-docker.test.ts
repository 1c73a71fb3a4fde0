/**
 * The services framework's Docker apps end to end: the real local master and the real compiled
 * agent with `--containerizers=mesos,docker` run a Marathon app of `container.type DOCKER` (the
 * busybox test image built locally, no registry) on Docker's bridge, its port mapping
 * (containerPort 8080, hostPort 0) published on a host port of the offer: busybox's httpd answers
 * there with the task's id and Marathon's port variables. Scaled to two instances (two host
 * ports), then given a new configuration with a readiness check (Marathon runs it; here the
 * services object asks the task's host port from workerd): the old instances stay until the new
 * ones answer `/ready`, then go. Deleted at last: the containers go. Required in CI; skipped elsewhere, saying why, when
 * the agent binary or the Docker engine is missing.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DOCKER_SOCKET, DockerClient } from "../../agent-bun/src/docker/docker-client.ts";
import { TERMINAL_STATES } from "../../schemas/task-states.ts";
import { AGENT_BINARY, freePort, localSecrets, type Proc, startAgent, startMaster, waitForAgents } from "../../scripts/cluster-processes.ts";
import { dockerUnavailable, ensureTestImage, TEST_IMAGE } from "../agent/docker/docker-test-image.ts";
import { FAST_MASTER_VARS } from "../support/e2e-cluster.ts";
import { jsonHeaders, marathonApi } from "../support/marathon-api.ts";

const inCI = process.env.CI === "true" || process.env.CI === "1";
const client = new DockerClient(DEFAULT_DOCKER_SOCKET);
const why = !existsSync(AGENT_BINARY) ? `${AGENT_BINARY} is missing (npm test builds it first)` : await dockerUnavailable(client);
if (why && inCI) throw new Error(`CI must run the services framework's Docker end-to-end test: ${why}`);
if (why) console.log(`skipping the services framework's Docker end-to-end test: ${why}`);

interface MarathonTask {
  id: string;
  host: string;
  ports: number[];
  servicePorts: number[];
  state: string;
}
interface MarathonApp {
  id: string;
  tasksRunning: number;
  tasks: MarathonTask[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PORTS = 32000 + (process.pid % 500) * 10;

/** The ids of the running containers Marathon's `MESOS_TASK_ID` label names `taskId`. */
async function containersOf(taskId: string): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`MESOS_TASK_ID=${taskId}`] }));
  const r = await client.request("GET", `/containers/json?filters=${filters}`);
  return (JSON.parse(r.body.toString()) as Array<{ Id: string }>).map((c) => c.Id);
}

/** What the httpd on 127.0.0.1:`port` serves at `/`, retried until it answers (up to `ms`). */
async function served(port: number, ms = 20_000): Promise<string> {
  let last = "";
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(250)) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) });
      if (r.ok) return (await r.text()).trim();
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
  }
  return `nothing served on ${port}: ${last}`;
}

describe.skipIf(!!why)("the services framework runs a Docker app on the bridge, scales it, rolls it with a readiness check and deletes it", () => {
  let stateDir: string;
  let url: string;
  let master: Proc | undefined;
  let agent: Proc | undefined;
  let headers: Record<string, string>;
  const seenTasks = new Set<string>();
  const api = marathonApi(
    () => url,
    () => headers,
  );
  const getApp = async () => (await api("GET", "/v2/apps/dweb")).json?.app as MarathonApp | undefined;
  const waitRunning = async (n: number) => {
    let app: MarathonApp | undefined;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
      app = await getApp();
      if (app?.tasksRunning === n && app.tasks.length === n) break;
    }
    expect(app?.tasksRunning, JSON.stringify(app)).toBe(n);
    for (const t of app!.tasks) seenTasks.add(t.id);
    return app!;
  };
  const masterTasks = async () => ((await (await fetch(`${url}/master/tasks`, { headers })).json()) as { tasks: Array<{ id: string; state: string }> }).tasks;

  beforeAll(async () => {
    await ensureTestImage(client);
    stateDir = mkdtempSync(join(tmpdir(), "strata-e2e-services-docker-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const secrets = localSecrets(stateDir);
    master = await startMaster({ port, stateDir, vars: FAST_MASTER_VARS });
    agent = startAgent({
      master: url,
      workDir: join(stateDir, "agent"),
      joinToken: secrets.joinToken,
      logFile: join(stateDir, "agent.log"),
      extraArgs: [
        "--containerizers",
        "mesos,docker",
        "--cgroups-root",
        `strata-e2e-${port}-docker`,
        "--poll-wait-seconds",
        "5",
        "--resources",
        `cpus:2;mem:1024;disk:256;ports:[${PORTS}-${PORTS + 9}]`,
      ],
    });
    await waitForAgents(url, secrets, 1, 30_000);
    headers = jsonHeaders(secrets);
  }, 90_000);

  afterAll(async () => {
    if (master && headers) {
      await api("DELETE", "/v2/apps/dweb?force=true").catch(() => undefined);
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(250)) {
        const tasks = await masterTasks().catch(() => []);
        if (tasks.every((t) => (TERMINAL_STATES as ReadonlySet<string>).has(t.state))) break;
      }
    }
    await agent?.stop();
    await master?.stop();
    for (const id of seenTasks) expect(await containersOf(id), `containers of task ${id} left behind`).toEqual([]);
    if (stateDir && !process.env.STRATA_KEEP_E2E_STATE) rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it("serves from a bridged container on its host port, scales to two, rolls a new configuration out only as its instances get ready, and removes the containers on delete", async () => {
    const app = {
      id: "/dweb",
      cmd: 'mkdir -p /www && echo "task=$MESOS_TASK_ID port=$PORT_HTTP host=$HOST" > /www/index.html && exec httpd -f -p 8080 -h /www',
      instances: 1,
      cpus: 0.1,
      mem: 32,
      container: { type: "DOCKER", docker: { image: TEST_IMAGE }, portMappings: [{ containerPort: 8080, hostPort: 0, servicePort: 10080, name: "http" }] },
      networks: [{ mode: "container/bridge" }],
    };
    const created = await api("POST", "/v2/apps", app);
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json?.container).toMatchObject({ type: "DOCKER", docker: { image: TEST_IMAGE, forcePullImage: false, privileged: false, parameters: [] } });

    const one = await waitRunning(1);
    const [task] = one.tasks;
    expect(task!.ports).toHaveLength(1);
    expect(task!.ports[0]).toBeGreaterThanOrEqual(PORTS);
    expect(task!.ports[0]).toBeLessThanOrEqual(PORTS + 9);
    expect(task!.servicePorts).toEqual([10080]);
    expect(await served(task!.ports[0]!)).toBe(`task=${task!.id} port=${task!.ports[0]} host=${task!.host}`);
    expect(await containersOf(task!.id)).toHaveLength(1);

    // Scale to two: a second container on another host port, each serving its own task.
    expect((await api("PUT", "/v2/apps/dweb", { instances: 2 })).status).toBe(200);
    const two = await waitRunning(2);
    expect(new Set(two.tasks.map((t) => t.ports[0])).size).toBe(2);
    for (const t of two.tasks) expect(await served(t.ports[0]!)).toBe(`task=${t.id} port=${t.ports[0]} host=${t.host}`);

    // A new configuration with a readiness check on the "http" port: each new instance answers
    // /ready with 404 for its first 12 s; the old instances stay until the new ones are ready.
    const oldIds = two.tasks.map((t) => t.id).sort();
    const readyCmd =
      'mkdir -p /www && echo "task=$MESOS_TASK_ID port=$PORT_HTTP host=$HOST" > /www/index.html && { (sleep 12; echo ok > /www/ready) & exec httpd -f -p 8080 -h /www; }';
    const readinessChecks = [{ portName: "http", path: "/ready", intervalSeconds: 2, timeoutSeconds: 1 }];
    const updated = await api("PUT", "/v2/apps/dweb", { cmd: readyCmd, readinessChecks });
    expect(updated.status, JSON.stringify(updated.json)).toBe(200);
    type Readiness = { name: string; taskId: string; ready: boolean };
    let waiting: (MarathonApp & { readinessCheckResults: Readiness[] }) | undefined;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(250)) {
      waiting = (await api("GET", "/v2/apps/dweb?embed=app.readiness")).json?.app as typeof waiting;
      if (waiting?.readinessCheckResults?.some((r) => !r.ready)) break;
    }
    const notReady = waiting?.readinessCheckResults.find((r) => !r.ready);
    expect(notReady, JSON.stringify(waiting)).toMatchObject({ name: "readinessCheck", ready: false });
    expect(oldIds).not.toContain(notReady!.taskId);
    // 5 s later (past a kill's 3 s grace period) the new instances are still not ready, and the
    // old ones still run in their containers: nothing was killed for an instance not ready.
    await sleep(5_000);
    const later = (await api("GET", "/v2/apps/dweb?embed=app.readiness")).json?.app as typeof waiting;
    expect(
      later!.readinessCheckResults.every((r) => !r.ready),
      JSON.stringify(later),
    ).toBe(true);
    for (const id of oldIds) {
      expect(later!.tasks.find((t) => t.id === id)?.state).toBe("TASK_RUNNING");
      expect(await containersOf(id)).toHaveLength(1);
    }

    let rolled: MarathonApp | undefined;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(500)) {
      rolled = await getApp();
      const deployments = (await fetch(`${url}/v2/deployments`, { headers }).then((r) => r.json())) as unknown[];
      if (deployments.length === 0 && rolled?.tasks.length === 2 && rolled.tasks.every((t) => !oldIds.includes(t.id))) break;
    }
    expect(
      rolled?.tasks.map((t) => t.id).filter((id) => oldIds.includes(id)),
      JSON.stringify(rolled),
    ).toEqual([]);
    expect(rolled?.tasksRunning).toBe(2);
    for (const t of rolled!.tasks) {
      seenTasks.add(t.id);
      expect(await served(t.ports[0]!)).toBe(`task=${t.id} port=${t.ports[0]} host=${t.host}`);
    }
    for (const id of oldIds) expect(await containersOf(id)).toEqual([]);

    // Delete: both tasks are killed and their containers removed.
    expect((await api("DELETE", "/v2/apps/dweb")).status).toBe(200);
    const ids = rolled!.tasks.map((t) => t.id);
    const states = async () => (await masterTasks()).filter((t) => ids.includes(t.id)).map((t) => t.state);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !(await states()).every((s) => s === "TASK_KILLED"); ) await sleep(250);
    expect(await states()).toEqual(["TASK_KILLED", "TASK_KILLED"]);
    for (const id of ids) expect(await containersOf(id)).toEqual([]);
  }, 240_000);
});
