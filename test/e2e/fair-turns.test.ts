/**
 * Equal shares take turns, end to end (issue 11): the real master and the real agent binary, one
 * agent, three idle frameworks that decline every offer with `refuse_seconds: 1`, allocating
 * once a second (so filters lapse together, between two runs). The master keeps the tie-break
 * counts between allocation runs, so every framework gets its turn; before, the smallest
 * framework id won every tie and a framework could go without offers.
 */

import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { SchedulerClient } from "../../sdk/src/index.ts";
import { type Cluster, startCluster } from "../support/e2e-cluster.ts";

const binary = existsSync(AGENT_BINARY);

describe.skipIf(!binary)("equal-share frameworks take turns end to end", () => {
  let cluster: Cluster;
  const clients: SchedulerClient[] = [];
  /** Offers each framework got (by name), and the order they came in. */
  const got = new Map<string, number>();
  const order: string[] = [];
  let counting = false;

  beforeAll(async () => {
    cluster = await startCluster(["--resources", "cpus:2;mem:1024;disk:1024"], { vars: { STRATA_ALLOCATION_INTERVAL_MS: "1000" } });
    for (const name of ["turns-a", "turns-b", "turns-c"]) {
      const client = new SchedulerClient({
        master: cluster.url,
        frameworkInfo: { user: "root", name, failover_timeout: 3600 },
        credentials: { principal: cluster.principal, secret: cluster.secret },
        backoff: { initialMs: 200, maxMs: 1000 },
      });
      got.set(name, 0);
      client.on("offers", (offers) => {
        if (counting) {
          got.set(name, got.get(name)! + offers.length);
          order.push(name);
        }
        void client.decline(
          offers.map((o) => o.id),
          { refuse_seconds: 1 },
        );
      });
      clients.push(client);
    }
    await Promise.all(clients.map((c) => c.start()));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await cluster?.stop();
  }, 30_000);

  it("one agent, three frameworks declining with refuse_seconds 1: each gets its turn", async () => {
    await new Promise((r) => setTimeout(r, 2_000)); // every framework subscribed and offered once or so
    counting = true;
    await new Promise((r) => setTimeout(r, 15_000));
    counting = false;
    const counts = [...got.values()];
    const total = counts.reduce((s, n) => s + n, 0);
    expect(total, JSON.stringify(order)).toBeGreaterThanOrEqual(9);
    expect(Math.min(...counts), JSON.stringify([...got])).toBeGreaterThanOrEqual(Math.floor(total / 3) - 1);
  }, 30_000);
});
