/**
 * Deployments never hang silently (issue 12, "Better than Marathon"), end to end: the real master
 * with its services object, the real agent, real processes. An app of 2 health-checked web servers
 * with `STRATA_DEPLOYMENT_DEADLINE_SECONDS` 8 and `STRATA_DEPLOYMENT_ROLLBACK=true` is changed to
 * a command that never serves its check: the deployment stalls, fails after its deadline
 * (`deployment_failed` on `/v2/events`, gone from `/v2/deployments`, its reason shown with
 * `strataExplain=true`) and is rolled back as a new deployment that finishes with the first
 * command again, the app never left without a healthy instance.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { type Cluster, startCluster } from "../support/e2e-cluster.ts";
import { jsonHeaders, marathonApi, ownPortResources } from "../support/marathon-api.ts";
import { tasksWithProcesses } from "../support/task-processes.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);

interface MarathonApp {
  cmd: string;
  tasksHealthy: number;
  tasks: Array<{ id: string; version: string; state: string; healthCheckResults: Array<{ alive: boolean }> }>;
  deployments: Array<{ id: string }>;
  strataLastDeploymentFailure?: { deploymentId: string; reason: string; rollbackDeploymentId?: string } | null;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SERVE = "exec python3 -m http.server $PORT0";

describe.skipIf(!binary)("a services deployment past its deadline", () => {
  let cluster: Cluster;
  let headers: Record<string, string>;
  const api = marathonApi(
    () => cluster.url,
    () => headers,
  );
  const app = async (query = "") => (await api("GET", `/v2/apps/late${query}`)).json?.app as MarathonApp | undefined;

  beforeAll(async () => {
    cluster = await startCluster(["--resources", ownPortResources()]);
    headers = jsonHeaders(cluster);
  }, 90_000);
  afterAll(async () => {
    if (cluster) {
      await api("DELETE", "/v2/apps/late?force=true").catch(() => undefined);
      for (const deadline = Date.now() + 15_000; Date.now() < deadline && tasksWithProcesses("late.instance-").size > 0; ) await sleep(250);
    }
    await cluster?.stop();
  }, 45_000);

  it("fails after STRATA_DEPLOYMENT_DEADLINE_SECONDS, says why, and rolls back as a new deployment", async () => {
    const created = await api("POST", "/v2/apps", {
      id: "/late",
      cmd: SERVE,
      instances: 2,
      cpus: 0.1,
      mem: 64,
      labels: { STRATA_DEPLOYMENT_DEADLINE_SECONDS: "8", STRATA_DEPLOYMENT_ROLLBACK: "true" },
      healthChecks: [
        {
          protocol: "MESOS_HTTP",
          path: "/",
          portIndex: 0,
          gracePeriodSeconds: 300,
          intervalSeconds: 1,
          timeoutSeconds: 1,
          delaySeconds: 0,
          maxConsecutiveFailures: 3,
        },
      ],
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.5 },
    });
    expect(created.status).toBe(201);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && (await app())?.tasksHealthy !== 2; ) await sleep(250);
    expect((await app())?.tasksHealthy).toBe(2);

    const stream = await fetch(`${cluster.url}/v2/events?event_type=deployment_failed&event_type=deployment_info`, {
      headers: { ...headers, accept: "text/event-stream" },
    });
    const reader = stream.body!.getReader();
    let events = "";
    const reading = (async () => {
      const dec = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) return;
        events += dec.decode(value);
      }
    })();

    // A version that never serves its check: the deployment cannot finish.
    const changed = await api("PUT", "/v2/apps/late", { cmd: "exec sleep 600" });
    expect(changed.status).toBe(200);
    const failedId = changed.json?.deploymentId as string;
    const startedAt = Date.now();

    // Until the rollback is over: sample the healthy instances and the deployments.
    let leastHealthy = 2;
    let failedSeenAt: number | undefined;
    let last: MarathonApp | undefined;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
      last = await app();
      if (!last) continue;
      leastHealthy = Math.min(leastHealthy, last.tasksHealthy);
      const listed = (await api("GET", "/v2/deployments")).json as unknown as Array<{ id: string }>;
      if (failedSeenAt === undefined && !listed.some((d) => d.id === failedId)) failedSeenAt = Date.now();
      if (failedSeenAt !== undefined && last.cmd === SERVE && last.deployments.length === 0 && last.tasksHealthy === 2 && last.tasks.length === 2) break;
    }
    await reader.cancel();
    await reading;

    // It failed after its deadline (checked at the object's 5 s tick), not before.
    expect(failedSeenAt).toBeDefined();
    expect(failedSeenAt! - startedAt).toBeGreaterThanOrEqual(8_000);
    expect(failedSeenAt! - startedAt).toBeLessThan(20_000);
    const frames = events.split("\n\n").filter((f) => f.startsWith("event: "));
    const failed = frames.find((f) => f.startsWith("event: deployment_failed\n"));
    expect(failed).toBeDefined();
    expect(JSON.parse(failed!.split("\n")[1]!.slice("data: ".length))).toMatchObject({ eventType: "deployment_failed", id: failedId });

    // Rolled back: the first command, two healthy instances of the rollback's version, nothing of the failed one left.
    expect(last?.cmd).toBe(SERVE);
    expect(last?.deployments).toEqual([]);
    expect(last?.tasksHealthy).toBe(2);
    expect((await api("GET", "/v2/deployments")).json).toEqual([]);
    const explained = await app("?strataExplain=true");
    expect(explained?.strataLastDeploymentFailure).toMatchObject({ deploymentId: failedId, reason: expect.stringMatching(/did not finish within 8 s/) });
    const rollbackId = explained!.strataLastDeploymentFailure!.rollbackDeploymentId!;
    expect(frames.some((f) => f.includes(`"id":"${rollbackId}"`) && f.startsWith("event: deployment_info\n"))).toBe(true);
    expect((await app())?.strataLastDeploymentFailure).toBeUndefined(); // Strata's field only when asked for
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && tasksWithProcesses("late.instance-").size > 2; ) await sleep(250);
    expect(new Set(tasksWithProcesses("late.instance-").keys())).toEqual(new Set(last!.tasks.map((t) => t.id)));

    // Never without a healthy instance: the old ones went only as far as minimumHealthCapacity allows.
    expect(leastHealthy).toBeGreaterThanOrEqual(1);
  }, 150_000);
});
