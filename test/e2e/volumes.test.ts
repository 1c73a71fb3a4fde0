/**
 * Reservations and persistent volumes end to end (docs/reservations.md): the real master and the
 * real agent binary. The agent reserves disk for role `eng` statically (`disk(eng):512`); a
 * framework of that role creates a persistent volume from it and, in the same ACCEPT, launches a
 * task writing into it; once that task has finished the volume is offered back to the role, a
 * second task reads the file, and DESTROY removes the volume's directory on the agent.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Offer, Resource, TaskStatus } from "../../schemas/index.ts";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { commandTask, decodeTaskOutput, SchedulerClient } from "../../sdk/src/index.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { type Cluster, startCluster } from "../support/e2e-cluster.ts";

const binary = existsSync(AGENT_BINARY);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(100)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!binary)("persistent volumes end to end", () => {
  let cluster: Cluster;
  let client: SchedulerClient;
  const offers: Offer[] = [];
  const updates: TaskStatus[] = [];

  beforeAll(async () => {
    cluster = await startCluster(["--resources", "cpus:2;mem:1024;disk:1024;disk(eng):512"]);
    client = new SchedulerClient({
      master: cluster.url,
      frameworkInfo: { user: "root", name: "stateful", role: "eng", failover_timeout: 3600, principal: cluster.principal },
      credentials: { principal: cluster.principal, secret: cluster.secret },
      backoff: { initialMs: 200, maxMs: 1000 },
    });
    client.on("offers", (os) => void offers.push(...os));
    client.on("update", (s) => void updates.push(s));
    await client.start();
  }, 90_000);

  afterAll(async () => {
    await client?.stop();
    await cluster?.stop();
  }, 45_000);

  /** The next offer (after `from` offers) that `pick` accepts; the others are declined without a filter. */
  async function nextOffer(from: number, pick: (o: Offer) => boolean, what: string): Promise<Offer> {
    for (let seen = from, end = Date.now() + 20_000; Date.now() < end; await sleep(100)) {
      for (; seen < offers.length; seen++) {
        const o = offers[seen]!;
        if (pick(o)) return o;
        await client.decline([o.id], { refuse_seconds: 0.2 }).catch(() => undefined);
      }
    }
    throw new Error(`no offer with ${what}`);
  }
  const finished = (taskId: string) => updates.find((s) => s.task_id.value === taskId && (s.state === "TASK_FINISHED" || s.state === "TASK_FAILED"));
  const volumeOf = (o: Offer) => o.resources.find((r) => r.disk?.persistence?.id === "v1");

  it("creates a volume, keeps its files across tasks, offers it back to its role, destroys it", async () => {
    const first = await nextOffer(0, (o) => o.resources.some((r) => r.name === "disk" && r.role === "eng"), "reserved disk");
    const volume: Resource = {
      ...scalar("disk", 64),
      role: "eng", // statically reserved: no `reservation`
      disk: { persistence: { id: "v1", principal: cluster.principal }, volume: { container_path: "data", mode: "RW" } },
    };
    const writer = commandTask({
      taskId: "writer",
      agentId: first.agent_id,
      shell: "echo kept > data/file && ls data",
      resources: [scalar("cpus", 0.1), scalar("mem", 32), volume],
    });
    const seenBefore = offers.length;
    await client.accept(
      [first.id],
      [
        { type: "CREATE", create: { volumes: [volume] } },
        { type: "LAUNCH", launch: { task_infos: [writer] } },
      ],
      { refuse_seconds: 0.2 },
    );
    await waitUntil(() => finished("writer") !== undefined, 20_000, "writer finished");
    expect(finished("writer")!.state).toBe("TASK_FINISHED");

    // The volume's directory lives under the agent's work dir, apart from the task's sandbox.
    const dir = join(cluster.stateDir, "agent", "volumes", "roles", "eng", "v1");
    expect(readFileSync(join(dir, "file"), "utf8")).toBe("kept\n");

    // Offered back to its role once the task is over: a second task reads what the first wrote.
    const again = await nextOffer(seenBefore, (o) => volumeOf(o) !== undefined, "the volume");
    expect(volumeOf(again)).toMatchObject({ role: "eng", disk: { persistence: { id: "v1" }, volume: { container_path: "data" } } });
    const reader = commandTask({
      taskId: "reader",
      agentId: again.agent_id,
      shell: "cat data/file",
      resources: [scalar("cpus", 0.1), scalar("mem", 32), volumeOf(again)!],
    });
    const seenBeforeReader = offers.length;
    await client.accept([again.id], [{ type: "LAUNCH", launch: { task_infos: [reader] } }], { refuse_seconds: 0.2 });
    await waitUntil(() => finished("reader") !== undefined, 20_000, "reader finished");
    expect(finished("reader")!.state).toBe("TASK_FINISHED");
    expect(decodeTaskOutput(finished("reader")!)).toBe("kept\n");

    // DESTROY: the directory goes, and the disk comes back as plain reserved disk.
    const last = await nextOffer(seenBeforeReader, (o) => volumeOf(o) !== undefined, "the volume again");
    await client.accept([last.id], [{ type: "DESTROY", destroy: { volumes: [volumeOf(last)!] } }], { refuse_seconds: 0.2 });
    await waitUntil(() => !existsSync(dir), 15_000, "the volume's directory removed");
    const after = await nextOffer(offers.length, (o) => o.resources.some((r) => r.name === "disk" && r.role === "eng"), "reserved disk after DESTROY");
    expect(volumeOf(after)).toBeUndefined();
  }, 90_000);
});
