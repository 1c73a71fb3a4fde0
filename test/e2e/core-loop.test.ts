/**
 * End to end: the real master (workerd via wrangler dev) and the real compiled agent binary
 * running real processes, driven by a framework built on the SDK.
 */

import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AGENT_BINARY, masterMetrics } from "../../scripts/cluster-processes.ts";
import { commandTask, decodeTaskOutput, exitStatusOf, isTerminal } from "../../sdk/src/index.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { type Cluster, cgroupsUnavailable, type TestFramework, useClusterWithFramework } from "../support/e2e-cluster.ts";

const small = [scalar("cpus", 0.1), scalar("mem", 32)];
const seen = (fw: TestFramework, id: string) => (fw.updates.get(id) ?? []).map((s) => s.state);
const terminal = (fw: TestFramework, id: string) => {
  const s = fw.stateOf(id);
  return s !== undefined && isTerminal(s.state);
};

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);
if (!binary) console.log(`skipping end-to-end tests: ${AGENT_BINARY} is missing (npm test builds it first)`);

describe.skipIf(!binary)("local cluster end to end", () => {
  let cluster: Cluster;
  let fw: TestFramework;
  useClusterWithFramework(["--resources", "cpus:8;mem:4096;disk:4096"], {}, (c, f) => {
    cluster = c;
    fw = f;
  });

  it("runs 10 tasks to TASK_FINISHED, with their output, and reports a failing exit status", async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `echo-${i}`);
    fw.submit(
      ...ids.map((id) => ({ id, build: (agentId: string) => commandTask({ taskId: id, agentId, resources: small, shell: `echo out-$MESOS_TASK_ID` }) })),
    );
    fw.submit({ id: "argv", build: (agentId) => commandTask({ taskId: "argv", agentId, resources: small, command: ["/bin/echo", "argv", "works"] }) });
    fw.submit({ id: "fails", build: (agentId) => commandTask({ taskId: "fails", agentId, resources: small, shell: "echo bad >&2; exit 3" }) });
    const all = [...ids, "argv", "fails"];
    await fw.waitFor(() => all.every((id) => terminal(fw, id)), 60_000, "12 tasks to end");
    for (const id of ids) {
      const last = fw.stateOf(id)!;
      expect(last.state, id).toBe("TASK_FINISHED");
      expect(exitStatusOf(last)).toBe(0);
      expect(decodeTaskOutput(last).trim()).toBe(`out-${id}`);
      expect(seen(fw, id)).toEqual(expect.arrayContaining(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]));
      expect(last.uuid).toBeTruthy();
    }
    expect(decodeTaskOutput(fw.stateOf("argv")!).trim()).toBe("argv works");
    expect(fw.stateOf("fails")!.state).toBe("TASK_FAILED");
    expect(exitStatusOf(fw.stateOf("fails")!)).toBe(3);
  }, 90_000);

  it("kills a task that exceeds its memory limit with REASON_CONTAINER_LIMITATION_MEMORY", async (ctx) => {
    const why = cgroupsUnavailable();
    if (why && !process.env.CI) {
      console.log(`skipping the memory-limit test: ${why}`);
      ctx.skip();
    }
    fw.submit({
      id: "hog",
      build: (agentId) =>
        commandTask({
          taskId: "hog",
          agentId,
          resources: [scalar("cpus", 0.1), scalar("mem", 48)],
          shell: "head -c 400m /dev/zero | tail; sleep 5; echo survived",
        }),
    });
    await fw.waitFor(() => terminal(fw, "hog"), 60_000, "the memory hog to end");
    const last = fw.stateOf("hog")!;
    expect(last.state).toBe("TASK_FAILED");
    expect(last.reason).toBe("REASON_CONTAINER_LIMITATION_MEMORY");
    expect(decodeTaskOutput(last)).not.toContain("survived");
  }, 90_000);

  it("KILL sends SIGTERM, then SIGKILL after the grace period", async () => {
    const loop = "while true; do sleep 0.1; done";
    fw.submit(
      {
        id: "polite",
        build: (agentId) =>
          commandTask({
            taskId: "polite",
            agentId,
            resources: small,
            killGracePeriodSeconds: 20,
            shell: `trap 'echo got-term; exit 0' TERM; echo ready; ${loop}`,
          }),
      },
      {
        id: "stubborn",
        build: (agentId) =>
          commandTask({ taskId: "stubborn", agentId, resources: small, killGracePeriodSeconds: 2, shell: `trap '' TERM; echo ready; ${loop}` }),
      },
    );
    await fw.waitFor(() => fw.stateOf("polite")?.state === "TASK_RUNNING" && fw.stateOf("stubborn")?.state === "TASK_RUNNING", 30_000, "both to run");
    await new Promise((r) => setTimeout(r, 300)); // let the shells install their traps
    const t0 = Date.now();
    await fw.client.kill("polite");
    await fw.waitFor(() => terminal(fw, "polite"), 15_000, "polite to be killed");
    const politeMs = Date.now() - t0;
    expect(fw.stateOf("polite")!.state).toBe("TASK_KILLED");
    expect(decodeTaskOutput(fw.stateOf("polite")!)).toContain("got-term");
    expect(politeMs).toBeLessThan(10_000); // well inside its 20 s grace: SIGTERM alone ended it

    const t1 = Date.now();
    await fw.client.kill("stubborn");
    await fw.waitFor(() => terminal(fw, "stubborn"), 20_000, "stubborn to be killed");
    expect(fw.stateOf("stubborn")!.state).toBe("TASK_KILLED");
    expect(Date.now() - t1).toBeGreaterThanOrEqual(2_000); // it ignored SIGTERM: SIGKILL after the grace
  }, 60_000);

  it("loses no task and no status update when the master is killed and restarted mid-run", async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `restart-${i}`);
    fw.submit(
      ...ids.map((id) => ({
        id,
        build: (agentId: string) => commandTask({ taskId: id, agentId, resources: small, shell: `sleep 3; echo done-$MESOS_TASK_ID` }),
      })),
    );
    await fw.waitFor(() => ids.filter((id) => fw.stateOf(id)?.state === "TASK_RUNNING").length >= 5, 30_000, "tasks to run");
    const before = fw.frameworkId;
    await cluster.restartMaster({ downMs: 1500 });
    await fw.waitFor(() => ids.every((id) => terminal(fw, id)), 90_000, "every task to finish after the restart");
    for (const id of ids) {
      expect(fw.stateOf(id)!.state, id).toBe("TASK_FINISHED");
      expect(seen(fw, id)).toEqual(expect.arrayContaining(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]));
      expect(decodeTaskOutput(fw.stateOf(id)!).trim()).toBe(`done-${id}`);
    }
    expect(fw.frameworkId).toBe(before);
    expect(new Set(fw.masterIds).size).toBeGreaterThanOrEqual(2); // master_info.id changes per instance

    // Every update was acknowledged, and the master ends with nothing pending.
    let pending = -1;
    for (let i = 0; i < 40 && pending !== 0; i++) {
      const metrics = await masterMetrics(cluster.url, cluster);
      pending = metrics["master/unacknowledged_updates"]!;
      if (pending) await new Promise((r) => setTimeout(r, 250));
    }
    expect(pending).toBe(0);
  }, 150_000);
});
