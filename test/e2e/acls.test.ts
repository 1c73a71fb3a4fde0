/**
 * ACLs end to end (docs/lifecycle.md "ACLs checked on the scheduler side", the operator read
 * filters and quota): the real master started with `STRATA_ACLS` (not permissive) and
 * `STRATA_CREDENTIALS` naming three principals, the real agent, and every call over HTTP.
 *
 * - alice may register frameworks for role `eng` only and run tasks as `root` only;
 * - bob may do nothing;
 * - ops may get and update quotas and view every framework (alice only frameworks of `root`):
 *   ops is no operator (`STRATA_OPERATORS` names none of them), the rules naming it grant it that.
 */

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskStatus } from "../../schemas/index.ts";
import { AGENT_BINARY, freePort, localSecrets, type Proc, startAgent, startMaster } from "../../scripts/cluster-processes.ts";
import { authorizationHeader } from "../../sdk/src/auth.ts";
import { commandTask, SchedulerClient } from "../../sdk/src/index.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { FAST_MASTER_VARS } from "../support/e2e-cluster.ts";

const binary = existsSync(AGENT_BINARY);

const CREDENTIALS = { alice: "alice-secret", bob: "bob-secret", ops: "ops-secret" } as const;
type Principal = keyof typeof CREDENTIALS;

const ACLS = {
  permissive: false,
  register_frameworks: [{ principals: { values: ["alice"] }, roles: { values: ["eng"] } }],
  run_tasks: [{ principals: { values: ["alice"] }, users: { values: ["root"] } }],
  update_quotas: [{ principals: { values: ["ops"] }, roles: { type: "ANY" } }],
  get_quotas: [{ principals: { values: ["ops"] }, roles: { type: "ANY" } }],
  view_frameworks: [
    { principals: { values: ["ops"] }, users: { type: "ANY" } },
    { principals: { values: ["alice"] }, users: { values: ["root"] } },
  ],
};

const auth = (p: Principal) => authorizationHeader({ principal: p, secret: CREDENTIALS[p] })!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** GET_QUOTA's answer, as far as these tests read it. */
type QuotaAnswer = { get_quota: { status: { configs?: unknown[] } } };
const quotaOf = async (r: Response) => (await r.json()) as QuotaAnswer;

describe.skipIf(!binary)("ACLs end to end", () => {
  let stateDir: string;
  let url: string;
  let master: Proc;
  let agent: Proc;
  const clients: SchedulerClient[] = [];

  /** A framework of `principal` (not started). */
  const framework = (principal: Principal, info: { role: string; user: string; name: string }) => {
    const client = new SchedulerClient({
      master: url,
      frameworkInfo: { ...info, failover_timeout: 3600 },
      credentials: { principal, secret: CREDENTIALS[principal] },
      backoff: { initialMs: 200, maxMs: 1000 },
      logger: {},
    });
    clients.push(client);
    return client;
  };
  const subscribeRaw = (principal: Principal, role: string) =>
    fetch(`${url}/api/v1/scheduler`, {
      method: "POST",
      headers: { authorization: auth(principal), "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: { user: "root", name: `${principal}-${role}`, role } } }),
    });
  const operator = (principal: Principal, body: object) =>
    fetch(`${url}/api/v1`, {
      method: "POST",
      headers: { authorization: auth(principal), "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "strata-e2e-acls-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const secrets = localSecrets(stateDir);
    master = await startMaster({
      port,
      stateDir,
      vars: {
        ...FAST_MASTER_VARS,
        STRATA_CREDENTIALS: Object.entries(CREDENTIALS)
          .map(([p, s]) => `${p}:${s}`)
          .join(","),
        STRATA_ACLS: JSON.stringify(ACLS),
      },
    });
    agent = startAgent({
      master: url,
      workDir: join(stateDir, "agent"),
      joinToken: secrets.joinToken,
      logFile: join(stateDir, "agent.log"),
      extraArgs: ["--cgroups", "off", "--poll-wait-seconds", "5", "--resources", "cpus:2;mem:1024;disk:1024"],
    });
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await agent?.stop();
    await master?.stop();
    if (!process.env.STRATA_KEEP_E2E_STATE) rmSync(stateDir, { recursive: true, force: true });
  }, 30_000);

  it("SUBSCRIBE: bob is refused (403, saying why), alice only for role eng", async () => {
    const bob = await subscribeRaw("bob", "eng");
    expect(bob.status).toBe(403);
    expect((await bob.text()).trim()).toBe("subscribe.framework_info.role: principal 'bob' is not authorized to register frameworks for 'eng'");
    const aliceWeb = await subscribeRaw("alice", "web");
    expect(aliceWeb.status).toBe(403);
    expect(await aliceWeb.text()).toContain("principal 'alice' is not authorized to register frameworks for 'web'");
    // A wrong secret is no principal at all.
    const impostor = await fetch(`${url}/api/v1/scheduler`, {
      method: "POST",
      headers: { authorization: authorizationHeader({ principal: "alice", secret: "bob-secret" })!, "content-type": "application/json" },
      body: JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: { user: "root", name: "x", role: "eng" } } }),
    });
    expect(impostor.status).toBe(401);
    await impostor.body?.cancel();

    const aliceEng = await subscribeRaw("alice", "eng");
    expect(aliceEng.status).toBe(200);
    expect(aliceEng.headers.get("mesos-stream-id")).toBeTruthy();
    await aliceEng.body?.cancel();
  }, 20_000);

  it("run_tasks: alice's task as root runs, the one as another user is TASK_ERROR / REASON_TASK_UNAUTHORIZED", async () => {
    const client = framework("alice", { role: "eng", user: "root", name: "alice-tasks" });
    const updates: TaskStatus[] = [];
    client.on("update", (s) => updates.push(s));
    let launched = false;
    client.on("offers", (offers) => {
      for (const offer of offers) {
        if (launched) {
          void client.decline([offer.id], { refuse_seconds: 60 }).catch(() => undefined);
          continue;
        }
        launched = true;
        const resources = [scalar("cpus", 0.1), scalar("mem", 32)];
        const ok = commandTask({ taskId: "as-root", agentId: offer.agent_id.value, shell: "exit 0", resources });
        const bad = commandTask({ taskId: "as-nobody", agentId: offer.agent_id.value, shell: "exit 0", resources });
        bad.command!.user = "nobody";
        void client.launch([offer.id], [ok, bad]).catch(() => undefined);
      }
    });
    await client.start();
    for (const end = Date.now() + 20_000; Date.now() < end; ) {
      if (updates.some((s) => s.task_id.value === "as-root" && s.state === "TASK_FINISHED") && updates.some((s) => s.task_id.value === "as-nobody")) break;
      await sleep(100);
    }
    const of = (id: string) => updates.filter((s) => s.task_id.value === id);
    expect(of("as-nobody").map((s) => s.state)).toEqual(["TASK_ERROR"]);
    expect(of("as-nobody")[0]).toMatchObject({ reason: "REASON_TASK_UNAUTHORIZED", source: "SOURCE_MASTER" });
    expect(of("as-nobody")[0]!.message).toContain("nobody");
    expect(of("as-root").map((s) => s.state)).toContain("TASK_FINISHED");
  }, 25_000);

  it("UPDATE_QUOTA: refused to alice (403), allowed to ops; GET_QUOTA shows it to ops only", async () => {
    const update = { type: "UPDATE_QUOTA", update_quota: { quota_configs: [{ role: "eng", limits: { cpus: { value: 1 } } }] } };
    const denied = await operator("alice", update);
    expect(denied.status).toBe(403);
    // alice is no operator and no rule of update_quotas names her (README "Secure defaults").
    expect((await denied.text()).trim()).toBe(
      "type: principal 'alice' is not an operator: operator call 'UPDATE_QUOTA' needs a principal in STRATA_OPERATORS or an ACL rule of update_quotas naming it",
    );
    const before = await quotaOf(await operator("ops", { type: "GET_QUOTA" }));
    expect(before.get_quota.status.configs ?? []).toEqual([]);

    const allowed = await operator("ops", update);
    expect(allowed.status).toBe(200);
    const asOps = await operator("ops", { type: "GET_QUOTA" });
    expect(asOps.status).toBe(200);
    expect((await quotaOf(asOps)).get_quota.status.configs).toEqual([{ role: "eng", limits: { cpus: { value: 1 } } }]);
    const asAlice = await quotaOf(await operator("alice", { type: "GET_QUOTA" }));
    expect(asAlice.get_quota.status.configs ?? []).toEqual([]);
  }, 20_000);

  it("GET_FRAMEWORKS shows each principal only the frameworks view_frameworks lets it see", async () => {
    // A second framework of alice's, whose tasks would run as 'nobody'.
    await framework("alice", { role: "eng", user: "nobody", name: "alice-nobody" }).start();
    const names = async (p: Principal): Promise<string[]> => {
      const r = await operator(p, { type: "GET_FRAMEWORKS" });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { get_frameworks: { frameworks?: Array<{ framework_info: { name: string } }> } };
      return (body.get_frameworks.frameworks ?? []).map((f) => f.framework_info.name).sort();
    };
    const everything = await names("ops");
    expect(everything).toContain("alice-tasks");
    expect(everything).toContain("alice-nobody");
    const aliceSees = await names("alice");
    expect(aliceSees).toContain("alice-tasks");
    expect(aliceSees).not.toContain("alice-nobody");
    expect(aliceSees.length).toBeLessThan(everything.length);
    expect(await names("bob")).toEqual([]);
  }, 20_000);
});
