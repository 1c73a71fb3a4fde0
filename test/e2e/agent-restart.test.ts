/**
 * End to end: the agent process is killed (SIGKILL) while its tasks run and started again.
 * The real master (workerd), the real compiled agent binary, real task processes: the tasks
 * keep running under their executors, the restarted agent re-attaches to them (same pids),
 * reports a task that ended while it was down, and can still kill a task.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sandboxPath } from "../../agent-bun/src/sandbox/paths.ts";
import { procStatFields } from "../../agent-bun/src/system/proc.ts";
import { AGENT_BINARY, localSecrets, startAgent } from "../../scripts/cluster-processes.ts";
import { commandTask, decodeTaskOutput, isTerminal } from "../../sdk/src/index.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { type Cluster, type TestFramework, useClusterWithFramework } from "../support/e2e-cluster.ts";

const small = [scalar("cpus", 0.1), scalar("mem", 32)];
const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);
if (!binary) console.log(`skipping the agent restart end-to-end test: ${AGENT_BINARY} is missing (npm test builds it first)`);

/** Running (not gone, not a zombie). */
const alive = (pid: number) => {
  const s = procStatFields(pid)?.[0];
  return s !== undefined && s !== "Z" && s !== "X";
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!binary)("agent killed and restarted mid-task", () => {
  let cluster: Cluster;
  let fw: TestFramework;
  useClusterWithFramework(["--resources", "cpus:8;mem:4096;disk:4096"], {}, (c, f) => {
    cluster = c;
    fw = f;
  });

  it("re-attaches to its tasks: same pids, TASK_FINISHED delivered, a task ended meanwhile reported, KILL works", async () => {
    const workDir = join(cluster.stateDir, "agent");
    const sandbox = (id: string) => sandboxPath(workDir, fw.frameworkId!, id);
    const stdout = (id: string) => {
      const f = join(sandbox(id), "stdout");
      return existsSync(f) ? readFileSync(f, "utf8") : "";
    };
    const pidOf = (id: string) => Number(/^pid=(\d+)$/m.exec(stdout(id))?.[1] ?? 0);

    const longs = ["long-0", "long-1", "long-2"];
    fw.submit(
      ...longs.map((id) => ({
        id,
        build: (agentId: string) => commandTask({ taskId: id, agentId, resources: small, shell: `echo pid=$$; sleep 15; echo done-$MESOS_TASK_ID` }),
      })),
    );
    fw.submit({ id: "short", build: (agentId) => commandTask({ taskId: "short", agentId, resources: small, shell: "echo pid=$$; sleep 2; echo short-done" }) });
    fw.submit({
      id: "victim",
      build: (agentId) =>
        commandTask({
          taskId: "victim",
          agentId,
          resources: small,
          killGracePeriodSeconds: 20,
          shell: "echo pid=$$; trap 'echo got-term; exit 0' TERM; while true; do sleep 0.2; done",
        }),
    });
    const all = [...longs, "short", "victim"];
    await fw.waitFor(() => all.every((id) => fw.stateOf(id)?.state === "TASK_RUNNING"), 60_000, "every task to run");
    const deadline = Date.now() + 10_000;
    while (!all.every((id) => pidOf(id) > 0) && Date.now() < deadline) await sleep(50);
    const pids = Object.fromEntries(all.map((id) => [id, pidOf(id)]));
    for (const id of all) expect(alive(pids[id]!), id).toBe(true);

    // The agent dies: SIGKILL to its process group. The executors live in sessions of their own.
    const agentPid = cluster.agent.child.pid!;
    await cluster.agent.stop("SIGKILL");
    expect(procStatFields(agentPid)).toBeUndefined();
    for (const id of all) expect(alive(pids[id]!), `${id} survives the agent`).toBe(true);

    // While it is down, "short" ends; nobody can tell the framework yet.
    for (const end = Date.now() + 10_000; !stdout("short").includes("short-done") && Date.now() < end; ) await sleep(100);
    expect(stdout("short")).toContain("short-done");
    await sleep(500);
    expect(fw.stateOf("short")?.state).toBe("TASK_RUNNING");

    // Started again with the same work dir (and the default --recover=reconnect).
    const secrets = localSecrets(cluster.stateDir);
    cluster.agent = startAgent({
      master: cluster.url,
      workDir,
      joinToken: secrets.joinToken,
      logFile: join(cluster.stateDir, "agent.log"),
      extraArgs: ["--cgroups-root", `strata-e2e-${new URL(cluster.url).port}`, "--poll-wait-seconds", "5", "--resources", "cpus:8;mem:4096;disk:4096"],
    });

    await fw.waitFor(() => isTerminal(fw.stateOf("short")?.state ?? "TASK_RUNNING"), 30_000, "short's final status after recovery");
    expect(fw.stateOf("short")!.state).toBe("TASK_FINISHED");
    expect(decodeTaskOutput(fw.stateOf("short")!)).toContain("short-done");

    // The others were re-attached, not restarted: same processes, still running.
    for (const id of [...longs, "victim"]) {
      expect(alive(pids[id]!), `${id} still runs`).toBe(true);
      expect(fw.stateOf(id)?.state, id).toBe("TASK_RUNNING");
    }

    // A KILL after recovery: SIGTERM reaches the task.
    await fw.client.kill("victim");
    await fw.waitFor(() => isTerminal(fw.stateOf("victim")?.state ?? "TASK_RUNNING"), 15_000, "victim to be killed");
    expect(fw.stateOf("victim")!.state).toBe("TASK_KILLED");
    expect(decodeTaskOutput(fw.stateOf("victim")!)).toContain("got-term");
    expect(alive(pids.victim!)).toBe(false);

    // The long tasks finish normally and the framework gets TASK_FINISHED with their output.
    await fw.waitFor(() => longs.every((id) => isTerminal(fw.stateOf(id)?.state ?? "TASK_RUNNING")), 30_000, "the long tasks to finish");
    for (const id of longs) {
      expect(fw.stateOf(id)!.state, id).toBe("TASK_FINISHED");
      const out = decodeTaskOutput(fw.stateOf(id)!);
      expect(out).toContain(`pid=${pids[id]}`); // the very process started before the agent died
      expect(out).toContain(`done-${id}`);
      expect(fw.updates.get(id)!.map((s) => s.state)).not.toContain("TASK_FAILED");
    }
  }, 120_000);
});
