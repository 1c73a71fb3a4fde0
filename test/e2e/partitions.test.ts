/**
 * Partitions end to end (docs/lifecycle.md): the real master with short timeouts and the real
 * agent binary running a real `sleep`. The agent process is frozen (SIGSTOP) until the master
 * marks it unreachable, then thawed (SIGCONT): it is told to register again and does so with
 * its task, which comes back TASK_RUNNING. Then an operator marks the agent gone: the task is
 * TASK_GONE_BY_OPERATOR, the agent is told to shut the frameworks down (the process ends) and is
 * refused from then on. A partition-aware framework and one that is not share the agent, so
 * each step shows both framework kinds' view.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FrameworkInfo, TaskStatus } from "../../schemas/index.ts";
import { AGENT_BINARY, freePort, localSecrets, type Proc, startAgent, startMaster } from "../../scripts/cluster-processes.ts";
import { authorizationHeader } from "../../sdk/src/auth.ts";
import { commandTask, SchedulerClient } from "../../sdk/src/index.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { FAST_MASTER_VARS } from "../support/e2e-cluster.ts";

const binary = existsSync(AGENT_BINARY);

/** Master settings: an agent unheard of for 2 s is unreachable; polls are held at most 1 s. */
const PARTITION_VARS = {
  ...FAST_MASTER_VARS,
  STRATA_AGENT_PING_TIMEOUT_SECONDS: "1",
  STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "2",
  STRATA_POLL_HOLD_SECONDS: "1",
};

/** A framework that launches one `sleep 60` task into its first offer and records its updates. */
class OneTaskFramework {
  readonly client: SchedulerClient;
  readonly updates: TaskStatus[] = [];
  private launched = false;

  constructor(
    url: string,
    principal: string,
    secret: string,
    readonly taskId: string,
    extra: Partial<FrameworkInfo>,
  ) {
    this.client = new SchedulerClient({
      master: url,
      frameworkInfo: { user: "root", name: taskId, failover_timeout: 3600, ...extra },
      credentials: { principal, secret },
      backoff: { initialMs: 200, maxMs: 1000 },
      logger: {},
    });
    this.client.on("update", (s) => {
      if (s.task_id.value === taskId) this.updates.push(s);
    });
    this.client.on("offers", (offers) => {
      for (const offer of offers) {
        if (this.launched) {
          void this.client.decline([offer.id], { refuse_seconds: 60 }).catch(() => undefined);
          continue;
        }
        this.launched = true;
        const task = commandTask({ taskId, agentId: offer.agent_id.value, shell: "sleep 60", resources: [scalar("cpus", 0.1), scalar("mem", 32)] });
        void this.client.launch([offer.id], [task], { refuse_seconds: 60 }).catch(() => {
          this.launched = false;
        });
      }
    });
  }

  /** Updates from `index` on, as `state/reason` strings. */
  seen(from = 0): string[] {
    return this.updates.slice(from).map((s) => `${s.state}/${s.reason ?? ""}`);
  }

  /** Resolves with the first update from `from` on in `state`; fails after `timeoutMs`. */
  async waitFor(state: string, from: number, timeoutMs: number): Promise<TaskStatus> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.updates.slice(from).find((s) => s.state === state);
      if (found) return found;
      if (Date.now() > end) throw new Error(`${this.taskId}: no ${state} within ${timeoutMs} ms; saw ${this.seen(from).join(", ")}`);
      await sleep(50);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `pid` is still one of this test's `sleep 60` tasks (not a process that reused the pid). */
function isOurTask(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("sleep 60");
  } catch {
    return false;
  }
}

/** Whether a process exists (signal 0). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!binary)("partitions end to end", () => {
  let stateDir: string;
  let url: string;
  let auth: string;
  let master: Proc;
  let agent: Proc;
  let aware: OneTaskFramework;
  let legacy: OneTaskFramework;
  let agentId: string;
  const taskPids: number[] = [];

  /** Waits until the agent's log (written through a pipe, so a little late) matches `pattern`. */
  const waitForLog = async (pattern: RegExp, timeoutMs = 5_000): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!pattern.test(readFileSync(join(stateDir, "agent.log"), "utf8"))) {
      if (Date.now() > end) throw new Error(`the agent log does not match ${pattern}:\n${readFileSync(join(stateDir, "agent.log"), "utf8")}`);
      await sleep(100);
    }
  };
  /** Pids of the agent's task processes, from its checkpoint. */
  const checkpointedPids = (): number[] => {
    const state = JSON.parse(readFileSync(join(stateDir, "agent", "meta", "agent-state.json"), "utf8")) as { tasks: Record<string, { pid?: number }> };
    return Object.values(state.tasks).flatMap((t) => (t.pid ? [t.pid] : []));
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const masterState = async (): Promise<any> => (await fetch(`${url}/master/state`, { headers: { authorization: auth } })).json();

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "strata-e2e-partitions-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const secrets = localSecrets(stateDir);
    auth = authorizationHeader({ principal: secrets.principal, secret: secrets.secret })!;
    master = await startMaster({ port, stateDir, vars: PARTITION_VARS });
    agent = startAgent({
      master: url,
      workDir: join(stateDir, "agent"),
      joinToken: secrets.joinToken,
      logFile: join(stateDir, "agent.log"),
      extraArgs: ["--cgroups", "off", "--poll-wait-seconds", "1", "--resources", "cpus:2;mem:1024;disk:1024"],
    });
    aware = new OneTaskFramework(url, secrets.principal, secrets.secret, "aware", { capabilities: [{ type: "PARTITION_AWARE" }] });
    legacy = new OneTaskFramework(url, secrets.principal, secrets.secret, "legacy", {});
    await Promise.all([aware.client.start(), legacy.client.start()]);
  }, 90_000);

  afterAll(async () => {
    if (agent?.child.pid) {
      try {
        process.kill(agent.child.pid, "SIGCONT");
      } catch {
        /* gone */
      }
    }
    await aware?.client.stop();
    await legacy?.client.stop();
    await agent?.stop();
    await master?.stop();
    // The agent leaves its tasks running when it stops: end any the test did not see end.
    try {
      taskPids.push(...checkpointedPids());
    } catch {
      /* no checkpoint */
    }
    for (const pid of new Set(taskPids)) {
      if (isOurTask(pid)) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
    }
    if (!process.env.STRATA_KEEP_E2E_STATE) rmSync(stateDir, { recursive: true, force: true });
  }, 30_000);

  it("runs one task for each framework", async () => {
    const [a, l] = await Promise.all([aware.waitFor("TASK_RUNNING", 0, 20_000), legacy.waitFor("TASK_RUNNING", 0, 20_000)]);
    agentId = a.agent_id!.value;
    expect(l.agent_id!.value).toBe(agentId);
    taskPids.push(...checkpointedPids());
    expect(taskPids).toHaveLength(2);
    expect(taskPids.every(alive)).toBe(true);
  }, 25_000);

  it("reports the tasks of a frozen agent TASK_UNREACHABLE (partition-aware) and TASK_LOST (not), and running again once it is back", async () => {
    const [fromA, fromL] = [aware.updates.length, legacy.updates.length];
    process.kill(agent.child.pid!, "SIGSTOP");
    const started = Date.now();
    const unreachable = await aware.waitFor("TASK_UNREACHABLE", fromA, 15_000);
    const lost = await legacy.waitFor("TASK_LOST", fromL, 5_000);
    // Not before the unreachable timeout (counted from the agent's last poll, which may have ended
    // a moment before it was frozen).
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(unreachable).toMatchObject({ reason: "REASON_AGENT_REMOVED", source: "SOURCE_MASTER", agent_id: { value: agentId } });
    // unreachable_time: when the master marked the agent, by its clock (this machine's).
    const markedMs = unreachable.unreachable_time!.nanoseconds / 1e6;
    expect(markedMs).toBeGreaterThanOrEqual(started + 1_500);
    expect(markedMs).toBeLessThanOrEqual(Date.now());
    expect(lost.unreachable_time).toEqual(unreachable.unreachable_time);
    expect(lost).toMatchObject({ reason: "REASON_AGENT_REMOVED", source: "SOURCE_MASTER" });
    expect(aware.seen(fromA)).not.toContain("TASK_LOST/REASON_AGENT_REMOVED");
    // Reconciliation answers the same while it is away.
    const beforeReconcile = aware.updates.length;
    await aware.client.reconcile([{ taskId: "aware" }]);
    const reconciled = await aware.waitFor("TASK_UNREACHABLE", beforeReconcile, 5_000);
    expect(reconciled.reason).toBe("REASON_RECONCILIATION");
    const away = await masterState();
    expect(away.unreachable_slaves).toBe(1);
    expect(away.slaves.map((a: { id: string }) => a.id)).not.toContain(agentId);
    // The task processes were never touched.
    expect(taskPids.every(alive)).toBe(true);

    const [backA, backL] = [aware.updates.length, legacy.updates.length];
    process.kill(agent.child.pid!, "SIGCONT");
    const running = await aware.waitFor("TASK_RUNNING", backA, 10_000);
    expect(running).toMatchObject({ reason: "REASON_AGENT_REREGISTERED", agent_id: { value: agentId } });
    expect(running.unreachable_time).toBeUndefined();
    expect(await legacy.waitFor("TASK_RUNNING", backL, 5_000)).toMatchObject({ reason: "REASON_AGENT_REREGISTERED" });
    await waitForLog(/master asked this agent to register again/);
    await waitForLog(new RegExp(`re-registered with the master agent_id=${agentId} tasks=2`));
    const back = await masterState();
    expect(back.unreachable_slaves).toBe(0);
    expect(back.slaves.find((a: { id: string }) => a.id === agentId)).toMatchObject({ active: true });
    // Same agent id, same processes.
    expect(checkpointedPids().sort()).toEqual([...taskPids].sort());
    const afterReconcile = aware.updates.length;
    await aware.client.reconcile([{ taskId: "aware" }]);
    expect((await aware.waitFor("TASK_RUNNING", afterReconcile, 5_000)).reason).toBe("REASON_RECONCILIATION");
  }, 28_000);

  it("MARK_AGENT_GONE: TASK_GONE_BY_OPERATOR (partition-aware) / TASK_LOST, the agent stops the tasks and is refused", async () => {
    const [fromA, fromL] = [aware.updates.length, legacy.updates.length];
    const res = await fetch(`${url}/api/v1`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify({ type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: agentId } } }),
    });
    expect(res.status).toBe(200);
    expect(await aware.waitFor("TASK_GONE_BY_OPERATOR", fromA, 5_000)).toMatchObject({ reason: "REASON_AGENT_REMOVED_BY_OPERATOR", source: "SOURCE_MASTER" });
    expect(await legacy.waitFor("TASK_LOST", fromL, 5_000)).toMatchObject({ reason: "REASON_AGENT_REMOVED_BY_OPERATOR" });
    // The agent learns to shut the frameworks down: the processes end.
    for (const end = Date.now() + 10_000; taskPids.some(alive) && Date.now() < end; ) await sleep(100);
    expect(taskPids.filter(alive)).toEqual([]);
    await waitForLog(/shutting down framework[^\n]*\n[^\n]*shutting down framework/);
    // Then it is refused for good (410): it says why and exits with status 3.
    await waitForLog(
      new RegExp(
        `agent marked gone by an operator; stopping[^\\n]*HTTP 410: agent_id: agent '${agentId}' was marked gone by an operator[^\\n"]*join as a new agent"`,
      ),
    );
    for (const end = Date.now() + 5_000; agent.child.exitCode === null && Date.now() < end; ) await sleep(100);
    expect(agent.child.exitCode).toBe(3);
    const gone = await masterState();
    expect(gone.slaves.map((a: { id: string }) => a.id)).not.toContain(agentId);
    expect(gone.unreachable_slaves).toBe(0);
    // The agent's own TASK_KILLED updates are not forwarded: the frameworks' last word stays.
    await sleep(1_000);
    expect(aware.updates.at(-1)!.state).toBe("TASK_GONE_BY_OPERATOR");
    expect(legacy.updates.at(-1)!.state).toBe("TASK_LOST");
    const afterReconcile = aware.updates.length;
    await aware.client.reconcile([{ taskId: "aware", agentId }]);
    expect((await aware.waitFor("TASK_GONE_BY_OPERATOR", afterReconcile, 5_000)).reason).toBe("REASON_RECONCILIATION");
  }, 28_000);
});
