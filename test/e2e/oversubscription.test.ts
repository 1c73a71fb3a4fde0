/**
 * Oversubscription end to end: the real master and the real agent binary measuring real
 * processes. A regular service task idles, so its slack is offered as revocable resources to a
 * REVOCABLE_RESOURCES framework, which runs a best-effort task on them; when the service starts
 * spinning, the master evicts the best-effort task and the agent reports it TASK_LOST with
 * REASON_CONTAINER_PREEMPTED (docs/oversubscription.md).
 */

import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Offer, TaskStatus } from "../../schemas/index.ts";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { commandTask, SchedulerClient } from "../../sdk/src/index.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { type Cluster, startCluster, TestFramework } from "../support/e2e-cluster.ts";

const binary = existsSync(AGENT_BINARY);

describe.skipIf(!binary)("oversubscription end to end", () => {
  let cluster: Cluster;
  let regular: TestFramework;
  let bestEffort: SchedulerClient;
  const revocableOffers: Offer[] = [];
  const updates: TaskStatus[] = [];

  beforeAll(async () => {
    cluster = await startCluster(["--resources", "cpus:2;mem:1024;disk:1024", "--usage-interval-seconds", "1"]);
    regular = new TestFramework(cluster, "service");
    await regular.start();
    bestEffort = new SchedulerClient({
      master: cluster.url,
      frameworkInfo: { user: "root", name: "best-effort", failover_timeout: 3600, capabilities: [{ type: "REVOCABLE_RESOURCES" }] },
      credentials: { principal: cluster.principal, secret: cluster.secret },
      backoff: { initialMs: 200, maxMs: 1000 },
    });
    bestEffort.on("update", (s) => updates.push(s));
    await bestEffort.start();
  }, 90_000);

  afterAll(async () => {
    // The agent leaves tasks running when it stops: end the spinning service first.
    if (regular?.stateOf("svc")?.state === "TASK_RUNNING") {
      await regular.client.kill("svc").catch(() => undefined);
      await regular.waitFor(() => regular.stateOf("svc")?.state === "TASK_KILLED", 10_000, "svc killed").catch(() => undefined);
    }
    await bestEffort?.stop();
    await regular?.stop();
    await cluster?.stop();
  }, 45_000);

  it("offers an idle service's slack as revocable resources and evicts the task on them when the service gets busy", async () => {
    // Idle for 8 s, then spins a core.
    regular.submit({
      id: "svc",
      build: (agentId) => commandTask({ taskId: "svc", agentId, resources: [scalar("cpus", 1), scalar("mem", 256)], shell: "sleep 8; while :; do :; done" }),
    });
    const launched = new Promise<void>((resolve) => {
      bestEffort.on("offers", (offers) => {
        for (const offer of offers) {
          const isRevocable = offer.resources.some((r) => r.revocable !== undefined);
          if (!isRevocable || revocableOffers.length > 0) {
            void bestEffort.decline([offer.id], { refuse_seconds: 0.2 }).catch(() => undefined);
            continue;
          }
          revocableOffers.push(offer);
          const task = commandTask({
            taskId: "be",
            agentId: offer.agent_id.value,
            shell: "sleep 120",
            resources: [
              { ...scalar("cpus", 0.5), revocable: {} },
              { ...scalar("mem", 64), revocable: {} },
            ],
          });
          void bestEffort.launch([offer.id], [task], { refuse_seconds: 0.2 }).then(resolve, () => undefined);
        }
      });
    });
    await regular.waitFor(() => regular.stateOf("svc")?.state === "TASK_RUNNING", 20_000, "svc running");
    await launched;
    const offered = revocableOffers[0]!;
    expect(offered.resources.every((r) => r.revocable !== undefined)).toBe(true);
    expect(offered.resources.find((r) => r.name === "cpus")!.scalar!.value).toBeGreaterThanOrEqual(0.5);
    await waitUntil(() => updates.some((s) => s.task_id.value === "be" && s.state === "TASK_RUNNING"), 15_000, "be running");
    // The service starts spinning: its slack goes, and the best-effort task with it.
    await waitUntil(() => updates.some((s) => s.task_id.value === "be" && s.state === "TASK_LOST"), 30_000, "be preempted");
    const lost = updates.find((s) => s.task_id.value === "be" && s.state === "TASK_LOST")!;
    expect(lost).toMatchObject({ reason: "REASON_CONTAINER_PREEMPTED", source: "SOURCE_AGENT" });
    expect(regular.stateOf("svc")?.state).toBe("TASK_RUNNING");
  }, 75_000);
});

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
