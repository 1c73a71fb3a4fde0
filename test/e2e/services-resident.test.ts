/**
 * Resident apps of the services framework end to end: the real local master with its services
 * object (role `marathon`), the real compiled agent running real processes, driven only through
 * Marathon's REST API. A resident app's task appends a line to a file in its persistent volume and
 * sleeps; killed, scaled to 0 and back, restarted (a rolling deployment), each new task runs on the same agent with the same volume
 * and finds the earlier lines. `wipe=true` gives the instance a fresh volume; deleting the app
 * leaves the role no reserved resources and removes the volumes from the agent.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { type Cluster, startCluster } from "../support/e2e-cluster.ts";
import { jsonHeaders, marathonApi } from "../support/marathon-api.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);

interface Task {
  id: string;
  slaveId: string;
  state: string;
  localVolumes: Array<{ containerPath: string; persistenceId: string }>;
}
interface App {
  instances: number;
  tasksRunning: number;
  tasks: Task[];
}

const ROLE = "marathon";

describe.skipIf(!binary)("resident apps end to end", () => {
  let cluster: Cluster;
  let headers: Record<string, string>;
  const api = marathonApi(
    () => cluster.url,
    () => headers,
  );
  const app = async () => (await api("GET", "/v2/apps/store")).json?.app as App | undefined;
  const until = async <T>(get: () => Promise<T>, check: (v: T) => boolean, ms: number, what: string): Promise<T> => {
    let last: T | undefined;
    for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      last = await get();
      if (check(last)) return last;
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
  };
  const running = (taskIdPattern: RegExp) =>
    until(app, (a) => a?.tasksRunning === 1 && taskIdPattern.test(a.tasks[0]?.id ?? ""), 30_000, `a running task ${taskIdPattern}`).then((a) => a!.tasks[0]!);
  /** The agent's directory of a volume (agent-bun/src/sandbox/volumes.ts keeps `volumes/roles/<role>/<persistence id>`, names made safe). */
  const volumeDirs = () => {
    const dir = join(cluster.stateDir, "agent", "volumes", "roles", ROLE);
    return existsSync(dir) ? readdirSync(dir).map((d) => join(dir, d)) : [];
  };
  const lines = (dir: string) => (existsSync(join(dir, "log")) ? readFileSync(join(dir, "log"), "utf8").trim().split("\n") : []);
  const reservedForRole = async () => {
    const state = (await (await fetch(`${cluster.url}/master/state`, { headers })).json()) as {
      slaves: Array<{ reserved_resources: Record<string, unknown> }>;
    };
    return state.slaves.some((s) => s.reserved_resources[ROLE] !== undefined);
  };

  beforeAll(async () => {
    cluster = await startCluster(["--resources", "cpus:2;mem:1024;disk:1024;ports:[31000-31099]"], { vars: { STRATA_SERVICES_ROLE: ROLE } });
    headers = jsonHeaders(cluster);
  }, 90_000);
  afterAll(async () => {
    if (cluster) {
      await api("DELETE", "/v2/apps/store?force=true");
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
        const { tasks } = (await (await fetch(`${cluster.url}/master/tasks`, { headers })).json()) as { tasks: Array<{ state: string }> };
        if (tasks.every((t) => /^TASK_(KILLED|FAILED|FINISHED|LOST|ERROR|DROPPED|GONE)/.test(t.state))) break;
      }
    }
    await cluster?.stop();
  }, 45_000);

  it("keeps the volume's data across a kill, a scale to 0 and back and a restart, on the same agent; wipe and delete give the reservation back", async () => {
    const definition = {
      id: "/store",
      cmd: 'echo "$MESOS_TASK_ID" >> data/log && sleep 600',
      cpus: 0.1,
      mem: 32,
      container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 16 } }] },
    };
    const refused = await api("POST", "/v2/apps", { ...definition, role: "*" });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.json)).toContain("Resident apps cannot have the role *");

    const created = await api("POST", "/v2/apps", definition);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      residency: { taskLostBehavior: "WAIT_FOREVER" },
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
    });

    const first = await running(/^store\.instance-[0-9a-f-]{36}\._app\.1$/);
    expect(first.localVolumes).toEqual([{ containerPath: "data", persistenceId: expect.stringMatching(/^store#data#[0-9a-f-]{36}$/) }]);
    expect(await reservedForRole()).toBe(true);
    const [dir] = await until(
      async () => volumeDirs(),
      (d) => d.length === 1 && lines(d[0]!).length === 1,
      10_000,
      "the first line in the volume",
    );
    expect(lines(dir!)).toEqual([first.id]);
    const instance = first.id.replace(/\._app\.1$/, "");
    /** The task id of the instance's `n`th task. */
    const incarnation = (n: number) => new RegExp(`^${instance.replace(/\./g, "\\.")}\\._app\\.${n}$`);

    // Killed: relaunched on the same agent with the same volume, as the instance's next incarnation.
    expect((await api("DELETE", `/v2/apps/store/tasks/${first.id}`)).status).toBe(200);
    const second = await running(incarnation(2));
    expect(second.slaveId).toBe(first.slaveId);
    expect(second.localVolumes).toEqual(first.localVolumes);
    await until(
      async () => lines(dir!),
      (l) => l.length === 2,
      10_000,
      "the second line",
    );
    expect(lines(dir!)).toEqual([first.id, second.id]);

    // Scaled to 0: no task, the reservation and the volume stay; back to 1: the same instance again.
    expect((await api("PUT", "/v2/apps/store", { instances: 0 })).status).toBe(200);
    await until(app, (a) => a?.tasks.length === 0, 20_000, "no task after scaling to 0");
    expect(await reservedForRole()).toBe(true);
    expect((await api("PUT", "/v2/apps/store", { instances: 1 })).status).toBe(200);
    const third = await running(incarnation(3));
    expect(third.slaveId).toBe(first.slaveId);
    await until(
      async () => lines(dir!),
      (l) => l.length === 3,
      10_000,
      "the third line",
    );
    expect(lines(dir!)).toEqual([first.id, second.id, third.id]);

    // A rolling restart: the old task is killed first (maximumOverCapacity 0), the new version runs on the same reservation.
    expect((await api("POST", "/v2/apps/store/restart")).status).toBe(200);
    const fourth = await running(incarnation(4));
    expect(fourth.slaveId).toBe(first.slaveId);
    await until(
      async () => lines(dir!),
      (l) => l.length === 4,
      10_000,
      "the fourth line",
    );
    expect(lines(dir!)).toEqual([first.id, second.id, third.id, fourth.id]);
    await until(
      async () => (await api("GET", "/v2/deployments")).json,
      (d) => Array.isArray(d) && d.length === 0,
      20_000,
      "the restart's deployment over",
    );

    // wipe=true: the volume goes and the replacement starts with a new one.
    expect((await api("DELETE", `/v2/apps/store/tasks/${fourth.id}?wipe=true`)).status).toBe(200);
    const fresh = await running(/^store\.instance-[0-9a-f-]{36}\._app\.1$/);
    expect(fresh.id.startsWith(instance)).toBe(false);
    expect(fresh.localVolumes[0]!.persistenceId).not.toBe(first.localVolumes[0]!.persistenceId);
    await until(
      async () => volumeDirs(),
      (d) => d.length === 1 && d[0] !== dir && lines(d[0]!).length === 1,
      15_000,
      "only the new volume",
    );
    expect(lines(volumeDirs()[0]!)).toEqual([fresh.id]);

    // The app deleted: its volume destroyed and every reservation of the role undone.
    expect((await api("DELETE", "/v2/apps/store")).status).toBe(200);
    await until(reservedForRole, (r) => !r, 20_000, "no reserved resources for the role");
    await until(
      async () => volumeDirs(),
      (d) => d.length === 0,
      15_000,
      "no volume left on the agent",
    );
  }, 150_000);
});
