/**
 * End to end (docs/backup.md): a real cluster A (master on workerd, the compiled agent, a
 * framework running `sleep 600`) is backed up with the operator command; a restore into A,
 * which has state, is refused (409) and changes nothing; a new master B with empty storage
 * takes the backup; the agent, restarted against B with its work dir, recovers its task, and
 * the framework, subscribing to B with its framework id, reconciles it as TASK_RUNNING — the
 * very process started under A — and B can still kill it.
 */

import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sandboxPath } from "../../agent-bun/src/sandbox/paths.ts";
import { procStatFields } from "../../agent-bun/src/system/proc.ts";
import type { TaskStatus } from "../../schemas/index.ts";
import { AGENT_BINARY, BUN, freePort, localSecrets, type Proc, ROOT, startAgent, startMaster } from "../../scripts/cluster-processes.ts";
import { commandTask, SchedulerClient } from "../../sdk/src/index.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { type Cluster, FAST_MASTER_VARS, startCluster, TestFramework } from "../support/e2e-cluster.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);
if (!binary) console.log(`skipping the backup end-to-end test: ${AGENT_BINARY} is missing (npm test builds it first)`);

const RESOURCES = ["--resources", "cpus:2;mem:1024;disk:1024"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  const s = procStatFields(pid)?.[0];
  return s !== undefined && s !== "Z" && s !== "X";
};

/** Runs the operator command (`npm run backup -- …`) against `url` with the cluster's operator credentials. */
function backupCommand(cluster: Cluster, url: string, ...args: string[]) {
  const r = spawnSync(BUN, [join(ROOT, "scripts", "backup.ts"), ...args, "--master", url, "--principal", cluster.principal, `--secret=${cluster.secret}`], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Tables = Record<string, unknown[]>;
const tablesOf = (file: string) => (JSON.parse(readFileSync(file, "utf8")) as { sections: Array<{ tables: Tables }> }).sections[0]!.tables;

describe.skipIf(!binary)("backup of a running cluster restored into a new master", () => {
  let a: Cluster | undefined;
  let fw: TestFramework | undefined;
  let masterB: Proc | undefined;
  let client: SchedulerClient | undefined;
  let taskPid = 0;
  const bDir = mkdtempSync(join(tmpdir(), "strata-e2e-b-"));

  afterAll(async () => {
    await client?.stop().catch(() => undefined);
    await fw?.stop().catch(() => undefined);
    await a?.stop();
    await masterB?.stop();
    if (taskPid && alive(taskPid)) process.kill(taskPid, "SIGKILL");
    if (!process.env.STRATA_KEEP_E2E_STATE) rmSync(bDir, { recursive: true, force: true });
  }, 30_000);

  it("keeps the task running and known: agent and framework come back to B with their ids", async () => {
    a = await startCluster(RESOURCES);
    fw = new TestFramework(a, "backup-e2e");
    await fw.start();
    const small = [scalar("cpus", 0.1), scalar("mem", 32)];
    fw.submit({ id: "long", build: (agentId) => commandTask({ taskId: "long", agentId, resources: small, shell: "echo pid=$$; exec sleep 600" }) });
    await fw.waitFor(() => fw!.stateOf("long")?.state === "TASK_RUNNING", 60_000, "the long task to run");
    const frameworkId = fw.frameworkId!;
    const agentId = fw.stateOf("long")!.agent_id!.value;
    const workDir = join(a.stateDir, "agent");
    const stdout = join(sandboxPath(workDir, frameworkId, "long"), "stdout");
    for (const end = Date.now() + 10_000; !taskPid && Date.now() < end; await sleep(50)) {
      taskPid = Number(/^pid=(\d+)$/m.exec(existsSync(stdout) ? readFileSync(stdout, "utf8") : "")?.[1] ?? 0);
    }
    expect(alive(taskPid)).toBe(true);
    await sleep(1000); // the RUNNING update acknowledged: nothing in flight

    // Export with the operator command.
    const file = join(bDir, "backup.json");
    const exported = backupCommand(a, a.url, "export", "--out", file);
    expect(exported.status, exported.stderr).toBe(0);
    const tables = tablesOf(file);
    expect((tables.agents as Array<{ id: string }>).map((r) => r.id)).toEqual([agentId]);
    expect((tables.frameworks as Array<{ id: string }>).map((r) => r.id)).toEqual([frameworkId]);
    expect((tables.tasks as Array<{ json: { taskId: string; state: string } }>).map((r) => [r.json.taskId, r.json.state])).toEqual([["long", "TASK_RUNNING"]]);

    // A has state: the restore is refused and A is as it was.
    const refused = backupCommand(a, a.url, "restore", file);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("answered 409: this master already has state");
    const again = join(bDir, "again.json");
    expect(backupCommand(a, a.url, "export", "--out", again).status).toBe(0);
    expect(tablesOf(again)).toEqual(tables);

    // Cluster A goes away: the agent dies (its task lives on), the framework and master A stop.
    await a.agent.stop("SIGKILL");
    await fw.stop();
    await a.master.stop();
    expect(alive(taskPid)).toBe(true);

    // Master B: empty storage, the same configured secrets (they are settings, not state).
    copyFileSync(join(a.stateDir, "secrets.env"), join(bDir, "secrets.env"));
    const portB = await freePort();
    const urlB = `http://127.0.0.1:${portB}`;
    masterB = await startMaster({ port: portB, stateDir: bDir, vars: FAST_MASTER_VARS });
    const restored = backupCommand(a, urlB, "restore", file);
    expect(restored.status, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ restored: { agents: 1, frameworks: 1, tasks: 1 }, from: { schema_version: 2 } });

    // The agent, restarted against B with the same work dir, recovers the task.
    a.agent = startAgent({
      master: urlB,
      workDir,
      joinToken: localSecrets(bDir).joinToken,
      logFile: join(a.stateDir, "agent-b.log"),
      extraArgs: ["--cgroups-root", `strata-e2e-${new URL(a.url).port}`, "--poll-wait-seconds", "5", ...RESOURCES],
    });

    // The framework subscribes to B with its framework id and reconciles.
    const updates: TaskStatus[] = [];
    const masterIds: string[] = [];
    client = new SchedulerClient({
      master: urlB,
      frameworkInfo: { user: "root", name: "backup-e2e", failover_timeout: 3600, id: { value: frameworkId } },
      credentials: { principal: a.principal, secret: a.secret },
      backoff: { initialMs: 200, maxMs: 1000 },
    });
    client.on("update", (s) => updates.push(s));
    const subscribed = await client.start();
    expect(subscribed.framework_id.value).toBe(frameworkId);
    if (subscribed.master_info) masterIds.push(subscribed.master_info.id);
    const reconciled = () => updates.find((s) => s.task_id.value === "long" && s.reason === "REASON_RECONCILIATION");
    for (const end = Date.now() + 30_000; !reconciled() && Date.now() < end; await sleep(500)) await client.reconcile([{ taskId: "long", agentId }]);
    expect(reconciled()?.state).toBe("TASK_RUNNING");
    expect(reconciled()?.agent_id?.value).toBe(agentId);

    // The agent is back under its id, the task with it, the very process.
    const auth = { authorization: `Basic ${btoa(`${a.principal}:${a.secret}`)}` };
    const agentBack = async () => {
      const state = (await (await fetch(`${urlB}/master/state`, { headers: auth })).json()) as { slaves: Array<{ id: string; active: boolean }> };
      return state.slaves.find((s) => s.id === agentId)?.active === true;
    };
    for (const end = Date.now() + 30_000; !(await agentBack()) && Date.now() < end; ) await sleep(500);
    expect(await agentBack()).toBe(true);
    const state = (await (await fetch(`${urlB}/master/state`, { headers: auth })).json()) as {
      frameworks: Array<{ id: string; tasks: Array<{ id: string; state: string; slave_id: string }> }>;
    };
    expect(state.frameworks.find((f) => f.id === frameworkId)?.tasks.map((t) => [t.id, t.state, t.slave_id])).toEqual([["long", "TASK_RUNNING", agentId]]);
    expect(alive(taskPid)).toBe(true);

    // B controls it: a KILL reaches the process.
    await client.kill("long", agentId);
    for (const end = Date.now() + 20_000; !updates.some((s) => s.state === "TASK_KILLED") && Date.now() < end; ) await sleep(200);
    expect(updates.map((s) => s.state)).toContain("TASK_KILLED");
    expect(updates.map((s) => s.state)).not.toContain("TASK_LOST");
    expect(alive(taskPid)).toBe(false);
  }, 180_000);
});
