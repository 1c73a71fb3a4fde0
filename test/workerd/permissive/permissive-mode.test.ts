/**
 * `STRATA_AUTHORIZATION=permissive` (Mesos' behaviour, set for this workerd project in
 * vitest.config.ts): without ACLs every authenticated principal may use the operator API, so a
 * framework's principal (alice, not in `STRATA_OPERATORS`) deactivates an agent, sets a quota
 * and tears a framework down, and reads the whole cluster.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const BASE = "http://master.test";
const alice = `Basic ${btoa("alice:alice-secret")}`;
const json = { "content-type": "application/json" };

const post = (path: string, body: unknown, authorization: string) =>
  SELF.fetch(`${BASE}${path}`, { method: "POST", body: JSON.stringify(body), headers: { ...json, authorization } });

describe("permissive mode", () => {
  it("runs with STRATA_AUTHORIZATION=permissive", () => {
    expect((env as unknown as Record<string, string>).STRATA_AUTHORIZATION).toBe("permissive");
  });

  it("lets a principal that is no operator make operator calls (DEACTIVATE_AGENT, UPDATE_QUOTA, GET_FLAGS)", async () => {
    const reg = await post(
      "/agent/v1/register",
      { hostname: "permissive-1.test", resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }] },
      "Bearer test-join-token",
    );
    const agentId = ((await reg.json()) as { agent_id: { value: string } }).agent_id.value;
    const deactivated = await post("/api/v1", { type: "DEACTIVATE_AGENT", deactivate_agent: { agent_id: { value: agentId } } }, alice);
    expect(deactivated.status).toBe(200);
    await deactivated.body?.cancel();
    const quota = await post("/api/v1", { type: "UPDATE_QUOTA", update_quota: { quota_configs: [{ role: "eng", limits: { cpus: { value: 1 } } }] } }, alice);
    expect(quota.status).toBe(200);
    await quota.body?.cancel();
    const state = (await (await post("/api/v1", { type: "GET_AGENTS" }, alice)).json()) as {
      get_agents: { agents: Array<{ deactivated: boolean; agent_info: { id: { value: string } } }> };
    };
    expect(state.get_agents.agents.find((a) => a.agent_info.id.value === agentId)?.deactivated).toBe(true);
    expect((await post("/api/v1", { type: "GET_FLAGS" }, alice)).status).toBe(200);
  });
});
