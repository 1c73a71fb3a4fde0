/**
 * The maintenance and agent ACLs (Mesos docs/authorization.md): changes are refused (403) when
 * a machine or agent is not allowed; reads leave out the machines the principal may not see.
 * Principal `ops` may do everything; `eve` nothing, except on machine `public` / agents of ids
 * listed for her (not the harness' agent).
 */
import { describe, expect, it } from "vitest";
import { MasterHarness, T0 } from "../../support/master-harness.ts";
import { expectHttpError, operator } from "../../support/operator-call.ts";

const MACHINE_ACTIONS = ["get_maintenance_schedules", "update_maintenance_schedules", "start_maintenances", "stop_maintenances", "get_maintenance_statuses"];
const AGENT_ACTIONS = ["drain_agents", "deactivate_agents", "reactivate_agents"];

function harness() {
  const acls: Record<string, unknown> = { permissive: false };
  for (const a of MACHINE_ACTIONS) {
    acls[a] = [
      { principals: { values: ["ops"] }, machines: { type: "ANY" } },
      { principals: { values: ["eve"] }, machines: { values: ["public", "10.0.0.7"] } },
    ];
  }
  for (const a of AGENT_ACTIONS) {
    acls[a] = [
      { principals: { values: ["ops"] }, agents: { type: "ANY" } },
      { principals: { values: ["eve"] }, agents: { values: ["someone-else"] } },
    ];
  }
  const h = new MasterHarness({ STRATA_AGENT_PING_TIMEOUT_SECONDS: "3600", STRATA_ACLS: JSON.stringify(acls) });
  return { h, agent: h.addAgent("cpus:1;mem:64") };
}

const unavailability = { start: { nanoseconds: T0 * 1e6 } };
const schedule = (...hosts: Array<{ hostname?: string; ip?: string }>) => ({
  type: "UPDATE_MAINTENANCE_SCHEDULE",
  update_maintenance_schedule: { schedule: { windows: [{ machine_ids: hosts, unavailability }] } },
});
const machines = (type: string, ...ms: Array<{ hostname?: string; ip?: string }>) => ({ type, [type.toLowerCase()]: { machines: ms } });
const agentCall = (type: string, agentId: string) => ({ type, [type.toLowerCase()]: { agent_id: { value: agentId } } });

describe("maintenance ACLs", () => {
  it("update_maintenance_schedules: every machine of the new schedule, and every one it drops", () => {
    const { h } = harness();
    expectHttpError(
      () => operator(h, schedule({ hostname: "secret" }), "eve"),
      403,
      /^update_maintenance_schedule\.schedule: principal 'eve' is not authorized to update maintenance schedules for 'secret'/,
    );
    expectHttpError(
      () => operator(h, schedule({ hostname: "secret" }), null),
      401,
      /^type: operator call 'UPDATE_MAINTENANCE_SCHEDULE' needs the credentials of an operator/,
    );
    operator(h, schedule({ hostname: "public" }), "eve");
    operator(h, schedule({ hostname: "public" }, { hostname: "secret" }), "ops");
    expectHttpError(() => operator(h, schedule({ hostname: "public" }), "eve"), 403, /for 'secret'/); // would drop 'secret'
    expect(operator(h, { type: "GET_MAINTENANCE_SCHEDULE" }, "ops").get_maintenance_schedule.schedule.windows[0].machine_ids).toHaveLength(2);
  });

  it("get_maintenance_schedules and get_maintenance_statuses leave out machines not allowed", () => {
    const { h } = harness();
    operator(h, schedule({ hostname: "public" }, { hostname: "secret" }, { ip: "10.0.0.7" }), "ops");
    operator(h, machines("START_MAINTENANCE", { ip: "10.0.0.7" }), "ops");
    expect(operator(h, { type: "GET_MAINTENANCE_SCHEDULE" }, "eve").get_maintenance_schedule.schedule.windows[0].machine_ids).toEqual([
      { hostname: "public" },
      { ip: "10.0.0.7" },
    ]);
    expect(operator(h, { type: "GET_MAINTENANCE_SCHEDULE" }, "mallory").get_maintenance_schedule.schedule).toEqual({ windows: [] });
    expect(operator(h, { type: "GET_MAINTENANCE_STATUS" }, "eve").get_maintenance_status.status).toEqual({
      draining_machines: [{ id: { hostname: "public" }, statuses: [] }],
      down_machines: [{ ip: "10.0.0.7" }],
    });
    expect(operator(h, { type: "GET_MAINTENANCE_STATUS" }, "mallory").get_maintenance_status.status).toEqual({ draining_machines: [], down_machines: [] });
    expect(operator(h, { type: "GET_MAINTENANCE_STATUS" }, "ops").get_maintenance_status.status.draining_machines).toHaveLength(2);
  });

  it("start_maintenances and stop_maintenances", () => {
    const { h } = harness();
    operator(h, schedule({ hostname: "public" }, { hostname: "secret" }), "ops");
    expectHttpError(
      () => operator(h, machines("START_MAINTENANCE", { hostname: "secret" }), "eve"),
      403,
      /^start_maintenance\.machines: principal 'eve' is not authorized to start maintenances for 'secret'/,
    );
    expectHttpError(() => operator(h, machines("START_MAINTENANCE", { hostname: "public" }, { hostname: "secret" }), "eve"), 403, /for 'secret'/);
    expect(operator(h, { type: "GET_MAINTENANCE_STATUS" }, "ops").get_maintenance_status.status.down_machines).toEqual([]);
    operator(h, machines("START_MAINTENANCE", { hostname: "public" }), "eve");
    operator(h, machines("START_MAINTENANCE", { hostname: "secret" }), "ops");
    expectHttpError(
      () => operator(h, machines("STOP_MAINTENANCE", { hostname: "secret" }), "eve"),
      403,
      /^stop_maintenance\.machines: principal 'eve' is not authorized to stop maintenances for 'secret'/,
    );
    operator(h, machines("STOP_MAINTENANCE", { hostname: "public" }), "eve");
    expect(operator(h, { type: "GET_MAINTENANCE_STATUS" }, "ops").get_maintenance_status.status.down_machines).toEqual([{ hostname: "secret" }]);
  });

  it("drain_agents, deactivate_agents and reactivate_agents name the agent", () => {
    const { h, agent } = harness();
    for (const [type, action, field] of [
      ["DRAIN_AGENT", "drain agents", "drain_agent"],
      ["DEACTIVATE_AGENT", "deactivate agents", "deactivate_agent"],
      ["REACTIVATE_AGENT", "reactivate agents", "reactivate_agent"],
    ] as const) {
      expectHttpError(
        () => operator(h, agentCall(type, agent), "eve"),
        403,
        new RegExp(`^${field}\\.agent_id: principal 'eve' is not authorized to ${action} for '${agent}'`),
      );
    }
    expect(h.core.agents.get(agent)?.deactivated).toBeUndefined();
    operator(h, agentCall("DEACTIVATE_AGENT", agent), "ops");
    expect(h.core.agents.get(agent)?.deactivated).toBe(true);
    expectHttpError(() => operator(h, agentCall("REACTIVATE_AGENT", agent), "eve"), 403, /reactivate agents/);
    expect(h.core.agents.get(agent)?.deactivated).toBe(true);
    operator(h, agentCall("DRAIN_AGENT", agent), "ops");
    expect(h.core.agents.get(agent)?.drain?.state).toBe("DRAINED");
    operator(h, agentCall("REACTIVATE_AGENT", agent), "ops");
    expect(h.core.agents.get(agent)?.deactivated).toBeUndefined();
  });
});
