/**
 * End to end: health checks run by the real compiled agent on real processes, reported through
 * the real master to a framework (Mesos `HealthCheck`): a healthy task is reported
 * `healthy: true` (also in reconciliation answers), a task whose check keeps failing is reported
 * `healthy: false` and then killed, and an invalid check is refused before the launch.
 */

import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { HealthCheck, TaskInfo } from "../../schemas/mesos.ts";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { commandTask, isTerminal } from "../../sdk/src/index.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { type TestFramework, useClusterWithFramework } from "../support/e2e-cluster.ts";

const small = [scalar("cpus", 0.1), scalar("mem", 32)];
const terminal = (fw: TestFramework, id: string) => {
  const s = fw.stateOf(id);
  return s !== undefined && isTerminal(s.state);
};
const fast: Partial<HealthCheck> = { delay_seconds: 0, interval_seconds: 0.5, timeout_seconds: 5, grace_period_seconds: 0 };

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);
if (!binary) console.log(`skipping end-to-end tests: ${AGENT_BINARY} is missing (npm test builds it first)`);

describe.skipIf(!binary)("health checks end to end", () => {
  let fw: TestFramework;
  useClusterWithFramework(["--resources", "cpus:4;mem:2048;disk:1024"], { name: "health-e2e" }, (_c, f) => {
    fw = f;
  });

  const withCheck = (id: string, shell: string, check: HealthCheck) => ({
    id,
    build: (agentId: string): TaskInfo => ({
      ...commandTask({ taskId: id, agentId, resources: small, shell, killGracePeriodSeconds: 1 }),
      health_check: check,
    }),
  });

  it("reports a healthy task healthy: true, in its update and in reconciliation", async () => {
    // The first check may run before the shell has made `ready`: the grace period covers that.
    fw.submit(
      withCheck("healthy", "touch ready; sleep 120", {
        type: "COMMAND",
        command: { value: 'test -f ready && [ -n "$MESOS_TASK_ID" ]' },
        ...fast,
        grace_period_seconds: 20,
      }),
    );
    await fw.waitFor(() => (fw.updates.get("healthy") ?? []).some((s) => s.healthy === true), 30_000, "a healthy: true update");
    const update = fw.updates.get("healthy")!.find((s) => s.healthy === true)!;
    expect(update.state).toBe("TASK_RUNNING");
    expect(update.reason).toBe("REASON_TASK_HEALTH_CHECK_STATUS_UPDATED");
    expect(fw.updates.get("healthy")!.some((s) => s.healthy === false)).toBe(false);

    const before = fw.updates.get("healthy")!.length;
    await fw.client.reconcile([{ taskId: "healthy" }]);
    await fw.waitFor(() => fw.updates.get("healthy")!.length > before, 10_000, "the reconciliation answer");
    const answer = fw.updates.get("healthy")!.at(-1)!;
    expect(answer).toMatchObject({ state: "TASK_RUNNING", reason: "REASON_RECONCILIATION", healthy: true });

    await fw.client.kill("healthy");
    await fw.waitFor(() => terminal(fw, "healthy"), 15_000, "the healthy task to be killed");
    expect(fw.stateOf("healthy")!.state).toBe("TASK_KILLED");
    expect(fw.stateOf("healthy")!.healthy).toBeUndefined();
  }, 60_000);

  it("kills a task whose COMMAND check keeps failing: healthy: false, then TASK_KILLED naming the check", async () => {
    fw.submit(withCheck("sick", "sleep 120", { type: "COMMAND", command: { value: "exit 1" }, consecutive_failures: 3, ...fast }));
    await fw.waitFor(() => terminal(fw, "sick"), 30_000, "the sick task to be killed");
    const updates = fw.updates.get("sick")!;
    const unhealthy = updates.find((s) => s.healthy === false && s.state === "TASK_RUNNING");
    expect(unhealthy?.reason).toBe("REASON_TASK_HEALTH_CHECK_STATUS_UPDATED");
    const last = fw.stateOf("sick")!;
    expect(last.state).toBe("TASK_KILLED");
    expect(last.healthy).toBe(false);
    expect(last.reason).toBe("REASON_TASK_HEALTH_CHECK_STATUS_UPDATED");
    expect(last.message).toContain("Task killed after 3 consecutive failed health checks (COMMAND 'exit 1'): command exited with status 1");
  }, 60_000);

  it("refuses an invalid health check before the launch (TASK_ERROR)", async () => {
    fw.submit(withCheck("invalid", "sleep 120", { type: "HTTP", http: { port: 8080, path: "health" } }));
    await fw.waitFor(() => terminal(fw, "invalid"), 30_000, "the invalid task to be refused");
    const last = fw.stateOf("invalid")!;
    expect(last.state).toBe("TASK_ERROR");
    expect(last.reason).toBe("REASON_TASK_INVALID");
    expect(last.message).toContain("health_check.http.path: 'health' must start with '/'");
  }, 60_000);
});
