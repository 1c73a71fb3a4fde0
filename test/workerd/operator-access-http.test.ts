/**
 * Secure defaults through the real Worker (`STRATA_AUTHORIZATION` unset: `operators`): a
 * framework's principal (alice) is refused the operator API's changes with 403 naming it and the
 * call, the operator (ops, in `STRATA_OPERATORS`; vitest.config.ts) makes them; reads show alice
 * her own framework only; GET_HEALTH and GET_VERSION stay open to her. `permissive-mode.test.ts`
 * (its own workerd project) shows Mesos' behaviour.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { subscribedFrameworkId } from "./subscribed-id.ts";

const BASE = "http://master.test";
const basic = (principal: string, secret: string) => `Basic ${btoa(`${principal}:${secret}`)}`;
const alice = basic("alice", "alice-secret");
const ops = basic("ops", "ops-secret");
const json = { "content-type": "application/json" };

const post = (path: string, body: unknown, authorization?: string) =>
  SELF.fetch(`${BASE}${path}`, { method: "POST", body: JSON.stringify(body), headers: { ...json, ...(authorization ? { authorization } : {}) } });

/** Registers an agent (`hostname`) and returns its id. */
async function registerAgent(hostname: string): Promise<string> {
  const res = await post(
    "/agent/v1/register",
    {
      hostname,
      resources: [
        { name: "cpus", type: "SCALAR", scalar: { value: 2 } },
        { name: "mem", type: "SCALAR", scalar: { value: 1024 } },
      ],
    },
    "Bearer test-join-token",
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { agent_id: { value: string } }).agent_id.value;
}

/** Subscribes a framework as `authorization` and returns its id; the stream is closed after SUBSCRIBED, the framework stays (failover timeout). */
async function subscribe(name: string, authorization: string, principal: string): Promise<string> {
  const res = await post(
    "/api/v1/scheduler",
    { type: "SUBSCRIBE", subscribe: { framework_info: { user: "root", name, principal, failover_timeout: 3600 } } },
    authorization,
  );
  expect(res.status).toBe(200);
  return subscribedFrameworkId(res);
}

const deactivate = (agentId: string) => ({ type: "DEACTIVATE_AGENT", deactivate_agent: { agent_id: { value: agentId } } });
const quota = { type: "UPDATE_QUOTA", update_quota: { quota_configs: [{ role: "eng", limits: { cpus: { value: 1 } } }] } };
const teardown = (fid: string) => ({ type: "TEARDOWN", teardown: { framework_id: { value: fid } } });

/** The ids of the (not completed) frameworks `authorization` may view (GET_FRAMEWORKS). */
async function frameworkIds(authorization: string): Promise<string[]> {
  const res = await post("/api/v1", { type: "GET_FRAMEWORKS" }, authorization);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { get_frameworks: { frameworks?: Array<{ framework_info: { id: { value: string } } }> } };
  return (body.get_frameworks.frameworks ?? []).map((f) => f.framework_info.id.value).sort();
}

/** Whether the agent is deactivated, as the operator reads it (GET_AGENTS). */
async function agentDeactivated(agentId: string): Promise<boolean | undefined> {
  const body = (await (await post("/api/v1", { type: "GET_AGENTS" }, ops)).json()) as {
    get_agents: { agents: Array<{ deactivated: boolean; agent_info: { id: { value: string } } }> };
  };
  return body.get_agents.agents.find((a) => a.agent_info.id.value === agentId)?.deactivated;
}

/** The roles with a quota, as the operator reads them (GET_QUOTA). */
async function quotaRoles(): Promise<string[]> {
  const body = (await (await post("/api/v1", { type: "GET_QUOTA" }, ops)).json()) as { get_quota: { status: { configs?: Array<{ role: string }> } } };
  return (body.get_quota.status.configs ?? []).map((c) => c.role);
}

describe("operator API in the default (operators) mode", () => {
  it("refuses a framework's principal DEACTIVATE_AGENT, UPDATE_QUOTA and TEARDOWN with 403 naming it and the call; the operator makes them", async () => {
    const agentId = await registerAgent("access-1.test");
    const fid = await subscribe("alice-fw", alice, "alice");
    for (const [call, name] of [
      [deactivate(agentId), "DEACTIVATE_AGENT"],
      [quota, "UPDATE_QUOTA"],
      [teardown(fid), "TEARDOWN"],
    ] as const) {
      const refused = await post("/api/v1", call, alice);
      expect(refused.status, name).toBe(403);
      expect(await refused.text()).toBe(
        `type: principal 'alice' is not an operator: operator call '${name}' needs a principal in STRATA_OPERATORS or an ACL rule of ${
          { DEACTIVATE_AGENT: "deactivate_agents", UPDATE_QUOTA: "update_quotas", TEARDOWN: "teardown_frameworks" }[name]
        } naming it\n`,
      );
    }
    // Nothing changed: the agent is not deactivated, no quota, the framework is there.
    expect(await agentDeactivated(agentId)).toBe(false);
    expect(await frameworkIds(ops)).toContain(fid);
    expect(await quotaRoles()).not.toContain("eng");

    for (const call of [deactivate(agentId), quota, teardown(fid)]) {
      const done = await post("/api/v1", call, ops);
      expect(done.status, call.type).toBe(200);
      await done.body?.cancel();
    }
    expect(await agentDeactivated(agentId)).toBe(true);
    expect(await frameworkIds(ops)).not.toContain(fid);
    expect(await quotaRoles()).toContain("eng");
  });

  it("an anonymous operator write is 401; GET_HEALTH and GET_VERSION stay open to a framework's principal", async () => {
    const anonymous = await post("/api/v1", quota);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
    for (const type of ["GET_HEALTH", "GET_VERSION"]) {
      const res = await post("/api/v1", { type }, alice);
      expect(res.status, type).toBe(200);
      await res.body?.cancel();
    }
  });

  it("reads show a framework's principal its own frameworks only, the operator all of them; GET_FLAGS is the operator's", async () => {
    await registerAgent("access-2.test");
    const mine = await subscribe("alice-fw", alice, "alice");
    const theirs = await subscribe("ops-fw", ops, "ops");
    const hers = await frameworkIds(alice);
    expect(hers).toContain(mine);
    expect(hers).not.toContain(theirs);
    const all = await frameworkIds(ops);
    expect(all).toContain(mine);
    expect(all).toContain(theirs);
    const state = (await (await SELF.fetch(`${BASE}/master/state`, { headers: { authorization: alice } })).json()) as {
      frameworks: Array<{ id: string }>;
      slaves: unknown[];
      flags?: unknown;
    };
    expect(state.frameworks.map((f) => f.id)).toContain(mine);
    expect(state.frameworks.map((f) => f.id)).not.toContain(theirs);
    expect(state.slaves).toEqual([]);
    expect(state.flags).toBeUndefined();
    const flags = await post("/api/v1", { type: "GET_FLAGS" }, alice);
    expect(flags.status).toBe(403);
    expect(await flags.text()).toContain("principal 'alice' is not authorized to view flags");
    expect((await post("/api/v1", { type: "GET_FLAGS" }, ops)).status).toBe(200);
  });
});
