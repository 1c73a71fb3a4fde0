/**
 * Review of behaviour where the issue-4 areas meet (maintenance × status updates,
 * oversubscription × deactivation/drain/maintenance, …), against Mesos semantics.
 */
import { describe, expect, it } from "vitest";
import { taskKey } from "../../../master-worker/src/store/records.ts";
import type { Resource } from "../../../schemas/index.ts";
import { parseMessage, SchedulerCall as SchedulerCallSchema } from "../../../schemas/index.ts";
import { MasterHarness, T0, TEST_OPERATOR } from "../../support/master-harness.ts";
import { expectHttpError, operator } from "../../support/operator-call.ts";
import { orThrow } from "../../support/refused.ts";

const INTERVAL = 1000;
const unavailability = { start: { nanoseconds: (T0 + 3600_000) * 1e6 }, duration: { nanoseconds: 3600e9 } };
const isRevocable = (rs: readonly Resource[]) => rs.some((r) => r.revocable !== undefined);

/** An agent (host-1.test) running RUNNING task t1 of framework `fid`. */
function running(env: Record<string, string> = {}) {
  const h = new MasterHarness({ STRATA_AGENT_PING_TIMEOUT_SECONDS: "3600", ...env });
  const agent = h.addAgent("cpus:4;mem:4096");
  const { frameworkId: fid } = h.subscribe("busy");
  h.advance(INTERVAL);
  const [offer] = h.offersFor(fid);
  h.accept(fid, [offer!.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:4;mem:4096" }]);
  expect(h.pollCommands(agent).map((c) => c.type)).toEqual(["LAUNCH"]);
  h.agentReport(agent, fid, "t1", "TASK_RUNNING");
  return { h, agent, fid };
}

describe("START_MAINTENANCE and the agent's own reports", () => {
  it("a task reported TASK_LOST by START_MAINTENANCE is not reported terminal a second time by the agent's KILLED", () => {
    const { h, agent, fid } = running();
    operator(h, {
      type: "UPDATE_MAINTENANCE_SCHEDULE",
      update_maintenance_schedule: { schedule: { windows: [{ machine_ids: [{ hostname: "host-1.test" }], unavailability }] } },
    });
    operator(h, { type: "START_MAINTENANCE", start_maintenance: { machines: [{ hostname: "host-1.test" }] } });
    const lost = h.updates(fid).filter((s) => s.task_id.value === "t1" && s.state === "TASK_LOST");
    expect(lost).toHaveLength(1);
    // The agent (inside a held poll, or its updates still taken while DOWN) kills the task and says so.
    const { uuid, response } = h.agentReport(agent, fid, "t1", "TASK_KILLED");
    expect(response.acknowledged).toEqual([uuid]); // nothing left to deliver: the agent may stop retrying
    const terminal = h.updates(fid).filter((s) => s.task_id.value === "t1" && s.state !== "TASK_RUNNING");
    expect(terminal.map((s) => s.state)).toEqual(["TASK_LOST"]);
    expect(h.core.tasks.get(taskKey(fid, "t1"))?.state).toBe("TASK_LOST");
  });
});

describe("revocable offers only from agents allocation may offer", () => {
  /** Agent fully used by regular t1 (measured at 1 cpu / 1024 MB); `rev` wants revocable resources. */
  function slack() {
    const s = running();
    const { frameworkId: rev } = s.h.subscribe("best-effort", undefined, { capabilities: ["REVOCABLE_RESOURCES"] });
    s.h.reportUsage(s.agent, [{ fid: s.fid, taskId: "t1", cpus: 1, mem: 1024 }]);
    s.h.advance(INTERVAL);
    const offers = s.h.offersFor(rev);
    expect(offers.filter((o) => isRevocable(o.resources))).toHaveLength(1);
    return { ...s, rev };
  }
  const revocableOffersMadeAfter = (h: MasterHarness, rev: string, before: number) =>
    h
      .allOffersFor(rev)
      .slice(before)
      .filter((o) => isRevocable(o.resources));

  it("DEACTIVATE_AGENT: no new revocable offer from the agent", () => {
    const { h, agent, fid, rev } = slack();
    const before = h.allOffersFor(rev).length;
    operator(h, { type: "DEACTIVATE_AGENT", deactivate_agent: { agent_id: { value: agent } } });
    expect(h.offersFor(rev)).toEqual([]); // rescinded
    h.reportUsage(agent, [{ fid, taskId: "t1", cpus: 1, mem: 1024 }]);
    h.advance(INTERVAL);
    h.advance(INTERVAL);
    expect(revocableOffersMadeAfter(h, rev, before)).toEqual([]);
  });

  it("DRAIN_AGENT: no new revocable offer from the agent", () => {
    const { h, agent, fid, rev } = slack();
    const before = h.allOffersFor(rev).length;
    operator(h, { type: "DRAIN_AGENT", drain_agent: { agent_id: { value: agent } } });
    h.reportUsage(agent, [{ fid, taskId: "t1", cpus: 1, mem: 1024 }]);
    h.advance(INTERVAL);
    expect(revocableOffersMadeAfter(h, rev, before)).toEqual([]);
  });

  it("a DRAINING machine's revocable offers carry its unavailability", () => {
    const { h, agent, fid, rev } = slack();
    const before = h.allOffersFor(rev).length;
    operator(h, {
      type: "UPDATE_MAINTENANCE_SCHEDULE",
      update_maintenance_schedule: { schedule: { windows: [{ machine_ids: [{ hostname: "host-1.test" }], unavailability }] } },
    });
    h.reportUsage(agent, [{ fid, taskId: "t1", cpus: 1, mem: 1024 }]);
    h.advance(INTERVAL);
    const made = revocableOffersMadeAfter(h, rev, before);
    expect(made).toHaveLength(1);
    expect(made[0]!.unavailability).toEqual(unavailability);
  });
});

describe("scheduler ACLs use the authenticated principal only", () => {
  it("an unauthenticated framework declaring another's principal does not get that principal's right to reserve", () => {
    // admin may reserve for any role; every other named principal or anonymous may not.
    const acls = {
      permissive: true,
      reserve_resources: [
        { principals: { values: ["admin"] }, roles: { type: "ANY" } },
        { principals: { type: "ANY" }, roles: { type: "NONE" } },
      ],
    };
    const h = new MasterHarness({ STRATA_ACLS: JSON.stringify(acls) });
    const agent = h.addAgent("cpus:4;mem:4096");
    // No credentials (framework authentication is optional), but framework_info names "admin".
    const call = parseMessage(SchedulerCallSchema, h.subscribeJson("impostor", { principal: "admin", role: "web" }));
    if (call.type !== "SUBSCRIBE") throw new Error("unreachable");
    const { frameworkId: fid, streamId } = orThrow(h.core.subscribe(call, undefined, h.now));
    h.outbox.open.set(fid, streamId);
    h.advance(INTERVAL);
    const [offer] = h.outbox.sent
      .filter((s) => s.fid === fid && s.event.type === "OFFERS")
      .flatMap((s) => (s.event.type === "OFFERS" ? s.event.offers.offers : []));
    const before = h.core.agents.get(agent)!.resources;
    expectHttpError(
      () =>
        h.call(
          fid,
          {
            type: "ACCEPT",
            accept: {
              offer_ids: [offer!.id],
              operations: [
                {
                  type: "RESERVE",
                  reserve: { resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 }, role: "web", reservation: { principal: "admin" } }] },
                },
              ],
            },
          },
          { principal: undefined },
        ),
      403,
      /not authorized to reserve resources/,
    );
    expect(h.core.agents.get(agent)!.resources).toEqual(before);
  });
});

describe("a drain across a master restart", () => {
  it("of an agent that never comes back completes once the agent is unreachable", () => {
    const { h, agent, fid } = running({ STRATA_AGENT_PING_TIMEOUT_SECONDS: "15", STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "60" });
    operator(h, { type: "DRAIN_AGENT", drain_agent: { agent_id: { value: agent } } });
    expect(h.pollCommands(agent).map((c) => c.type)).toEqual(["KILL"]);
    h.agentReport(agent, fid, "t1", "TASK_KILLED");
    for (const s of h.updates(fid)) h.acknowledge(fid, s);
    h.fakeAgentPoll(agent); // learns of the acknowledgements (and does not confirm them before the restart)
    h.restart();
    h.advance(INTERVAL);
    expect(h.core.agents.get(agent)?.drain?.state).toBe("DRAINING");
    for (let i = 0; i < 7; i++) h.advance(10_000);
    expect(h.core.agents.get(agent)?.unreachableAt).toBeDefined();
    expect(h.core.agents.get(agent)?.drain?.state).toBe("DRAINED");
  });

  it("is not DRAINED (nor marked gone) before the agent has re-sent the updates the restart forgot", () => {
    const { h, agent, fid } = running();
    for (const s of h.updates(fid)) h.acknowledge(fid, s); // TASK_RUNNING acknowledged
    h.fakeAgentPoll(agent);
    h.fakeAgentPoll(agent);
    operator(h, { type: "DRAIN_AGENT", drain_agent: { agent_id: { value: agent }, mark_gone: true } });
    expect(h.pollCommands(agent).map((c) => c.type)).toEqual(["KILL"]);
    h.agentReport(agent, fid, "t1", "TASK_KILLED"); // forwarded, not acknowledged yet
    h.advance(INTERVAL);
    expect(h.core.agents.get(agent)?.drain?.state).toBe("DRAINING");

    h.restart(); // the agent's update was kept in memory only
    h.advance(INTERVAL);
    expect(h.core.agents.get(agent)?.drain?.state).toBe("DRAINING");
    expect(h.core.agents.get(agent)?.goneAt).toBeUndefined();

    // The agent learns of the new instance and sends its unacknowledged update again.
    const answer = h.fakeAgentPoll(agent, { master_id: "master-1" });
    expect(answer?.master_id).toBe("master-2");
    h.agentRetry(agent);
    h.fakeAgentPoll(agent, { master_id: "master-2" });
    h.advance(INTERVAL);
    expect(h.core.agents.get(agent)?.drain?.state).toBe("DRAINING");

    // The framework comes back, gets the update again and acknowledges it: now DRAINED and gone.
    h.subscribe("busy", undefined, { frameworkId: fid });
    const killed = h.updates(fid).filter((s) => s.state === "TASK_KILLED");
    expect(killed.length).toBeGreaterThanOrEqual(2); // before and after the restart
    h.acknowledge(fid, killed[killed.length - 1]!);
    h.fakeAgentPoll(agent, { master_id: "master-2" });
    h.fakeAgentPoll(agent, { master_id: "master-2" });
    h.advance(INTERVAL);
    expect(h.core.agents.get(agent)?.drain?.state).toBe("DRAINED");
    expect(h.core.agents.get(agent)?.goneAt).toBe(h.now);
  });
});

describe("operator reservation calls on a gone agent", () => {
  it("are refused (400 naming agent_id): a gone agent never comes back to carry them out", () => {
    const h = new MasterHarness();
    const agent = h.addAgent("cpus:4;mem:4096;disk:1000");
    operator(h, { type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: agent } } });
    const before = h.core.agents.get(agent)!.resources;
    expectHttpError(
      () =>
        operator(h, {
          type: "RESERVE_RESOURCES",
          reserve_resources: {
            agent_id: { value: agent },
            resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 }, role: "web", reservation: { principal: TEST_OPERATOR } }],
          },
        }),
      400,
      /^reserve_resources\.agent_id: agent '.*' is gone/,
    );
    expect(h.core.agents.get(agent)!.resources).toEqual(before);
  });

  it("are refused for an unreachable agent and for one on a DOWN machine, and taken once it is back", () => {
    const h = new MasterHarness({ STRATA_AGENT_PING_TIMEOUT_SECONDS: "15", STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "60" });
    const agent = h.addAgent("cpus:4;mem:4096;disk:1000");
    const reserve = {
      type: "RESERVE_RESOURCES",
      reserve_resources: {
        agent_id: { value: agent },
        resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 }, role: "web", reservation: { principal: TEST_OPERATOR } }],
      },
    };
    h.advance(61_000);
    expect(h.core.agents.get(agent)!.unreachableAt).toBeDefined();
    expectHttpError(() => operator(h, reserve), 400, /^reserve_resources\.agent_id: agent '.*' is unreachable/);
    h.register({ agent_id: { value: agent }, hostname: "host-1.test", resources: h.core.agents.get(agent)!.resources });
    const machine = [{ hostname: "host-1.test" }];
    operator(h, { type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule: { windows: [{ machine_ids: machine, unavailability }] } } });
    operator(h, { type: "START_MAINTENANCE", start_maintenance: { machines: machine } });
    expectHttpError(() => operator(h, reserve), 400, /^reserve_resources\.agent_id: agent '.*' is on a machine DOWN for maintenance/);
    operator(h, { type: "STOP_MAINTENANCE", stop_maintenance: { machines: machine } });
    expect(operator(h, reserve)).toBeUndefined();
  });
});

describe("inverse offers and unreachable or gone agents", () => {
  const inverseOffers = (h: MasterHarness, fid: string) => h.eventsOf(fid, "INVERSE_OFFERS").flatMap((e) => e.inverse_offers.inverse_offers);
  const schedule = {
    type: "UPDATE_MAINTENANCE_SCHEDULE",
    update_maintenance_schedule: { schedule: { windows: [{ machine_ids: [{ hostname: "host-1.test" }], unavailability }] } },
  };

  it("an outstanding inverse offer is rescinded when its agent becomes unreachable, and none is sent while it is", () => {
    const { h, agent, fid } = running({ STRATA_AGENT_PING_TIMEOUT_SECONDS: "15", STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "60" });
    operator(h, schedule);
    h.advance(INTERVAL);
    const [inverse] = inverseOffers(h, fid);
    expect(inverse?.agent_id?.value).toBe(agent);
    for (let i = 0; i < 70; i++) h.advance(INTERVAL); // the agent is silent: unreachable
    expect(h.core.agents.get(agent)?.unreachableAt).toBeDefined();
    expect(h.eventsOf(fid, "RESCIND_INVERSE_OFFER").map((e) => e.rescind_inverse_offer.inverse_offer_id.value)).toEqual([inverse!.id.value]);
    expect(h.core.inverseOffers.offers.size).toBe(0);
    h.advance(INTERVAL * 10);
    expect(inverseOffers(h, fid)).toHaveLength(1);
  });

  it("an outstanding inverse offer is rescinded when its agent is marked gone", () => {
    const { h, agent, fid } = running();
    operator(h, schedule);
    h.advance(INTERVAL);
    expect(inverseOffers(h, fid)).toHaveLength(1);
    operator(h, { type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: agent } } });
    h.advance(INTERVAL);
    expect(h.eventsOf(fid, "RESCIND_INVERSE_OFFER")).toHaveLength(1);
    expect(h.core.inverseOffers.offers.size).toBe(0);
  });
});

describe("MARK_AGENT_GONE during a drain with mark_gone", () => {
  it("keeps the moment the agent was marked gone when the drain then completes", () => {
    const { h, agent, fid } = running();
    operator(h, { type: "DRAIN_AGENT", drain_agent: { agent_id: { value: agent }, mark_gone: true } });
    h.advance(INTERVAL);
    operator(h, { type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: agent } } });
    const goneAt = h.core.agents.get(agent)!.goneAt;
    expect(goneAt).toBe(h.now);
    for (const s of h.updates(fid)) h.acknowledge(fid, s);
    h.advance(INTERVAL);
    expect(h.core.agents.get(agent)?.drain?.state).toBe("DRAINED");
    expect(h.core.agents.get(agent)?.goneAt).toBe(goneAt);
    // nothing is kept for an agent that never hears again
    expect([...h.core.updates.values()].filter((u) => u.agentId === agent)).toEqual([]);
  });

  it("forgets acknowledgements the agent had yet to learn of when it is marked gone", () => {
    const { h, agent, fid } = running();
    for (const s of h.updates(fid)) h.acknowledge(fid, s); // the agent has not polled since
    expect([...h.core.updates.ackedFor(agent)]).toHaveLength(1);
    operator(h, { type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: agent } } });
    expect([...h.core.updates.ackedFor(agent)]).toEqual([]);
    expect([...h.core.updates.values()].filter((u) => u.agentId === agent)).toEqual([]);
  });
});

describe("allocation and unreachable agents", () => {
  it("a role's tasks on an unreachable agent do not count against its quota limit (it may relaunch them elsewhere)", () => {
    const h = new MasterHarness({ STRATA_AGENT_PING_TIMEOUT_SECONDS: "15", STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "60" });
    const a1 = h.addAgent("cpus:2;mem:1024");
    operator(h, { type: "UPDATE_QUOTA", update_quota: { force: true, quota_configs: [{ role: "web", limits: { cpus: { value: 2 } } }] } });
    const { frameworkId: fid } = h.subscribe("web-fw", undefined, { role: "web", capabilities: ["PARTITION_AWARE"] });
    h.advance(INTERVAL);
    const [offer] = h.offersFor(fid);
    h.accept(fid, [offer!.id.value], [{ taskId: "t1", agentId: a1, resources: "cpus:2;mem:128" }]);
    expect(h.pollCommands(a1).map((c) => c.type)).toEqual(["LAUNCH"]);
    h.agentReport(a1, fid, "t1", "TASK_RUNNING");
    for (let i = 0; i < 7; i++) h.advance(10_000); // a1 falls silent
    expect(h.updates(fid).map((s) => s.state)).toContain("TASK_UNREACHABLE");
    const a2 = h.addAgent("cpus:2;mem:1024");
    h.advance(INTERVAL);
    const onA2 = h.offersFor(fid).filter((o) => o.agent_id.value === a2);
    expect(
      onA2
        .flatMap((o) => o.resources)
        .filter((r) => r.name === "cpus")
        .reduce((s, r) => s + (r.scalar?.value ?? 0), 0),
    ).toBe(2);
  });
});

describe("revocable offers and per-role suppression", () => {
  it("a framework that suppressed its role (SUPPRESS with roles) gets no revocable offers", () => {
    const s = running();
    const { frameworkId: rev } = s.h.subscribe("best-effort", undefined, { role: "batch", capabilities: ["REVOCABLE_RESOURCES"] });
    s.h.call(rev, { type: "SUPPRESS", suppress: { roles: ["batch"] } });
    s.h.reportUsage(s.agent, [{ fid: s.fid, taskId: "t1", cpus: 1, mem: 1024 }]);
    s.h.advance(INTERVAL);
    s.h.advance(INTERVAL);
    expect(s.h.allOffersFor(rev).filter((o) => isRevocable(o.resources))).toEqual([]);
    // reviving the role brings them
    s.h.call(rev, { type: "REVIVE", revive: { roles: ["batch"] } });
    s.h.advance(INTERVAL);
    expect(s.h.offersFor(rev).filter((o) => isRevocable(o.resources))).toHaveLength(1);
  });
});

describe("the next deadline", () => {
  it("is a valid moment even when the only thing due is decades away (failover_timeout of 1e300 s)", () => {
    const h = new MasterHarness();
    const call = parseMessage(SchedulerCallSchema, h.subscribeJson("forever"));
    if (call.type !== "SUBSCRIBE") throw new Error("unreachable");
    call.subscribe.framework_info.failover_timeout = 1e300;
    const { frameworkId: fid, streamId } = orThrow(h.core.subscribe(call, undefined, h.now));
    h.core.disconnected(fid, streamId, h.now);
    const next = h.advance(INTERVAL);
    expect(next).toBeDefined();
    expect(Number.isNaN(new Date(next!).getTime())).toBe(false); // what a Durable Object alarm accepts
    expect(h.core.frameworks.get(fid)?.removed).toBe(false);
  });
});

describe("quota and revocable resources", () => {
  it("revocable resources a role holds do not count against its quota limit (Mesos quota is of non-revocable resources)", () => {
    const s = running();
    s.h.call(s.fid, { type: "SUPPRESS", suppress: {} }); // the regular framework wants nothing more
    operator(s.h, { type: "UPDATE_QUOTA", update_quota: { force: true, quota_configs: [{ role: "web", limits: { cpus: { value: 2 } } }] } });
    const { frameworkId: rev } = s.h.subscribe("best-effort", undefined, { role: "web", capabilities: ["REVOCABLE_RESOURCES"] });
    s.h.reportUsage(s.agent, [{ fid: s.fid, taskId: "t1", cpus: 1, mem: 1024 }]);
    s.h.advance(INTERVAL);
    const [offer] = s.h.offersFor(rev).filter((o) => isRevocable(o.resources));
    expect(offer).toBeDefined();
    const task = {
      name: "be",
      task_id: { value: "be" },
      agent_id: { value: s.agent },
      command: { value: "true" },
      resources: [
        { name: "cpus", type: "SCALAR", scalar: { value: 2 }, revocable: {} },
        { name: "mem", type: "SCALAR", scalar: { value: 512 }, revocable: {} },
      ],
    };
    s.h.call(rev, { type: "ACCEPT", accept: { offer_ids: [offer!.id], operations: [{ type: "LAUNCH", launch: { task_infos: [task] } }] } });
    expect(s.h.pollCommands(s.agent).map((c) => c.type)).toEqual(["LAUNCH"]);
    s.h.agentReport(s.agent, rev, "be", "TASK_RUNNING");
    const a2 = s.h.addAgent("cpus:2;mem:1024");
    s.h.advance(INTERVAL);
    const cpus = s.h
      .offersFor(rev)
      .filter((o) => o.agent_id.value === a2)
      .flatMap((o) => o.resources)
      .filter((r) => r.name === "cpus" && r.revocable === undefined)
      .reduce((n, r) => n + (r.scalar?.value ?? 0), 0);
    expect(cpus).toBe(2);
  });
});

describe("DRAIN_AGENT with mark_gone of an agent with nothing to drain", () => {
  it("marks it gone at once (it is DRAINED at once)", () => {
    const h = new MasterHarness();
    const agent = h.addAgent();
    operator(h, { type: "DRAIN_AGENT", drain_agent: { agent_id: { value: agent }, mark_gone: true } });
    h.advance(INTERVAL);
    expect(h.core.agents.get(agent)?.drain?.state).toBe("DRAINED");
    expect(h.core.agents.get(agent)?.goneAt).toBeDefined();
    expect(h.core.agentConnected(agent)).toBe(false);
  });
});
