/**
 * The services framework survives a restart of the master's process in the middle of a rolling
 * deployment (issue 12, "Restarts lose nothing"): the real master with its services object, the
 * real compiled agent, real processes. An app of 4 health-checked web servers
 * (`minimumHealthCapacity` 0.5, `maximumOverCapacity` 0.25: at most 5 instances at once) is
 * restarted; once some but not all of its new instances are healthy the master's workerd process
 * is killed with SIGKILL (the services object with it) and started again on the same state. The
 * agent keeps running and reconnects. The deployment must finish from its stored rows, with
 * never more than 5 of the app's tasks alive (in the master's task list and as processes on this
 * machine, sampled throughout, the master's downtime included), no task launched twice for one
 * instance, and at the end only the 4 new instances' processes running.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { type Cluster, startCluster } from "../support/e2e-cluster.ts";
import { jsonHeaders, marathonApi, ownPortResources } from "../support/marathon-api.ts";
import { tasksWithProcesses } from "../support/task-processes.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);

interface MarathonTask {
  id: string;
  state: string;
  version: string;
  healthCheckResults: Array<{ alive: boolean }>;
}
interface MarathonApp {
  instances: number;
  tasksHealthy: number;
  tasks: MarathonTask[];
  deployments: Array<{ id: string }>;
}

const TERMINAL = /^TASK_(KILLED|FAILED|FINISHED|LOST|ERROR|DROPPED|GONE|UNREACHABLE|UNKNOWN)$/;
const INSTANCES = 4;
/** floor(4 × (1 + 0.25)). */
const MAX_CAPACITY = 5;
const PREFIX = "resume.instance-";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!binary)("the services framework across a master restart mid-deployment", () => {
  let cluster: Cluster;
  let headers: Record<string, string>;
  const api = marathonApi(
    () => cluster.url,
    () => headers,
  );
  const app = async () => (await api("GET", "/v2/apps/resume")).json?.app as MarathonApp | undefined;
  const masterTasks = async () => {
    const r = await fetch(`${cluster.url}/master/tasks`, { headers });
    return ((await r.json()) as { tasks: Array<{ id: string; state: string }> }).tasks.filter((t) => t.id.startsWith(PREFIX));
  };

  beforeAll(async () => {
    cluster = await startCluster(["--resources", ownPortResources()]);
    headers = jsonHeaders(cluster);
  }, 90_000);
  afterAll(async () => {
    if (cluster) {
      await api("DELETE", "/v2/apps/resume?force=true").catch(() => undefined);
      for (const deadline = Date.now() + 15_000; Date.now() < deadline && tasksWithProcesses(PREFIX).size > 0; ) await sleep(250);
    }
    await cluster?.stop();
  }, 45_000);

  it("finishes the deployment after the master's process is killed mid-way: never over capacity, nothing orphaned or launched twice", async () => {
    // The n-th task launched (counted by mkdir, which is atomic) starts listening 2, 5, 8 or 11 s
    // after launch: the new instances turn healthy one by one, so the master can be killed while
    // old instances still run.
    const counter = join(cluster.stateDir, "launches");
    mkdirSync(counter);
    const created = await api("POST", "/v2/apps", {
      id: "/resume",
      cmd: 'n=0; until mkdir "$LAUNCHES/$n" 2>/dev/null; do n=$((n + 1)); done; sleep $(( (n % 4) * 3 + 2 )); exec python3 -m http.server $PORT0',
      env: { LAUNCHES: counter },
      instances: INSTANCES,
      cpus: 0.1,
      mem: 64,
      healthChecks: [
        {
          protocol: "MESOS_HTTP",
          path: "/",
          portIndex: 0,
          gracePeriodSeconds: 20,
          intervalSeconds: 1,
          timeoutSeconds: 1,
          delaySeconds: 0,
          maxConsecutiveFailures: 3,
        },
      ],
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.25 },
    });
    expect(created.status).toBe(201);
    for (const deadline = Date.now() + 40_000; Date.now() < deadline && (await app())?.tasksHealthy !== INSTANCES; ) await sleep(250);
    const before = await app();
    expect(before?.tasksHealthy).toBe(INSTANCES);
    expect((await api("GET", "/v2/deployments")).json).toEqual([]);
    const oldTasks = new Set(before!.tasks.map((t) => t.id));

    // Sample the master's task list and this machine's processes throughout, the restart included.
    const samples: Array<{ at: string; master?: number; processes: number; ids: string[] }> = [];
    const everSeen = new Set<string>(oldTasks);
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const procs = tasksWithProcesses(PREFIX);
        for (const id of procs.keys()) everSeen.add(id);
        const live = await masterTasks()
          .then((ts) => {
            for (const t of ts) everSeen.add(t.id);
            return ts.filter((t) => !TERMINAL.test(t.state)).length;
          })
          .catch(() => undefined); // the master is down
        samples.push({ at: new Date().toISOString(), ...(live !== undefined ? { master: live } : {}), processes: procs.size, ids: [...procs.keys()] });
        await sleep(100);
      }
    })();

    const restart = await api("POST", "/v2/apps/resume/restart");
    expect(restart.status).toBe(200);
    const version = restart.json?.version as string;
    const deploymentId = restart.json?.deploymentId as string;

    // Some but not all new instances healthy: kill the master (and the services object) with SIGKILL.
    let mid: MarathonApp | undefined;
    const newHealthy = (a: MarathonApp | undefined) => a?.tasks.filter((t) => t.version === version && t.healthCheckResults[0]?.alive).length ?? 0;
    for (const deadline = Date.now() + 40_000; Date.now() < deadline; await sleep(100)) {
      mid = await app();
      if (newHealthy(mid) >= 1) break;
    }
    expect(newHealthy(mid)).toBeGreaterThanOrEqual(1);
    expect(newHealthy(mid)).toBeLessThan(INSTANCES);
    expect(mid?.tasks.some((t) => oldTasks.has(t.id) && t.state === "TASK_RUNNING")).toBe(true);
    expect(mid?.deployments).toEqual([{ id: deploymentId }]);
    await cluster.restartMaster({ downMs: 1500 });

    // The deployment resumes from its stored row and finishes.
    let last: MarathonApp | undefined;
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await sleep(250)) {
      last = await app().catch(() => undefined);
      const done =
        last?.deployments.length === 0 && last.tasks.length === INSTANCES && last.tasks.every((t) => t.version === version && t.healthCheckResults[0]?.alive);
      if (done) break;
    }
    // Let kills still under way land, then stop sampling.
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && tasksWithProcesses(PREFIX).size > INSTANCES; ) await sleep(250);
    await sleep(1000);
    sampling = false;
    await sampler;

    expect(last?.deployments).toEqual([]);
    expect((await api("GET", "/v2/deployments")).json).toEqual([]);
    expect(last?.tasks).toHaveLength(INSTANCES);
    expect(last?.tasks.every((t) => t.version === version && t.state === "TASK_RUNNING" && t.healthCheckResults[0]?.alive)).toBe(true);
    expect(last?.tasksHealthy).toBe(INSTANCES);

    // Never over capacity, in the master's view or on the machine.
    const over = samples.filter((s) => (s.master ?? 0) > MAX_CAPACITY || s.processes > MAX_CAPACITY);
    expect(over, JSON.stringify(over.slice(0, 3))).toEqual([]);
    expect(samples.some((s) => s.master === undefined)).toBe(true); // some samples fell in the master's downtime

    // Nothing orphaned: only the current instances' processes run; every other task ended in the master.
    const current = new Set(last!.tasks.map((t) => t.id));
    expect(new Set(tasksWithProcesses(PREFIX).keys())).toEqual(current);
    const finalMaster = await masterTasks();
    for (const t of finalMaster) if (!current.has(t.id)) expect(TERMINAL.test(t.state), `${t.id} ${t.state}`).toBe(true);
    for (const id of oldTasks) expect(current.has(id)).toBe(false);

    // No instance launched twice: one task per instance id, and each task id once in the master.
    const instanceOf = (taskId: string) => taskId.replace(/\._app\.\d+$/, "");
    const perInstance = new Map<string, string[]>();
    for (const id of everSeen) perInstance.set(instanceOf(id), [...(perInstance.get(instanceOf(id)) ?? []), id]);
    expect([...perInstance.values()].filter((ids) => ids.length > 1)).toEqual([]);
    expect(new Set(finalMaster.map((t) => t.id)).size).toBe(finalMaster.length);
    console.log(
      `services restart: ${samples.length} samples, most alive ${Math.max(...samples.map((s) => Math.max(s.master ?? 0, s.processes)))}, ` +
        `${everSeen.size} tasks in all (${oldTasks.size} old), killed at ${newHealthy(mid)} new healthy`,
    );
  }, 240_000);
});
