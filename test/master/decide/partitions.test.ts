/**
 * Unreachable and gone agents (partitions.ts), with the fake clock: tasks reported
 * TASK_UNREACHABLE / TASK_LOST when an agent goes quiet, what happens when it comes back, and
 * MARK_AGENT_GONE.
 */
import { describe, expect, it } from "vitest";
import { HttpError } from "../../../master-worker/src/edge/http-error.ts";
import { readConfig } from "../../../master-worker/src/model/config.ts";
import { operatorCall } from "../../../master-worker/src/operator/index.ts";
import { parseOperatorCall } from "../../../schemas/operator.ts";
import { ValidationError } from "../../../schemas/parse.ts";
import { partitionCluster as cluster, INTERVAL, lastStatusOf, PARTITION_AWARE, subscribeWith, UNREACHABLE_S } from "../../support/lifecycle.ts";
import { MasterHarness, TEST_OPERATOR } from "../../support/master-harness.ts";
import { orThrow } from "../../support/refused.ts";

function httpError(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    return e as HttpError;
  }
  throw new Error("expected an HttpError");
}

const op = (h: MasterHarness, body: unknown, principal?: string) =>
  orThrow(operatorCall(h.core, parseOperatorCall(body), { now: h.now, principal: principal ?? TEST_OPERATOR }));

describe("unreachable timeout setting", () => {
  it("defaults to Mesos' 15 s × 5 and is never shorter than the ping timeout", () => {
    expect(readConfig({}).agentUnreachableTimeoutMs).toBe(75_000);
    expect(readConfig({ STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "200" }).agentUnreachableTimeoutMs).toBe(200_000);
    expect(readConfig({ STRATA_AGENT_PING_TIMEOUT_SECONDS: "120" }).agentUnreachableTimeoutMs).toBe(120_000);
    expect(readConfig({ STRATA_AGENT_PING_TIMEOUT_SECONDS: "120", STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "30" }).agentUnreachableTimeoutMs).toBe(120_000);
    expect(() => readConfig({ STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "soon" })).toThrow(/STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS/);
  });
});

describe("an agent not heard from in time", () => {
  it("is marked unreachable (persisted, with the time): TASK_UNREACHABLE for partition-aware frameworks, TASK_LOST for others", () => {
    const { h, agent, pa, plain } = cluster();
    const quietFrom = h.now;
    const next = h.advance(UNREACHABLE_S * 1000 - 1);
    expect(next).toBe(quietFrom + UNREACHABLE_S * 1000); // the deadline goes through nextDeadline
    expect(lastStatusOf(h, pa, "pa-1")!.state).toBe("TASK_RUNNING");
    h.advance(1);

    const paStatus = lastStatusOf(h, pa, "pa-1")!;
    expect(paStatus).toMatchObject({ state: "TASK_UNREACHABLE", reason: "REASON_AGENT_REMOVED", source: "SOURCE_MASTER", agent_id: { value: agent } });
    expect(paStatus.uuid).toBeTruthy(); // to be acknowledged: delivered reliably
    expect(lastStatusOf(h, plain, "plain-1")).toMatchObject({ state: "TASK_LOST", reason: "REASON_AGENT_REMOVED", source: "SOURCE_MASTER" });
    expect(h.store.load().agents.find((a) => a.id === agent)!.unreachableAt).toBe(h.now);
    expect(h.core.tasks.get(`${plain}/plain-1`)!.state).toBe("TASK_UNREACHABLE"); // it may still run
    expect(h.core.agentConnected(agent)).toBe(false);
    // Kept until acknowledged: a framework that re-subscribes gets it again.
    const stored = h.store
      .load()
      .updates.map((u) => u.status.state)
      .sort();
    expect(stored).toEqual(["TASK_LOST", "TASK_UNREACHABLE"]);
    h.outbox.open.delete(pa);
    h.restart();
    const again = subscribeWith(h, "aware", PARTITION_AWARE, { frameworkId: pa });
    expect(again.events.filter((e) => e.type === "UPDATE").map((e) => e.type === "UPDATE" && e.update.status.state)).toEqual(["TASK_UNREACHABLE"]);
    h.acknowledge(pa, paStatus);
    expect(h.store.load().updates.map((u) => u.status.state)).toEqual(["TASK_LOST"]);
  });

  it("is not marked while it holds a poll, nor before the timeout after its last poll", () => {
    const { h, agent, pa } = cluster();
    h.core.pollHeld(agent, 1, h.now);
    h.advance(UNREACHABLE_S * 2000);
    expect(lastStatusOf(h, pa, "pa-1")!.state).toBe("TASK_RUNNING");
    h.core.pollHeld(agent, -1, h.now);
    h.advance(UNREACHABLE_S * 1000 - 10);
    h.fakeAgentPoll(agent);
    h.advance(UNREACHABLE_S * 1000 - 10);
    expect(lastStatusOf(h, pa, "pa-1")!.state).toBe("TASK_RUNNING");
    h.advance(10);
    expect(lastStatusOf(h, pa, "pa-1")!.state).toBe("TASK_UNREACHABLE");
  });

  it("after a master restart, counts from the start; an unreachable agent stays unreachable", () => {
    const { h, agent, pa } = cluster();
    h.advance(UNREACHABLE_S * 1000 - 5);
    h.restart();
    h.advance(10);
    expect(h.core.tasks.get(`${pa}/pa-1`)!.state).toBe("TASK_RUNNING"); // counted from the restart
    h.advance(UNREACHABLE_S * 1000);
    expect(h.core.tasks.get(`${pa}/pa-1`)!.state).toBe("TASK_UNREACHABLE");
    h.restart();
    expect(h.fakeAgentPoll(agent)).toMatchObject({ reregister: true, commands: [] });
  });

  it("gets no offers, and its status updates wait for its re-registration", () => {
    const { h, agent, pa } = cluster();
    h.advance(UNREACHABLE_S * 1000);
    h.advance(INTERVAL * 3);
    expect(h.offersFor(pa)).toEqual([]);
    const { response } = h.agentReport(agent, pa, "pa-1", "TASK_FINISHED");
    expect(response.acknowledged).toEqual([]);
    expect(lastStatusOf(h, pa, "pa-1")!.state).toBe("TASK_UNREACHABLE");
  });
});

describe("an unreachable agent that comes back", () => {
  it("is told to register again; the tasks it reports go back to their state and frameworks are told", () => {
    const { h, agent, pa, plain } = cluster();
    h.advance(UNREACHABLE_S * 1000);
    expect(h.fakeAgentPoll(agent)).toMatchObject({ reregister: true, commands: [], acks: [] });

    h.register({
      agent_id: { value: agent },
      hostname: "host-1.test",
      resources: h.core.agents.get(agent)!.resources,
      tasks: [
        { framework_id: { value: pa }, task_id: { value: "pa-1" }, state: "TASK_RUNNING" },
        { framework_id: { value: plain }, task_id: { value: "plain-1" }, state: "TASK_RUNNING" },
      ],
    });
    for (const [fid, id] of [
      [pa, "pa-1"],
      [plain, "plain-1"],
    ] as const) {
      expect(lastStatusOf(h, fid, id)).toMatchObject({ state: "TASK_RUNNING", reason: "REASON_AGENT_REREGISTERED", source: "SOURCE_MASTER" });
      expect(h.core.tasks.get(`${fid}/${id}`)!.state).toBe("TASK_RUNNING");
    }
    expect(h.store.load().agents.find((a) => a.id === agent)!.unreachableAt).toBeUndefined();
    // Non-partition-aware tasks keep running too (Mesos ≥ 1.5): no kill is queued.
    h.fakeAgentPoll(agent);
    expect(h.received(agent).filter((c) => c.type !== "LAUNCH")).toEqual([]);
    h.advance(INTERVAL);
    expect(h.offersFor(pa).map((o) => o.agent_id.value)).toEqual([agent]);
    // And it is watched again.
    h.advance(UNREACHABLE_S * 1000);
    expect(lastStatusOf(h, pa, "pa-1")!.state).toBe("TASK_UNREACHABLE");
  });

  it("tasks it no longer has are TASK_GONE for partition-aware frameworks, TASK_LOST for others", () => {
    const { h, agent, pa, plain } = cluster();
    h.advance(UNREACHABLE_S * 1000);
    h.register({ agent_id: { value: agent }, hostname: "host-1.test", resources: h.core.agents.get(agent)!.resources, tasks: [] });
    expect(lastStatusOf(h, pa, "pa-1")!.state).toBe("TASK_GONE");
    expect(lastStatusOf(h, plain, "plain-1")!.state).toBe("TASK_LOST");
    expect(h.core.tasks.get(`${pa}/pa-1`)!.state).toBe("TASK_GONE");
  });
});

describe("MARK_AGENT_GONE", () => {
  const gone = (agent: string) => ({ type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: agent } } });

  it("ends its tasks (TASK_GONE_BY_OPERATOR / TASK_LOST), rescinds its offers, and never lets it back", () => {
    const { h, agent, pa, plain } = cluster();
    h.advance(INTERVAL);
    expect(h.offersFor(pa).length + h.offersFor(plain).length).toBeGreaterThan(0);
    expect(op(h, gone(agent))).toBeUndefined();
    expect(lastStatusOf(h, pa, "pa-1")).toMatchObject({ state: "TASK_GONE_BY_OPERATOR", reason: "REASON_AGENT_REMOVED_BY_OPERATOR", source: "SOURCE_MASTER" });
    expect(lastStatusOf(h, plain, "plain-1")).toMatchObject({ state: "TASK_LOST", reason: "REASON_AGENT_REMOVED_BY_OPERATOR" });
    expect(h.offersFor(pa)).toEqual([]);
    expect(h.offersFor(plain)).toEqual([]);
    expect(h.eventsOf(pa, "RESCIND").length + h.eventsOf(plain, "RESCIND").length).toBeGreaterThan(0);
    expect(h.store.load().agents.find((a) => a.id === agent)!.goneAt).toBe(h.now);

    // If it polls again it is first told to shut its tasks down, then refused.
    const shutdowns = h.pollCommands(agent);
    expect(shutdowns.map((c) => c.type === "SHUTDOWN_FRAMEWORK" && c.framework_id.value).sort()).toEqual([pa, plain].sort());
    const refused = httpError(() => h.fakeAgentPoll(agent));
    expect(refused.status).toBe(410); // Gone: final, unlike a DOWN machine's 403
    expect(refused.message).toMatch(/marked gone by an operator/);
    const reg = httpError(() => h.register({ agent_id: { value: agent }, hostname: "host-1.test", resources: h.core.agents.get(agent)!.resources }));
    expect(reg.status).toBe(410);
    // Its late updates are taken (it may stop retrying) but not forwarded.
    const before = h.updates(pa).length;
    expect(h.agentReport(agent, pa, "pa-1", "TASK_KILLED").response.acknowledged).toHaveLength(1);
    expect(h.updates(pa)).toHaveLength(before);
    h.advance(INTERVAL * 5);
    expect(h.offersFor(pa)).toEqual([]);
    expect(h.core.agentConnected(agent)).toBe(false);
    // Still gone after a restart.
    h.restart();
    expect(httpError(() => h.fakeAgentPoll(agent)).status).toBe(410);
  });

  it("works on an unreachable agent too, and is idempotent", () => {
    const { h, agent, pa } = cluster();
    h.advance(UNREACHABLE_S * 1000);
    op(h, gone(agent));
    expect(lastStatusOf(h, pa, "pa-1")!.state).toBe("TASK_GONE_BY_OPERATOR");
    const count = h.updates(pa).length;
    op(h, gone(agent));
    expect(h.updates(pa)).toHaveLength(count);
  });

  it("answers 404 for an unknown agent, a validation error (400) for a malformed call, 403 without the mark_agents_gone ACL", () => {
    const h = new MasterHarness({
      STRATA_ACLS: JSON.stringify({
        mark_agents_gone: [
          { principals: { values: ["ops"] }, agents: { type: "ANY" } },
          { principals: { type: "ANY" }, agents: { type: "NONE" } },
        ],
      }),
    });
    const agent = h.addAgent();
    expect(httpError(() => op(h, gone("nope"), "ops")).status).toBe(404);
    // Validation errors become 400s in the Worker's one error mapper.
    expect(() => op(h, { type: "MARK_AGENT_GONE", mark_agent_gone: {} }, "ops")).toThrow(ValidationError);
    expect(() => op(h, { type: "MARK_AGENT_GONE", mark_agent_gone: {} }, "ops")).toThrow(/mark_agent_gone\.agent_id/);
    const denied = httpError(() => op(h, gone(agent), "intern"));
    expect(denied.status).toBe(403);
    expect(denied.message).toMatch(/mark agents gone/);
    expect(h.core.agents.get(agent)!.goneAt).toBeUndefined();
    op(h, gone(agent), "ops");
    expect(h.core.agents.get(agent)!.goneAt).toBe(h.now);
  });
});
