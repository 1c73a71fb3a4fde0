/**
 * The services framework's unreachable strategy end to end: the real local master (with short
 * partition timeouts: an agent unheard of for 2 s is unreachable) and TWO real agents. An app's
 * agent is frozen (SIGSTOP): the framework, partition-aware, sees its task TASK_UNREACHABLE, and
 * once `inactiveAfterSeconds` have passed launches a replacement on the other agent while the
 * old task, still running, is listed TASK_UNREACHABLE. Thawed (SIGCONT) before
 * `expungeAfterSeconds`, the old task comes back TASK_RUNNING: the app has one instance too many
 * and stops one in `killSelection` order (OLDEST_FIRST here: the old task is killed). A second
 * app is frozen past `expungeAfterSeconds`: its old task is forgotten, and killed as an unknown
 * task once its agent is back. Agents are always thawed and every task killed afterwards.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TERMINAL_STATES } from "../../schemas/task-states.ts";
import { AGENT_BINARY, type Proc } from "../../scripts/cluster-processes.ts";
import { FAST_MASTER_VARS, startHostsCluster } from "../support/e2e-cluster.ts";
import { marathonApi } from "../support/marathon-api.ts";
import { pidsOfTask, signalTask } from "../support/task-processes.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);

/** An agent unheard of for 2 s is unreachable; polls are held at most 1 s (as test/e2e/partitions.test.ts). */
const PARTITION_VARS = {
  ...FAST_MASTER_VARS,
  STRATA_AGENT_PING_TIMEOUT_SECONDS: "1",
  STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "2",
  STRATA_POLL_HOLD_SECONDS: "1",
};
const HOSTS = ["host-a", "host-b"] as const;

interface MarathonTask {
  id: string;
  host: string;
  state: string;
}
interface MarathonApp {
  id: string;
  tasksRunning: number;
  tasksStaged: number;
  tasks: MarathonTask[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!binary)("the services framework's unreachable strategy with a frozen agent", () => {
  let stateDir: string;
  let url: string;
  let master: Proc | undefined;
  const agents = new Map<string, Proc>();
  let headers: Record<string, string>;
  const seenTasks = new Set<string>();
  const api = marathonApi(
    () => url,
    () => headers,
  );
  const masterTasks = async () => ((await (await fetch(`${url}/master/tasks`, { headers })).json()) as { tasks: Array<{ id: string; state: string }> }).tasks;
  const masterState = async (taskId: string) => (await masterTasks()).find((t) => t.id === taskId)?.state;
  /** Polls the app until `check` holds; fails naming `what` and the last answer. */
  const until = async (id: string, check: (a: MarathonApp) => boolean, ms: number, what: string): Promise<MarathonApp> => {
    let last: MarathonApp | undefined;
    for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(200)) {
      last = (await api("GET", `/v2/apps/${id}`)).json?.app as MarathonApp | undefined;
      for (const t of last?.tasks ?? []) seenTasks.add(t.id);
      if (last && check(last)) return last;
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
  };
  const signal = (host: string, sig: NodeJS.Signals) => {
    const pid = agents.get(host)?.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "strata-e2e-unreachable-"));
    const cluster = await startHostsCluster({
      stateDir,
      hosts: HOSTS,
      vars: PARTITION_VARS,
      resources: "cpus:1;mem:256;disk:256;ports:[31000-31009]",
      pollWaitSeconds: 1,
    });
    ({ url, master, headers } = cluster);
    for (const [host, agent] of cluster.agents) agents.set(host, agent);
  }, 90_000);

  afterAll(async () => {
    for (const host of HOSTS) signal(host, "SIGCONT");
    if (master && headers) {
      for (const id of ["/comeback", "/expunged"]) await api("DELETE", `/v2/apps${id}?force=true`).catch(() => undefined);
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(250)) {
        const tasks = await masterTasks().catch(() => []);
        for (const t of tasks) seenTasks.add(t.id);
        if (tasks.every((t) => (TERMINAL_STATES as ReadonlySet<string>).has(t.state))) break;
      }
    }
    for (const a of agents.values()) await a.stop();
    await master?.stop();
    const left = [...seenTasks].filter((id) => pidsOfTask(id).length > 0);
    for (const id of left) signalTask(id, "SIGKILL");
    expect(left, "task processes left behind").toEqual([]);
    if (stateDir && !process.env.STRATA_KEEP_E2E_STATE) rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it("replaces an unreachable instance after inactiveAfterSeconds, and stops the surplus (killSelection) once it comes back", async () => {
    const app = {
      id: "/comeback",
      cmd: "sleep 600",
      instances: 1,
      cpus: 0.1,
      mem: 16,
      killSelection: "OLDEST_FIRST",
      unreachableStrategy: { inactiveAfterSeconds: 1, expungeAfterSeconds: 300 },
    };
    expect((await api("POST", "/v2/apps", app)).status).toBe(201);
    const [old] = (await until("comeback", (a) => a.tasksRunning === 1, 30_000, "1 running task")).tasks;
    const frozen = old!.host;
    const oldPids = pidsOfTask(old!.id);
    expect(oldPids.length).toBeGreaterThan(0);

    signal(frozen, "SIGSTOP");
    const frozenAt = Date.now();
    // Unreachable (2 s without the agent), inactive a second later: a replacement runs on the other agent,
    // while the old task, whose process still runs, is listed TASK_UNREACHABLE and counted neither running nor staged.
    const replaced = await until(
      "comeback",
      (a) => a.tasks.some((t) => t.id === old!.id && t.state === "TASK_UNREACHABLE") && a.tasks.some((t) => t.id !== old!.id && t.state === "TASK_RUNNING"),
      30_000,
      "the old task TASK_UNREACHABLE and a replacement running",
    );
    expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(2_000);
    const replacement = replaced.tasks.find((t) => t.id !== old!.id)!;
    expect(replacement.host).not.toBe(frozen);
    expect(replaced.tasks).toHaveLength(2);
    expect(replaced.tasksRunning).toBe(1);
    expect(replaced.tasksStaged).toBe(0);
    expect(await masterState(old!.id)).toBe("TASK_UNREACHABLE");
    expect(pidsOfTask(old!.id)).toEqual(oldPids);

    // Thawed before expungeAfterSeconds: the old task comes back running, the app has 2 of 1 and kills the oldest.
    signal(frozen, "SIGCONT");
    const settled = await until("comeback", (a) => a.tasks.length === 1 && a.tasksRunning === 1, 30_000, "the surplus stopped");
    expect(settled.tasks[0]!.id).toBe(replacement.id);
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && (await masterState(old!.id)) !== "TASK_KILLED"; ) await sleep(250);
    expect(await masterState(old!.id)).toBe("TASK_KILLED");
    expect(pidsOfTask(old!.id)).toEqual([]);
    expect(await masterState(replacement.id)).toBe("TASK_RUNNING");
  }, 90_000);

  it("forgets an instance unreachable past expungeAfterSeconds, and kills its task when its agent comes back", async () => {
    const app = {
      id: "/expunged",
      cmd: "sleep 600",
      instances: 1,
      cpus: 0.1,
      mem: 16,
      unreachableStrategy: { inactiveAfterSeconds: 1, expungeAfterSeconds: 4 },
    };
    expect((await api("POST", "/v2/apps", app)).status).toBe(201);
    const [old] = (await until("expunged", (a) => a.tasksRunning === 1, 30_000, "1 running task")).tasks;
    const frozen = old!.host;

    signal(frozen, "SIGSTOP");
    await until("expunged", (a) => a.tasks.some((t) => t.id === old!.id && t.state === "TASK_UNREACHABLE"), 20_000, "the old task TASK_UNREACHABLE");
    // Expunged: the app lists only its replacement, though the master still holds the old task as unreachable.
    const after = await until(
      "expunged",
      (a) => a.tasks.length === 1 && a.tasks[0]!.id !== old!.id && a.tasksRunning === 1,
      30_000,
      "the old instance expunged and a replacement running",
    );
    expect(after.tasks[0]!.host).not.toBe(frozen);
    expect(await masterState(old!.id)).toBe("TASK_UNREACHABLE");
    expect(pidsOfTask(old!.id).length).toBeGreaterThan(0);

    // Back: the framework no longer knows the task and kills it.
    signal(frozen, "SIGCONT");
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && (await masterState(old!.id)) !== "TASK_KILLED"; ) await sleep(250);
    expect(await masterState(old!.id)).toBe("TASK_KILLED");
    expect(pidsOfTask(old!.id)).toEqual([]);
    const final = (await api("GET", "/v2/apps/expunged")).json?.app as MarathonApp;
    expect(final.tasks.map((t) => t.id)).toEqual([after.tasks[0]!.id]);
  }, 90_000);
});
