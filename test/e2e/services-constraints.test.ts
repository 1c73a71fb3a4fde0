/**
 * The services framework's placement constraints end to end: the real local master and TWO real
 * agents advertising different hostnames. An app of 3 instances constrained `hostname UNIQUE`
 * runs exactly 2 tasks, one on each host; the third instance waits, and /v2/queue explains it
 * with offers declined as `UnfulfilledConstraint`. Deleting the app kills both tasks.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TERMINAL_STATES } from "../../schemas/task-states.ts";
import { AGENT_BINARY, type Proc } from "../../scripts/cluster-processes.ts";
import { FAST_MASTER_VARS, startHostsCluster } from "../support/e2e-cluster.ts";
import { marathonApi } from "../support/marathon-api.ts";
import { pidsOfTask } from "../support/task-processes.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);

interface MarathonApp {
  id: string;
  tasksRunning: number;
  tasks: Array<{ id: string; host: string; slaveId: string; state: string }>;
}
type Stage = { reason: string; declined: number };
type QueueItem = { app: { id: string }; count: number; processedOffersSummary: { rejectSummaryLastOffers: Stage[] } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!binary)("the services framework places a hostname UNIQUE app across two real agents", () => {
  let stateDir: string;
  let url: string;
  let master: Proc | undefined;
  const agents: Proc[] = [];
  let headers: Record<string, string>;
  const seenTasks = new Set<string>();
  const api = marathonApi(
    () => url,
    () => headers,
  );
  const masterTasks = async () => ((await (await fetch(`${url}/master/tasks`, { headers })).json()) as { tasks: Array<{ id: string; state: string }> }).tasks;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "strata-e2e-constraints-"));
    const cluster = await startHostsCluster({
      stateDir,
      hosts: ["host-a", "host-b"],
      vars: FAST_MASTER_VARS,
      resources: "cpus:1;mem:256;disk:256;ports:[31000-31009]",
      pollWaitSeconds: 5,
    });
    ({ url, master, headers } = cluster);
    agents.push(...cluster.agents.values());
  }, 90_000);

  afterAll(async () => {
    // Whatever a failed test left running is killed, and every task the master knows ends, before the agents stop.
    if (master && headers) {
      await api("DELETE", "/v2/apps/uniq?force=true").catch(() => undefined);
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(250)) {
        const tasks = await masterTasks().catch(() => []);
        for (const t of tasks) seenTasks.add(t.id);
        if (tasks.every((t) => (TERMINAL_STATES as ReadonlySet<string>).has(t.state))) break;
      }
    }
    for (const a of agents) await a.stop();
    await master?.stop();
    for (const id of seenTasks) expect(pidsOfTask(id), `processes of task ${id} left behind`).toEqual([]);
    if (stateDir && !process.env.STRATA_KEEP_E2E_STATE) rmSync(stateDir, { recursive: true, force: true });
  }, 45_000);

  it("runs 2 of 3 instances on different hosts, queues the third as UnfulfilledConstraint, and kills both on delete", async () => {
    const app = { id: "/uniq", cmd: "sleep 600", instances: 3, cpus: 0.1, mem: 16, constraints: [["hostname", "UNIQUE"]] };
    expect((await api("POST", "/v2/apps", app)).status).toBe(201);

    let running: MarathonApp | undefined;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && running?.tasksRunning !== 2; await sleep(250)) {
      running = (await api("GET", "/v2/apps/uniq")).json?.app as MarathonApp | undefined;
    }
    expect(running?.tasksRunning, JSON.stringify(running)).toBe(2);
    for (const t of running!.tasks) seenTasks.add(t.id);
    expect(running!.tasks).toHaveLength(2);
    expect(running!.tasks.map((t) => t.host).sort()).toEqual(["host-a", "host-b"]);
    expect(new Set(running!.tasks.map((t) => t.slaveId)).size).toBe(2);
    for (const t of running!.tasks) expect(pidsOfTask(t.id).length).toBeGreaterThan(0);

    // The third instance waits: both hosts' offers are declined for the constraint.
    let item: QueueItem | undefined;
    const constrained = (i: QueueItem | undefined) => i?.processedOffersSummary.rejectSummaryLastOffers.find((s) => s.reason === "UnfulfilledConstraint");
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && !((constrained(item)?.declined ?? 0) > 0); await sleep(250)) {
      const queue = (await api("GET", "/v2/queue")).json?.queue as QueueItem[] | undefined;
      item = queue?.find((q) => q.app.id === "/uniq");
    }
    expect(item?.count, JSON.stringify(item)).toBe(1);
    expect(constrained(item)?.declined, JSON.stringify(item)).toBeGreaterThan(0);
    // Still exactly 2 tasks: no instance was placed on a host that already has one.
    expect(((await api("GET", "/v2/apps/uniq")).json?.app as MarathonApp | undefined)?.tasks).toHaveLength(2);

    // Delete (force): the app is gone, both tasks are killed and their processes end.
    expect((await api("DELETE", "/v2/apps/uniq?force=true")).status).toBe(200);
    expect((await api("GET", "/v2/apps/uniq")).status).toBe(404);
    const ids = running!.tasks.map((t) => t.id);
    const states = async () => (await masterTasks()).filter((t) => ids.includes(t.id)).map((t) => t.state);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && !(await states()).every((s) => s === "TASK_KILLED"); ) await sleep(250);
    expect(await states()).toEqual(["TASK_KILLED", "TASK_KILLED"]);
    for (const id of ids) expect(pidsOfTask(id)).toEqual([]);
  }, 60_000);
});
