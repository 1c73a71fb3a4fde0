/**
 * Per-task resource statistics for operators (operator/containers-calls.ts): GET_CONTAINERS
 * through the operator API and the classic `/monitor/statistics`, from the agents' usage reports,
 * filtered by the view ACLs; a finished task's statistics disappear at once.
 */
import { describe, expect, it } from "vitest";
import { serveRead } from "../../../master-worker/src/edge/read-routes.ts";
import { parseOperatorCall } from "../../../schemas/operator.ts";
import { type MasterHarness, TEST_OPERATOR } from "../../support/master-harness.ts";
import { busyCluster, op, readJson } from "../../support/operator-fixture.ts";

const MiB = 1024 * 1024;

/** The fake agent's poll with a usage report carrying the full statistics. */
function report(h: MasterHarness, agentId: string, tasks: Array<{ fid: string; taskId: string; user: number; system: number; rssMb: number }>) {
  h.fakeAgentPoll(agentId, {
    usage: {
      tasks: tasks.map((t) => ({
        framework_id: { value: t.fid },
        task_id: { value: t.taskId },
        cpus: 0.2,
        mem_mb: t.rssMb,
        cpus_user_time_secs: t.user,
        cpus_system_time_secs: t.system,
        mem_rss_bytes: t.rssMb * MiB,
      })),
    },
  });
}

const monitor = async (h: MasterHarness, principal: string = TEST_OPERATOR) =>
  readJson(serveRead(h.core, "/monitor/statistics", new URLSearchParams(), principal, h.now)!);

describe("GET_CONTAINERS and /monitor/statistics", () => {
  it("shows each running task's reported usage with its limits, in Mesos' shapes", async () => {
    const { h, alpha, beta, agentOfA, agentOfB } = busyCluster();
    expect(op(h, { type: "GET_CONTAINERS" }).get_containers.containers).toEqual([]);
    const reportedAt = h.now;
    report(h, agentOfA, [{ fid: alpha, taskId: "ta", user: 12.5, system: 1.5, rssMb: 100 }]);
    report(h, agentOfB, [{ fid: beta, taskId: "tb", user: 3, system: 0.25, rssMb: 20 }]);

    const answer = op(h, parseOperatorCall({ type: "GET_CONTAINERS", get_containers: { show_nested: false } }));
    expect(answer.type).toBe("GET_CONTAINERS");
    const byTask = Object.fromEntries(answer.get_containers.containers.map((c: { executor_id: { value: string } }) => [c.executor_id.value, c]));
    expect(byTask.ta).toEqual({
      framework_id: { value: alpha },
      executor_id: { value: "ta" },
      executor_name: "ta",
      container_id: { value: "ta" },
      agent_id: { value: agentOfA },
      container_status: { container_id: { value: "ta" } },
      resource_statistics: {
        timestamp: reportedAt / 1000,
        cpus_user_time_secs: 12.5,
        cpus_system_time_secs: 1.5,
        cpus_limit: 1,
        mem_rss_bytes: 100 * MiB,
        mem_limit_bytes: 128 * MiB,
      },
    });
    expect(byTask.tb.resource_statistics).toMatchObject({ cpus_limit: 0.5, mem_limit_bytes: 64 * MiB, mem_rss_bytes: 20 * MiB });

    const classic = await monitor(h);
    expect(classic).toHaveLength(2);
    expect(classic.find((e: { executor_id: string }) => e.executor_id === "ta")).toEqual({
      framework_id: alpha,
      executor_id: "ta",
      executor_name: "ta",
      source: "ta",
      statistics: byTask.ta.resource_statistics,
    });
  });

  it("a finished task's statistics disappear; a new report replaces the agent's last one", async () => {
    const { h, alpha, agentOfA } = busyCluster();
    report(h, agentOfA, [{ fid: alpha, taskId: "ta", user: 1, system: 1, rssMb: 10 }]);
    expect(op(h, { type: "GET_CONTAINERS" }).get_containers.containers).toHaveLength(1);
    h.agentReport(agentOfA, alpha, "ta", "TASK_FINISHED");
    expect(op(h, { type: "GET_CONTAINERS" }).get_containers.containers).toEqual([]);
    expect(await monitor(h)).toEqual([]);

    // An old agent reports memory only: the rss comes from mem_mb, no cpu times.
    const { h: h2, alpha: a2, agentOfA: ag2 } = busyCluster();
    h2.reportUsage(ag2, [{ fid: a2, taskId: "ta", cpus: 0.5, mem: 64 }]);
    const [c] = op(h2, { type: "GET_CONTAINERS" }).get_containers.containers;
    expect(c.resource_statistics).toEqual({ timestamp: h2.now / 1000, cpus_limit: 1, mem_rss_bytes: 64 * MiB, mem_limit_bytes: 128 * MiB });
    h2.advance(5_000);
    h2.reportUsage(ag2, []); // the agent runs nothing any more
    expect(op(h2, { type: "GET_CONTAINERS" }).get_containers.containers).toEqual([]);
  });

  it("is filtered by view_frameworks and view_tasks", async () => {
    const acls = JSON.stringify({
      permissive: true,
      view_frameworks: [
        { principals: { values: ["ann"] }, users: { values: ["alice"] } },
        { principals: { values: ["ann"] }, users: { type: "NONE" } },
      ],
      view_tasks: [
        { principals: { values: ["ben"] }, users: { values: ["bob"] } },
        { principals: { values: ["ben"] }, users: { type: "NONE" } },
      ],
    });
    // ann and ben are operators whose view the ACLs narrow (a principal that is no operator sees only what rules name it for).
    const { h, alpha, beta, agentOfA, agentOfB } = busyCluster({ STRATA_ACLS: acls, STRATA_OPERATORS: "ops,ann,ben" });
    report(h, agentOfA, [{ fid: alpha, taskId: "ta", user: 1, system: 1, rssMb: 10 }]);
    report(h, agentOfB, [{ fid: beta, taskId: "tb", user: 1, system: 1, rssMb: 10 }]);
    const tasks = (p?: string) =>
      op(h, { type: "GET_CONTAINERS" }, p)
        .get_containers.containers.map((c: { executor_id: { value: string } }) => c.executor_id.value)
        .sort();
    expect(tasks("ann")).toEqual(["ta"]); // alice's framework only
    expect(tasks("ben")).toEqual(["tb"]); // bob's tasks only
    expect(tasks("ops")).toEqual(["ta", "tb"]);
    expect((await monitor(h, "ann")).map((e: { executor_id: string }) => e.executor_id)).toEqual(["ta"]);
    expect((await monitor(h, "ben")).map((e: { executor_id: string }) => e.executor_id)).toEqual(["tb"]);
  });

  it("rejects a malformed call", () => {
    expect(() => parseOperatorCall({ type: "GET_CONTAINERS", get_containers: { show_nested: "yes" } })).toThrow(/show_nested/);
  });
});
