/**
 * Unmodified third-party Marathon clients against Strata's services framework, on the real local
 * master and the real compiled agent: thefactory's marathon-python (Debian's python3-marathon)
 * and npm's marathon-node each create an app, scale it, restart it, kill tasks, list them, read
 * the event stream until a status_update_event arrives, and delete the app. Outside CI a missing
 * client skips its test with the reason printed; in CI (CI=true) it fails.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { authorizationHeader } from "../../sdk/src/auth.ts";
import { type Cluster, startCluster } from "../support/e2e-cluster.ts";
import { runNodeFlow } from "./marathon-clients/node-flow.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);

/** The first python3 that can import marathon-python, or why none can. */
function findPython(): { python?: string; why?: string } {
  for (const python of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(python, ["-c", "import marathon"], { encoding: "utf8" });
    if (r.status === 0) return { python };
  }
  return { why: "python3-marathon is not installed (apt-get install python3-marathon)" };
}
/** Whether marathon-node resolves, or why not. */
function findMarathonNode(): string | undefined {
  try {
    createRequire(import.meta.url).resolve("marathon-node");
    return undefined;
  } catch {
    return "marathon-node is not installed (npm ci)";
  }
}
const { python, why: noPython } = findPython();
const noNode = findMarathonNode();
for (const why of [noPython, noNode]) {
  if (!why) continue;
  if (process.env.CI) throw new Error(`${why}: CI must run the Marathon client tests`);
  console.warn(`marathon-clients: skipped, ${why}`);
}

interface Step {
  step: string;
  [k: string]: unknown;
}
/** The step named `name` of a client's summary. */
const stepOf = (steps: Step[], name: string) => {
  const s = steps.find((x) => x.step === name);
  expect(s, `step ${name}`).toBeDefined();
  return s as Step;
};

describe.skipIf(!binary)("unmodified Marathon clients against the services framework", () => {
  let cluster: Cluster;
  let headers: Record<string, string>;

  beforeAll(async () => {
    cluster = await startCluster(["--resources", "cpus:4;mem:2048;disk:1024;ports:[31000-31099]"]);
    headers = { authorization: authorizationHeader({ principal: cluster.principal, secret: cluster.secret })! };
  }, 90_000);
  afterAll(async () => {
    // Whatever a failed test left is deleted, and every task the master knows must end before the agent stops.
    if (cluster) {
      const apps = ((await (await fetch(`${cluster.url}/v2/apps`, { headers })).json()) as { apps: Array<{ id: string }> }).apps;
      for (const a of apps) await fetch(`${cluster.url}/v2/apps${a.id}?force=true`, { method: "DELETE", headers });
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
        const { tasks } = (await (await fetch(`${cluster.url}/master/tasks`, { headers })).json()) as { tasks: Array<{ state: string }> };
        if (tasks.every((t) => /^TASK_(KILLED|FAILED|FINISHED|LOST|ERROR|DROPPED|GONE)/.test(t.state))) break;
      }
    }
    await cluster?.stop();
  }, 45_000);

  it.skipIf(!python)(
    "marathon-python 0.13: create, scale, restart, kill, list, events, delete",
    async () => {
      const script = fileURLToPath(new URL("./marathon-clients/python-flow.py", import.meta.url));
      const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(python!, [script, cluster.url, cluster.principal, cluster.secret, "pyclient"]);
        let out = "";
        let err = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (err += d));
        p.on("close", (code) => resolve({ code, out, err }));
      });
      expect(r.code, r.err).toBe(0);
      const summary = JSON.parse(r.out) as { steps: Step[]; error?: string; traceback?: string; ping?: unknown; statusUpdateEvent?: Record<string, string> };
      expect(summary.error, `${summary.traceback}\n${r.err}`).toBeUndefined();
      expect(summary.ping).toBe("pong");
      const s = summary.steps;
      expect(stepOf(s, "create")).toMatchObject({ id: "/pyclient", instances: 1 });
      expect(stepOf(s, "running").tasks).toHaveLength(1);
      expect(stepOf(s, "scale")).toMatchObject({ instances: 2, deploymentId: expect.any(String) });
      expect(stepOf(s, "list_queue").count).toBeGreaterThanOrEqual(0);
      const restart = stepOf(s, "restart");
      expect(restart).toMatchObject({ deploymentId: expect.any(String), version: expect.any(String) });
      expect(stepOf(s, "list_deployments_restart").deployments).toContainEqual({ id: restart.deploymentId, affectedApps: ["/pyclient"] });
      expect(stepOf(s, "kill_task").killed).toBe((stepOf(s, "restart").tasks as string[])[0]);
      expect(stepOf(s, "kill_given_tasks")).toMatchObject({ ok: true, instances: 1 });
      expect(stepOf(s, "get_app_embedded")).toMatchObject({ tasks: 1, healthy: 1, alive: [true] });
      expect(stepOf(s, "list_apps_embedded").ids).toContain("/pyclient");
      expect(stepOf(s, "info")).toMatchObject({ frameworkName: "marathon", version: expect.any(String) });
      expect(stepOf(s, "list_queue_waiting")).toMatchObject({
        count: 1,
        unusedOffers: expect.any(Number),
        reasons: expect.arrayContaining(["InsufficientCpus"]),
      });
      // Versions (newest first; the first one as created), the leader, Marathon's metrics, the label filter.
      expect(stepOf(s, "versions")).toMatchObject({ newestFirst: true, oldestInstances: 1, oldestCmd: "sleep 600" });
      expect(stepOf(s, "versions").count).toBeGreaterThanOrEqual(4);
      expect(stepOf(s, "leader").leader).toMatch(/^[^:]+:\d+$/);
      expect(stepOf(s, "metrics").apps).toBeGreaterThanOrEqual(1);
      expect(stepOf(s, "list_apps_label")).toMatchObject({ ids: ["/pyclient-waits"], none: [] });
      const onHost = stepOf(s, "kill_tasks_host");
      expect(onHost.killed).toEqual(onHost.before);
      const listed = stepOf(s, "list_tasks").tasks as Array<Record<string, string>>;
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ appId: "/pyclient", state: "TASK_RUNNING", host: expect.any(String) });
      expect(stepOf(s, "event_stream").received).toBe(true);
      expect(summary.statusUpdateEvent).toMatchObject({ appId: "/pyclient", taskStatus: expect.stringMatching(/^TASK_/) });
      expect(stepOf(s, "delete")).toMatchObject({ gone: true, deploymentId: expect.any(String) });
      expect(stepOf(s, "delete").apps).not.toContain("/pyclient");
      // Every event the stream carried parsed into marathon-python's event classes.
      const parsed = stepOf(s, "events_parsed");
      expect(parsed.error).toBeNull();
      expect(parsed.types).toEqual(
        expect.arrayContaining([
          "status_update_event",
          "instance_changed_event",
          "deployment_info",
          "deployment_success",
          "health_status_changed_event",
          "instance_health_changed_event",
          "app_terminated_event",
        ]),
      );
    },
    240_000,
  );

  it.skipIf(!!noNode)(
    "marathon-node 1.1.0: create, scale, restart, kill, list, events, delete",
    async () => {
      const summary = await runNodeFlow(cluster.url, cluster.principal, cluster.secret, "nodeclient");
      expect(summary.error, JSON.stringify(summary)).toBeUndefined();
      expect(summary.ping).toBe("pong");
      const s = summary.steps;
      expect(stepOf(s, "create")).toMatchObject({ id: "/nodeclient", instances: 1 });
      expect(stepOf(s, "running").tasks).toHaveLength(1);
      expect(stepOf(s, "scale")).toMatchObject({ instances: 2, deploymentId: expect.any(String) });
      expect(stepOf(s, "restart")).toMatchObject({ deploymentId: expect.any(String), version: expect.any(String) });
      expect(stepOf(s, "killTask").killed).toBe((stepOf(s, "restart").tasks as string[])[0]);
      expect(stepOf(s, "tasks.kill")).toMatchObject({ instances: 1 });
      const listed = stepOf(s, "tasks.getList").tasks as Array<Record<string, string>>;
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ appId: "/nodeclient", state: "TASK_RUNNING", host: expect.any(String) });
      expect(stepOf(s, "events").received).toBe(true);
      expect(summary.statusUpdateEvent).toMatchObject({ eventType: "status_update_event", appId: "/nodeclient", taskStatus: expect.stringMatching(/^TASK_/) });
      expect(stepOf(s, "destroy")).toMatchObject({ gone: true, deploymentId: expect.any(String) });
      expect(stepOf(s, "info.get")).toMatchObject({ name: "marathon" });
      expect(stepOf(s, "eventTypes").types).toEqual(
        expect.arrayContaining(["event_stream_attached", "status_update_event", "deployment_info", "deployment_success", "app_terminated_event"]),
      );
      expect(summary.eventErrors).toEqual([]);
    },
    240_000,
  );
});
