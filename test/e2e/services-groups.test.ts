/**
 * Marathon's groups end to end: the real local master with its services object and the real
 * compiled agent running real processes, driven only through `/v2/groups` and `/v2/deployments`.
 * A group of two apps where `/g/b` depends on `/g/a` (a COMMAND health check, first run 3 s after
 * start) is one deployment of three steps: both apps started with no instances, then a scaled,
 * then b. While a runs but is not yet healthy, the deployment's current step is a's and b has no
 * task; b's task is staged only after a's check passed. DELETE of the group stops both.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskState } from "../../schemas/mesos.ts";
import { isTerminal } from "../../schemas/task-states.ts";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { type Cluster, startCluster } from "../support/e2e-cluster.ts";
import { jsonHeaders, marathonApi } from "../support/marathon-api.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);

interface Task {
  id: string;
  state: string;
  stagedAt: string;
  startedAt: string | null;
  healthCheckResults: Array<{ alive: boolean; firstSuccess: string | null }>;
}
interface App {
  id: string;
  tasks: Task[];
  tasksHealthy: number;
}
interface Deployment {
  id: string;
  affectedApps: string[];
  steps: Array<{ actions: Array<{ action: string; app: string }> }>;
  currentActions: Array<{ action: string; app: string }>;
  currentStep: number;
  totalSteps: number;
}

describe.skipIf(!binary)("services: a group with dependencies end to end", () => {
  let cluster: Cluster;
  let headers: Record<string, string>;
  const api = marathonApi(
    () => cluster.url,
    () => headers,
  );
  const app = async (id: string) => ((await api("GET", `/v2/apps${id}`)).json as { app?: App } | undefined)?.app;
  const masterTasks = async () =>
    ((await (await fetch(`${cluster.url}/master/tasks`, { headers })).json()) as { tasks: Array<{ id: string; state: string }> }).tasks;
  const settle = async () => {
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      if ((await masterTasks()).every((t) => isTerminal(t.state as TaskState))) return;
    }
  };

  beforeAll(async () => {
    cluster = await startCluster(["--resources", "cpus:4;mem:2048;disk:1024;ports:[31000-31099]"]);
    headers = jsonHeaders(cluster);
  }, 90_000);
  afterAll(async () => {
    if (cluster) {
      await api("DELETE", "/v2/groups?force=true");
      await settle();
    }
    await cluster?.stop();
  }, 45_000);

  it("b starts only once a runs healthy; /v2/deployments shows a's step while b waits; DELETE removes both", async () => {
    const check = { protocol: "COMMAND", command: { value: "true" }, delaySeconds: 3, intervalSeconds: 1, gracePeriodSeconds: 30, timeoutSeconds: 2 };
    const created = await api("POST", "/v2/groups", {
      id: "/g",
      apps: [
        { id: "a", cmd: "sleep 600", instances: 1, cpus: 0.1, mem: 32, healthChecks: [check] },
        { id: "b", cmd: "sleep 600", instances: 1, cpus: 0.1, mem: 32, dependencies: ["/g/a"] },
      ],
    });
    expect(created.status).toBe(201);
    const deploymentId = (created.json as { deploymentId: string }).deploymentId;
    expect(created.headers.get("marathon-deployment-id")).toBe(deploymentId);

    // Watch: while a's task runs unhealthy, the deployment is at a's step and b has no task.
    let waiting: { deployment: Deployment; b: App } | undefined;
    let a: App | undefined;
    let b: App | undefined;
    for (const deadline = Date.now() + 40_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      a = await app("/g/a");
      b = await app("/g/b");
      const deployment = ((await api("GET", "/v2/deployments")).json as unknown as Deployment[]).find((d) => d.id === deploymentId);
      const aRunning = a?.tasks.some((t) => t.state === "TASK_RUNNING" && !t.healthCheckResults[0]?.alive);
      if (!waiting && aRunning && deployment && b) waiting = { deployment, b };
      if (b?.tasks.some((t) => t.state === "TASK_RUNNING") && !deployment) break;
    }
    expect(waiting?.deployment).toMatchObject({
      affectedApps: ["/g/a", "/g/b"],
      steps: [
        {
          actions: [
            { action: "StartApplication", app: "/g/a" },
            { action: "StartApplication", app: "/g/b" },
          ],
        },
        { actions: [{ action: "ScaleApplication", app: "/g/a" }] },
        { actions: [{ action: "ScaleApplication", app: "/g/b" }] },
      ],
      currentStep: 2,
      currentActions: [{ action: "ScaleApplication", app: "/g/a" }],
      totalSteps: 3,
    });
    expect(waiting?.b.tasks).toEqual([]);

    // b's task was staged after a's task started and after a's health check first passed.
    const aTask = a!.tasks[0]!;
    const bTask = b!.tasks[0]!;
    expect(bTask.state).toBe("TASK_RUNNING");
    const aHealthy = Date.parse(aTask.healthCheckResults[0]!.firstSuccess!);
    expect(Date.parse(bTask.stagedAt)).toBeGreaterThanOrEqual(Date.parse(aTask.startedAt!));
    expect(Date.parse(bTask.stagedAt)).toBeGreaterThanOrEqual(aHealthy);
    expect((await api("GET", "/v2/deployments")).json).toEqual([]);

    const group = (await api("GET", "/v2/groups/g")).json as { id: string; apps: Array<{ id: string }> };
    expect(group.id).toBe("/g");
    expect(group.apps.map((x) => x.id)).toEqual(["/g/a", "/g/b"]);

    const deleted = await api("DELETE", "/v2/groups/g");
    expect(deleted.status).toBe(200);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      const states = (await masterTasks()).filter((t) => t.id === aTask.id || t.id === bTask.id).map((t) => t.state);
      if (states.length === 2 && states.every((s) => s === "TASK_KILLED")) break;
    }
    const ended = (await masterTasks()).filter((t) => t.id === aTask.id || t.id === bTask.id);
    expect(ended.map((t) => t.state)).toEqual(["TASK_KILLED", "TASK_KILLED"]);
    expect((await api("GET", "/v2/groups/g")).status).toBe(404);
    expect(((await api("GET", "/v2/apps")).json as { apps: unknown[] }).apps).toEqual([]);
  }, 90_000);
});
