/**
 * The services framework (Strata's built-in Marathon) end to end: the real local master with its
 * services object, the real compiled agent running real processes, driven only through Marathon's
 * REST API. An app is created and runs its instances, scales down (one task killed), has a
 * crashed task replaced, and is deleted (its tasks killed). An app with a MESOS_HTTP health check
 * (python3's http.server) becomes healthy, restarts as a rolling deployment whose old tasks are
 * killed only once new ones are healthy, and a task failing its check is killed and replaced. A
 * task is killed with scale=true, an unplaceable app is explained by /v2/queue, and an event stream
 * receives the status updates of launched tasks.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { type Cluster, startCluster } from "../support/e2e-cluster.ts";
import { jsonHeaders, marathonApi } from "../support/marathon-api.ts";
import { pidsOfTask, signalTask } from "../support/task-processes.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);

interface MarathonTask {
  id: string;
  host: string;
  slaveId: string;
  state: string;
}
interface MarathonApp {
  id: string;
  instances: number;
  tasksRunning: number;
  tasksHealthy: number;
  tasks: Array<MarathonTask & { healthCheckResults: Array<{ alive: boolean }> }>;
  deployments: Array<{ id: string }>;
  lastTaskFailure?: { taskId: string; state: string; message: string };
}

describe.skipIf(!binary)("the services framework end to end", () => {
  let cluster: Cluster;
  let headers: Record<string, string>;
  const api = marathonApi(
    () => cluster.url,
    () => headers,
  );
  const app = async (id = "sleepy") => (await api("GET", `/v2/apps/${id}`)).json?.app as MarathonApp | undefined;
  /** Polls the app until `check` holds; fails naming `what` and the last answer. */
  const until = async (check: (a: MarathonApp) => boolean, ms: number, what: string, id = "sleepy"): Promise<MarathonApp> => {
    let last: MarathonApp | undefined;
    for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      last = await app(id);
      if (last && check(last)) return last;
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
  };
  const masterTaskState = async (taskId: string) => {
    const r = await fetch(`${cluster.url}/master/tasks`, { headers });
    const { tasks } = (await r.json()) as { tasks: Array<{ id: string; state: string }> };
    return tasks.find((t) => t.id === taskId)?.state;
  };

  beforeAll(async () => {
    cluster = await startCluster(["--resources", "cpus:4;mem:2048;disk:1024;ports:[31000-31099]"]);
    headers = jsonHeaders(cluster);
  }, 90_000);
  afterAll(async () => {
    // Whatever a failed test left running (a web server holds its port) is killed before the agent stops;
    // tasks of apps a test deleted itself may still be ending: every task the master knows must end first.
    if (cluster) {
      const apps = ((await api("GET", "/v2/apps")).json?.apps ?? []) as Array<{ id: string }>;
      for (const a of apps) await api("DELETE", `/v2/apps${a.id}?force=true`);
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
        const { tasks } = (await (await fetch(`${cluster.url}/master/tasks`, { headers })).json()) as { tasks: Array<{ state: string }> };
        if (tasks.every((t) => /^TASK_(KILLED|FAILED|FINISHED|LOST|ERROR|DROPPED|GONE)/.test(t.state))) break;
      }
    }
    await cluster?.stop();
  }, 45_000);

  it("runs an app's instances, scales it down, replaces a crashed task and kills its tasks on delete", async () => {
    const created = await api("POST", "/v2/apps", { id: "/sleepy", cmd: "sleep 600", instances: 2, cpus: 0.1, mem: 32 });
    expect(created.status).toBe(201);
    expect(created.headers.get("marathon-deployment-id")).toBeTruthy();

    const running = await until((a) => a.tasksRunning === 2, 30_000, "2 running tasks");
    expect(running.tasks).toHaveLength(2);
    for (const t of running.tasks) {
      expect(t.id).toMatch(/^sleepy\.instance-[0-9a-f-]{36}\._app\.1$/);
      expect(t.host).toBeTruthy();
      expect(t.slaveId).toBeTruthy();
      expect(t.state).toBe("TASK_RUNNING");
      expect(pidsOfTask(t.id).length).toBeGreaterThan(0);
    }

    // Scale down: one task is killed, youngest first; one keeps running.
    const scaled = await api("PUT", "/v2/apps/sleepy", { instances: 1 });
    expect(scaled.status).toBe(200);
    const one = await until((a) => a.tasksRunning === 1 && a.tasks.length === 1, 30_000, "1 running task after the scale down");
    const [kept] = one.tasks;
    const killed = running.tasks.find((t) => t.id !== kept!.id)!;
    expect(await masterTaskState(killed.id)).toBe("TASK_KILLED");
    expect(pidsOfTask(killed.id)).toEqual([]);

    // The kept task's process dies: the agent reports it failed, the framework launches a replacement.
    signalTask(kept!.id, "SIGKILL");
    const replaced = await until((a) => a.tasksRunning === 1 && a.tasks.length === 1 && a.tasks[0]!.id !== kept!.id, 30_000, "a replacement task");
    expect(replaced.lastTaskFailure).toMatchObject({ taskId: kept!.id });
    expect(await masterTaskState(kept!.id)).toMatch(/^TASK_(FAILED|KILLED)$/);

    // Delete: the app is gone at once, its task is killed.
    const deleted = await api("DELETE", "/v2/apps/sleepy");
    expect(deleted.status).toBe(200);
    expect((await api("GET", "/v2/apps/sleepy")).status).toBe(404);
    const last = replaced.tasks[0]!.id;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && (await masterTaskState(last)) !== "TASK_KILLED"; ) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await masterTaskState(last)).toBe("TASK_KILLED");
    expect(pidsOfTask(last)).toEqual([]);
  }, 150_000);

  it("after a restart of the master's process, fails over with its framework id and keeps its running task", async () => {
    expect((await api("POST", "/v2/apps", { id: "/kept", cmd: "sleep 600", instances: 1, cpus: 0.1, mem: 32 })).status).toBe(201);
    const appKept = async () => (await api("GET", "/v2/apps/kept")).json?.app as MarathonApp | undefined;
    let before: MarathonApp | undefined;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && before?.tasksRunning !== 1; await new Promise((r) => setTimeout(r, 250))) {
      before = await appKept();
    }
    expect(before?.tasksRunning).toBe(1);
    const frameworkId = (await api("GET", "/v2/info")).json?.frameworkId;
    expect(frameworkId).toBeTruthy();

    await cluster.restartMaster();
    // No request reaches the services object: its alarm alone brings it back and resubscribes it.
    let active = false;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !active; await new Promise((r) => setTimeout(r, 500))) {
      const r = await fetch(`${cluster.url}/master/frameworks`, { headers });
      const { frameworks } = (await r.json()) as { frameworks: Array<{ id: string; active: boolean }> };
      active = frameworks.some((f) => f.id === frameworkId && f.active);
    }
    expect(active).toBe(true);
    const after = await appKept();
    expect(after?.tasks.map((t) => [t.id, t.state])).toEqual(before!.tasks.map((t) => [t.id, "TASK_RUNNING"]));
    expect((await api("GET", "/v2/info")).json?.frameworkId).toBe(frameworkId);
    expect((await api("DELETE", "/v2/apps/kept")).status).toBe(200);
  }, 150_000);

  /** A web server on its first port, checked by the agent over HTTP every second. */
  const webApp = (id: string, instances: number, path: string) => ({
    id,
    cmd: "exec python3 -m http.server $PORT0",
    instances,
    cpus: 0.1,
    mem: 64,
    healthChecks: [
      { protocol: "MESOS_HTTP", path, portIndex: 0, gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 2, delaySeconds: 0, maxConsecutiveFailures: 2 },
    ],
    upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 },
  });

  it("a MESOS_HTTP-checked app becomes healthy and restarts as a rolling deployment: an old task is killed only after a new one is healthy", async () => {
    expect((await api("POST", "/v2/apps", webApp("/web", 2, "/"))).status).toBe(201);
    const healthy = await until((a) => a.tasksHealthy === 2, 30_000, "2 healthy tasks", "web");
    expect(healthy.tasks.map((t) => t.healthCheckResults[0]?.alive)).toEqual([true, true]);
    const old = new Set(healthy.tasks.map((t) => t.id));

    const restart = await api("POST", "/v2/apps/web/restart");
    expect(restart.status).toBe(200);
    const deploymentId = restart.json?.deploymentId as string;
    const listed = (await api("GET", "/v2/deployments")).json as unknown as Array<{ id: string; affectedApps: string[] }>;
    expect(listed.find((d) => d.id === deploymentId)?.affectedApps).toEqual(["/web"]);
    expect((await api("PUT", "/v2/apps/web", { cmd: "sleep 1" })).status).toBe(409); // locked while it runs

    // Watch the deployment: when each old task leaves (killed), how many new tasks had been seen healthy.
    const newHealthy = new Set<string>();
    const gone: Array<{ task: string; newHealthySeen: number }> = [];
    let most = 0;
    let last: MarathonApp | undefined;
    for (const deadline = Date.now() + 40_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      last = await app("web");
      if (!last) continue;
      most = Math.max(most, last.tasks.length);
      for (const t of last.tasks) if (!old.has(t.id) && t.healthCheckResults[0]?.alive) newHealthy.add(t.id);
      for (const id of old) {
        const t = last.tasks.find((x) => x.id === id);
        if ((!t || t.state === "TASK_KILLING") && !gone.some((g) => g.task === id)) gone.push({ task: id, newHealthySeen: newHealthy.size });
      }
      if (last.deployments.length === 0 && last.tasksHealthy === 2 && gone.length === 2) break;
    }
    expect(last?.deployments).toEqual([]);
    expect(gone.map((g) => g.newHealthySeen)).toEqual([1, 2]); // minimumHealthCapacity 1: one old task per healthy new one
    expect(most).toBeLessThanOrEqual(3); // maximumOverCapacity 0.5 of 2: at most one task over
    expect(last?.tasks.every((t) => !old.has(t.id))).toBe(true);
    for (const id of old) expect(await masterTaskState(id)).toBe("TASK_KILLED");
    expect((await api("GET", "/v2/deployments")).json).toEqual([]);
    expect((await api("DELETE", "/v2/apps/web")).status).toBe(200);
  }, 60_000);

  it("a task failing its health check (404) is killed by the agent and replaced, the kill recorded as the app's lastTaskFailure and sent as unhealthy kill events", async () => {
    const kills = ["unhealthy_task_kill_event", "unhealthy_instance_kill_event", "instance_changed_event"];
    const stream = await fetch(`${cluster.url}/v2/events?${kills.map((k) => `event_type=${k}`).join("&")}`, {
      headers: { ...headers, accept: "text/event-stream" },
    });
    expect((await api("POST", "/v2/apps", webApp("/sick", 1, "/no-such-page"))).status).toBe(201);
    const first = await until((a) => a.tasks.length === 1 && a.tasks[0]!.state === "TASK_RUNNING", 30_000, "a running task", "sick");
    const taskId = first.tasks[0]!.id;
    const replaced = await until((a) => a.lastTaskFailure?.taskId === taskId && a.tasks.some((t) => t.id !== taskId), 30_000, "a replacement", "sick");
    expect(replaced.lastTaskFailure).toMatchObject({ taskId, state: "TASK_KILLED" });
    expect(replaced.lastTaskFailure?.message).toMatch(/404/);
    expect(replaced.tasksHealthy).toBe(0);
    expect(await masterTaskState(taskId)).toBe("TASK_KILLED");
    // The kill was announced on /v2/events: both unhealthy kill events and the instance's Killed condition.
    const reader = stream.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    const seen = () =>
      text
        .split("\n\n")
        .filter((f) => f.startsWith("event: "))
        .map((f) => JSON.parse(f.split("\n")[1]!.slice("data: ".length)) as Record<string, unknown>)
        .filter((e) => e.taskId === taskId || e.instanceId === taskId.replace(/\._app\.\d+$/, ""));
    const complete = () => kills.every((k) => seen().some((e) => e.eventType === k && (k !== "instance_changed_event" || e.condition === "Killed")));
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && !complete(); ) {
      const { done, value } = await reader.read();
      if (done) break;
      text += dec.decode(value);
    }
    await reader.cancel();
    expect(seen().find((e) => e.eventType === "unhealthy_task_kill_event")).toMatchObject({ appId: "/sick", taskId, reason: expect.stringMatching(/404/) });
    expect(seen().find((e) => e.eventType === "unhealthy_instance_kill_event")).toMatchObject({ appId: "/sick", taskId, instanceId: expect.any(String) });
    expect(seen().find((e) => e.eventType === "instance_changed_event" && e.condition === "Killed")).toMatchObject({ runSpecId: "/sick" });
    // Its creation's deployment never ends (no instance stays healthy) and holds the app, as Marathon's does: force=true.
    expect((await api("DELETE", "/v2/apps/sick?force=true")).status).toBe(200);
  }, 60_000);
  it("kills a task with scale=true (instances drops), explains an unplaceable app in /v2/queue, and streams status_update_event", async () => {
    // An event stream attached first sees the launches' updates.
    const stream = await fetch(`${cluster.url}/v2/events?event_type=status_update_event`, { headers: { ...headers, accept: "text/event-stream" } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    const reader = stream.body!.getReader();
    expect((await api("POST", "/v2/apps", { id: "/killed", cmd: "sleep 600", instances: 2, cpus: 0.1, mem: 32 })).status).toBe(201);
    const two = await until((a) => a.tasksRunning === 2, 30_000, "2 running tasks", "killed");
    // Other tests' apps may still send updates (a /sick replacement being killed): only /killed's count.
    let text = "";
    const dec = new TextDecoder();
    const runningOfKilled = () =>
      text
        .split("\n\n")
        .filter((f) => f.startsWith("event: status_update_event\n"))
        .map((f) => JSON.parse(f.split("\n")[1]!.slice("data: ".length)) as Record<string, unknown>)
        .find((e) => e.taskStatus === "TASK_RUNNING" && e.appId === "/killed");
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && !runningOfKilled(); ) {
      const { done, value } = await reader.read();
      if (done) break;
      text += dec.decode(value);
    }
    await reader.cancel();
    const running = runningOfKilled();
    expect(running).toMatchObject({
      eventType: "status_update_event",
      appId: "/killed",
      slaveId: two.tasks[0]!.slaveId,
      timestamp: expect.stringMatching(/Z$/),
    });
    expect(two.tasks.map((t) => t.id)).toContain(running!.taskId);

    // A kill with scale=true: the task ends and is not replaced, instances is 1.
    const victim = two.tasks[0]!.id;
    const kill = await api("DELETE", `/v2/apps/killed/tasks/${victim}?scale=true`);
    expect(kill.status).toBe(200);
    const one = await until((a) => a.instances === 1 && a.tasks.length === 1 && a.tasks[0]!.id !== victim, 30_000, "1 instance after the kill", "killed");
    expect(one.tasksRunning).toBe(1);
    expect(await masterTaskState(victim)).toBe("TASK_KILLED");
    expect(pidsOfTask(victim)).toEqual([]);

    // An app no agent can hold waits in the queue, the offers it saw counted as InsufficientCpus.
    expect((await api("POST", "/v2/apps", { id: "/huge", cmd: "sleep 600", cpus: 1000, mem: 32 })).status).toBe(201);
    type Stage = { reason: string; declined: number };
    let item: { count: number; processedOffersSummary: { unusedOffersCount: number; rejectSummaryLastOffers: Stage[] } } | undefined;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && !(item && item.processedOffersSummary.unusedOffersCount > 0); ) {
      await new Promise((r) => setTimeout(r, 250));
      const queue = (await api("GET", "/v2/queue")).json?.queue as Array<typeof item & { app: { id: string } }>;
      item = queue.find((q) => q?.app.id === "/huge");
    }
    expect(item?.count).toBe(1);
    expect(item?.processedOffersSummary.rejectSummaryLastOffers.find((s) => s.reason === "InsufficientCpus")?.declined).toBeGreaterThan(0);
    expect((await api("DELETE", "/v2/apps/huge?force=true")).status).toBe(200); // its creation's deployment waits for an offer that fits
    expect((await api("DELETE", "/v2/apps/killed")).status).toBe(200);
    const last = one.tasks[0]!.id;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && (await masterTaskState(last)) !== "TASK_KILLED"; ) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(pidsOfTask(last)).toEqual([]);
  }, 90_000);
});
