/**
 * TaskStatus `unreachable_time` (Mesos' TimeInfo, set by the master on statuses of tasks whose
 * agent is unreachable): on the TASK_UNREACHABLE / TASK_LOST updates, on reconciliation answers
 * while the agent stays away, and nowhere once it is back or gone.
 */
import { describe, expect, it } from "vitest";
import { operatorCall } from "../../../master-worker/src/operator/index.ts";
import type { TaskStatus } from "../../../schemas/index.ts";
import { parseOperatorCall } from "../../../schemas/operator.ts";
import { partitionCluster as cluster, lastStatusOf, PARTITION_AWARE, subscribeWith, UNREACHABLE_S } from "../../support/lifecycle.ts";
import { type MasterHarness, TEST_OPERATOR } from "../../support/master-harness.ts";
import { orThrow } from "../../support/refused.ts";

/** RECONCILE of `tasks` (all when empty); returns the answers. */
function reconcile(h: MasterHarness, fid: string, tasks: Array<{ taskId: string; agentId?: string }>): TaskStatus[] {
  const before = h.updates(fid).length;
  h.call(fid, {
    type: "RECONCILE",
    reconcile: { tasks: tasks.map((t) => ({ task_id: { value: t.taskId }, ...(t.agentId ? { agent_id: { value: t.agentId } } : {}) })) },
  });
  return h.updates(fid).slice(before);
}

describe("unreachable_time", () => {
  it("is the time the agent was marked unreachable, on the updates of both framework kinds and on reconciliation while it is away", () => {
    const { h, agent, pa, plain } = cluster();
    expect(lastStatusOf(h, pa, "pa-1")!.unreachable_time).toBeUndefined();
    h.advance(UNREACHABLE_S * 1000);
    const markedAt = h.store.load().agents.find((a) => a.id === agent)!.unreachableAt!;
    expect(markedAt).toBe(h.now);
    const expected = { nanoseconds: markedAt * 1e6 };
    expect(lastStatusOf(h, pa, "pa-1")).toMatchObject({ state: "TASK_UNREACHABLE", unreachable_time: expected });
    expect(lastStatusOf(h, plain, "plain-1")).toMatchObject({ state: "TASK_LOST", unreachable_time: expected });

    h.advance(60_000); // later answers still carry the time it was marked, not the time asked
    const [known] = reconcile(h, pa, [{ taskId: "pa-1" }]);
    expect(known).toMatchObject({ state: "TASK_UNREACHABLE", reason: "REASON_RECONCILIATION", unreachable_time: expected });
    const [unknown] = reconcile(h, pa, [{ taskId: "never-launched", agentId: agent }]);
    expect(unknown).toMatchObject({ state: "TASK_UNREACHABLE", unreachable_time: expected });
    const implicit = reconcile(h, plain, []);
    expect(implicit).toEqual([expect.objectContaining({ state: "TASK_LOST", unreachable_time: expected })]);
    // It survives a master restart (kept on the agent record).
    h.outbox.open.delete(pa);
    h.restart();
    subscribeWith(h, "aware", PARTITION_AWARE, { frameworkId: pa });
    expect(reconcile(h, pa, [{ taskId: "pa-1" }])[0]!.unreachable_time).toEqual(expected);
  });

  it("is absent once the agent is back, and on statuses of reachable or gone agents", () => {
    const { h, agent, pa, plain } = cluster();
    expect(reconcile(h, pa, [{ taskId: "pa-1" }])[0]!.unreachable_time).toBeUndefined();
    h.advance(UNREACHABLE_S * 1000);
    h.register({
      agent_id: { value: agent },
      hostname: "host-1.test",
      resources: h.core.agents.get(agent)!.resources,
      tasks: [
        { framework_id: { value: pa }, task_id: { value: "pa-1" }, state: "TASK_RUNNING" },
        { framework_id: { value: plain }, task_id: { value: "plain-1" }, state: "TASK_RUNNING" },
      ],
    });
    expect(lastStatusOf(h, pa, "pa-1")).toMatchObject({ state: "TASK_RUNNING", reason: "REASON_AGENT_REREGISTERED" });
    expect(lastStatusOf(h, pa, "pa-1")!.unreachable_time).toBeUndefined();
    expect(reconcile(h, pa, [{ taskId: "pa-1" }])[0]!.unreachable_time).toBeUndefined();
    expect(reconcile(h, pa, [{ taskId: "never-launched", agentId: agent }])[0]).not.toHaveProperty("unreachable_time");

    // Unreachable again, then marked gone: the gone statuses carry none.
    h.advance(UNREACHABLE_S * 1000);
    expect(lastStatusOf(h, pa, "pa-1")!.unreachable_time).toEqual({ nanoseconds: h.now * 1e6 });
    orThrow(
      operatorCall(h.core, parseOperatorCall({ type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: agent } } }), {
        now: h.now,
        principal: TEST_OPERATOR,
      }),
    );
    expect(lastStatusOf(h, pa, "pa-1")).toMatchObject({ state: "TASK_GONE_BY_OPERATOR" });
    expect(lastStatusOf(h, pa, "pa-1")!.unreachable_time).toBeUndefined();
    expect(reconcile(h, pa, [{ taskId: "never-launched", agentId: agent }])[0]).toMatchObject({ state: "TASK_GONE_BY_OPERATOR" });
    expect(reconcile(h, pa, [{ taskId: "never-launched", agentId: agent }])[0]!.unreachable_time).toBeUndefined();
  });
});
