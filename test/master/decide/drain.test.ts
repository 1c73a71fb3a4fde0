/**
 * DEACTIVATE_AGENT, REACTIVATE_AGENT and DRAIN_AGENT on the fake-clock harness (Mesos
 * docs/maintenance.md, "Automatic/Manual Node Draining"): offers stop and resume (the
 * allocation cache sees the change), tasks keep running or are killed with a capped grace
 * period, the drain goes DRAINING → DRAINED, and it all survives re-registration and restarts.
 */
import { describe, expect, it } from "vitest";
import { agentDrainInfo } from "../../../master-worker/src/decide/agent-drain.ts";
import { parseResources } from "../../../sdk/src/resources.ts";
import { MasterHarness } from "../../support/master-harness.ts";
import { expectHttpError, operator } from "../../support/operator-call.ts";

const INTERVAL = 1000;

const deactivate = (agentId: string) => ({ type: "DEACTIVATE_AGENT", deactivate_agent: { agent_id: { value: agentId } } });
const reactivate = (agentId: string) => ({ type: "REACTIVATE_AGENT", reactivate_agent: { agent_id: { value: agentId } } });
const drain = (agentId: string, extra: Record<string, unknown> = {}) => ({ type: "DRAIN_AGENT", drain_agent: { agent_id: { value: agentId }, ...extra } });

/** Two agents, one framework holding an offer from each. */
function cluster() {
  const h = new MasterHarness({ STRATA_AGENT_PING_TIMEOUT_SECONDS: "3600" });
  const a1 = h.addAgent("cpus:4;mem:1024");
  const a2 = h.addAgent("cpus:4;mem:1024");
  const { frameworkId: fid } = h.subscribe("fw");
  h.advance(INTERVAL);
  expect(
    h
      .offersFor(fid)
      .map((o) => o.agent_id.value)
      .sort(),
  ).toEqual([a1, a2].sort());
  return { h, a1, a2, fid };
}

/** Declines every outstanding offer without a filter, then runs the next allocation; returns the agents offered. */
function nextRun(h: MasterHarness, fid: string): string[] {
  const ids = h.offersFor(fid).map((o) => o.id.value);
  if (ids.length > 0) h.decline(fid, ids, 0);
  h.advance(INTERVAL);
  return h.offersFor(fid).map((o) => o.agent_id.value);
}

/** Launches tasks on a1 from its offer (the rest declined) and lets the agent start them. */
function launch(h: MasterHarness, fid: string, agentId: string, tasks: Array<{ taskId: string; kill_policy?: Record<string, unknown> }>) {
  const offer = h.offersFor(fid).find((o) => o.agent_id.value === agentId)!;
  h.accept(
    fid,
    [offer.id.value],
    tasks.map((t) => ({ ...t, agentId, resources: "cpus:1;mem:64" })),
    { refuse_seconds: 0 },
  );
  expect(h.pollCommands(agentId).map((c) => c.type)).toEqual(tasks.map(() => "LAUNCH"));
  for (const t of tasks) h.agentReport(agentId, fid, t.taskId, "TASK_RUNNING");
}

describe("DEACTIVATE_AGENT / REACTIVATE_AGENT", () => {
  it("rescinds the agent's offers, skips it in later runs, keeps its tasks, and offers it again once reactivated", () => {
    const { h, a1, a2, fid } = cluster();
    launch(h, fid, a1, [{ taskId: "t1" }]);
    h.advance(INTERVAL);
    const onA1 = h.offersFor(fid).find((o) => o.agent_id.value === a1)!;
    expect(onA1).toBeDefined();

    expect(operator(h, deactivate(a1))).toBeUndefined();
    expect(h.eventsOf(fid, "RESCIND").map((e) => e.rescind.offer_id.value)).toContain(onA1.id.value);
    expect(h.core.agentActive(a1)).toBe(false);
    expect(h.core.agentConnected(a1)).toBe(true);
    expect(agentDrainInfo(h.core.agents.get(a1)!)).toEqual({ deactivated: true });
    // the next allocation run (its cache saw a1's offer go) must not offer a1 again
    expect(nextRun(h, fid)).toEqual([a2]);
    expect(nextRun(h, fid)).toEqual([a2]);
    expect(h.pollCommands(a1)).toEqual([]); // the task is not killed
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING");

    // a re-registration does not undo the operator's deactivation
    h.register({
      agent_id: { value: a1 },
      hostname: "host-1.test",
      resources: parseResources("cpus:4;mem:1024"),
      tasks: [{ framework_id: { value: fid }, task_id: { value: "t1" }, state: "TASK_RUNNING" }],
    });
    h.fakeAgentPoll(a1);
    expect(h.core.agents.get(a1)?.deactivated).toBe(true);
    expect(nextRun(h, fid)).toEqual([a2]);

    expect(operator(h, reactivate(a1))).toBeUndefined();
    expect(agentDrainInfo(h.core.agents.get(a1)!)).toEqual({ deactivated: false });
    expect(nextRun(h, fid).sort()).toEqual([a1, a2].sort());
    // reactivating an active agent changes nothing
    expect(operator(h, reactivate(a1))).toBeUndefined();
  });

  it("survives a master restart", () => {
    const { h, a1, a2, fid } = cluster();
    operator(h, deactivate(a1));
    h.restart();
    h.subscribe("fw", undefined, { frameworkId: fid });
    h.fakeAgentPoll(a1);
    h.fakeAgentPoll(a2);
    h.advance(INTERVAL);
    expect(h.offersFor(fid).map((o) => o.agent_id.value)).toEqual([a2]);
  });

  it("refuses unknown agents by field", () => {
    const h = new MasterHarness();
    expectHttpError(() => operator(h, deactivate("nope")), 400, /^deactivate_agent\.agent_id: unknown agent 'nope'/);
    expectHttpError(() => operator(h, reactivate("nope")), 400, /^reactivate_agent\.agent_id: unknown agent 'nope'/);
    expectHttpError(() => operator(h, drain("nope")), 400, /^drain_agent\.agent_id: unknown agent 'nope'/);
  });
});

describe("DRAIN_AGENT", () => {
  it("kills every task with the grace period capped, and is DRAINED once they are over and acknowledged", () => {
    const { h, a1, a2, fid } = cluster();
    launch(h, fid, a1, [
      { taskId: "long", kill_policy: { grace_period: { nanoseconds: 30e9 } } },
      { taskId: "short", kill_policy: { grace_period: { nanoseconds: 1e9 } } },
      { taskId: "plain" },
    ]);
    h.advance(INTERVAL);

    operator(h, drain(a1, { max_grace_period: { nanoseconds: 10e9 } }));
    expect(agentDrainInfo(h.core.agents.get(a1)!)).toEqual({
      deactivated: true,
      drain_info: { state: "DRAINING", config: { max_grace_period: { nanoseconds: 10e9 } } },
    });
    const kills = h.pollCommands(a1);
    expect(kills.map((c) => (c.type === "KILL" ? [c.task_id.value, c.kill_policy?.grace_period?.nanoseconds] : []))).toEqual([
      ["long", 10e9],
      ["short", 1e9],
      ["plain", 3e9],
    ]);
    expect(nextRun(h, fid)).toEqual([a2]);

    // the tasks end; until every update is acknowledged the agent is still DRAINING
    const reports = ["long", "short", "plain"].map((t) => h.agentReport(a1, fid, t, "TASK_KILLED"));
    h.advance(INTERVAL);
    expect(h.core.agents.get(a1)?.drain?.state).toBe("DRAINING");
    const [first, ...rest] = h.updates(fid);
    h.acknowledge(fid, first!); // one update still unacknowledged is enough to keep it DRAINING
    h.fakeAgentPoll(a1);
    h.fakeAgentPoll(a1);
    h.advance(INTERVAL);
    expect(h.core.agents.get(a1)?.drain?.state).toBe("DRAINING");
    for (const status of rest) h.acknowledge(fid, status);
    h.fakeAgentPoll(a1); // learns of the acknowledgements
    h.fakeAgentPoll(a1); // confirms them: the master forgets the updates
    expect(reports).toHaveLength(3);
    h.advance(INTERVAL);
    expect(h.core.agents.get(a1)?.drain?.state).toBe("DRAINED");
    expect(h.core.agentActive(a1)).toBe(false);
    expect(nextRun(h, fid)).toEqual([a2]);

    // REACTIVATE_AGENT ends the drain
    operator(h, reactivate(a1));
    expect(agentDrainInfo(h.core.agents.get(a1)!)).toEqual({ deactivated: false });
    expect(nextRun(h, fid).sort()).toEqual([a1, a2].sort());
  });

  it("an agent without tasks is DRAINED at once; tasks keep their own kill policy without a cap", () => {
    const { h, a1, a2, fid } = cluster();
    operator(h, drain(a2));
    expect(h.core.agents.get(a2)?.drain).toEqual({ state: "DRAINED", config: {} });
    launch(h, fid, a1, [{ taskId: "t", kill_policy: { grace_period: { nanoseconds: 30e9 } } }, { taskId: "u" }]);
    operator(h, drain(a1));
    const kills = h.pollCommands(a1);
    expect(kills.map((c) => (c.type === "KILL" ? c.kill_policy : "?"))).toEqual([{ grace_period: { nanoseconds: 30e9 } }, undefined]);
    // kept across a restart
    h.restart();
    expect(h.core.agents.get(a1)?.drain?.state).toBe("DRAINING");
    expect(h.core.agents.get(a2)?.drain?.state).toBe("DRAINED");
  });

  it("with mark_gone marks the agent gone once drained: it may not come back", () => {
    const { h, a1, fid } = cluster();
    launch(h, fid, a1, [{ taskId: "t1" }]);
    operator(h, drain(a1, { mark_gone: true }));
    h.advance(INTERVAL);
    expect(h.core.agents.get(a1)?.goneAt).toBeUndefined(); // t1 still runs
    expect(h.pollCommands(a1).map((c) => c.type)).toEqual(["KILL"]);
    h.agentReport(a1, fid, "t1", "TASK_KILLED");
    for (const status of h.updates(fid)) h.acknowledge(fid, status); // RUNNING and KILLED
    h.fakeAgentPoll(a1); // learns of the acknowledgement
    h.fakeAgentPoll(a1); // confirms it: the master forgets the update
    h.advance(INTERVAL);
    expect(h.core.agents.get(a1)?.drain?.state).toBe("DRAINED");
    expect(h.core.agents.get(a1)?.goneAt).toBe(h.now);
    expect(h.core.agentConnected(a1)).toBe(false);
    expect(() => h.register({ agent_id: { value: a1 }, hostname: "host-1.test", resources: parseResources("cpus:4;mem:1024") })).toThrow(/gone/);
  });

  it("refuses a negative grace period", () => {
    const { h, a1 } = cluster();
    expectHttpError(() => operator(h, drain(a1, { max_grace_period: { nanoseconds: -1 } })), 400, /max_grace_period: must not be negative/);
    expect(h.core.agents.get(a1)?.drain).toBeUndefined();
    expect(h.core.agents.get(a1)?.deactivated).toBeUndefined();
  });
});
