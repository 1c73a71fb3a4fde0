/**
 * Reconciliation per Mesos' reconciliation.md (reconcile.ts): a table of explicit requests ×
 * (partition-aware, not) → the state answered, and implicit reconciliation.
 */
import { describe, expect, it } from "vitest";
import { operatorCall } from "../../../master-worker/src/operator/index.ts";
import type { TaskState, TaskStatus } from "../../../schemas/index.ts";
import { parseOperatorCall } from "../../../schemas/operator.ts";
import { launchRunning, PARTITION_AWARE, subscribeWith } from "../../support/lifecycle.ts";
import { MasterHarness, TEST_OPERATOR } from "../../support/master-harness.ts";
import { orThrow } from "../../support/refused.ts";

/**
 * Agents `live`, `unreachable` and `gone`; frameworks `pa` (partition-aware) and `plain`, each
 * with a running task on `live` (p-run, q-run) and one on `unreachable` (p-unr, q-unr); `pa` also
 * has a finished task (p-done).
 */
function cluster() {
  const h = new MasterHarness({ STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "100" });
  const live = h.addAgent("cpus:8;mem:8192");
  const unreachable = h.addAgent("cpus:8;mem:8192");
  const gone = h.addAgent("cpus:8;mem:8192");
  const { frameworkId: pa } = subscribeWith(h, "aware", PARTITION_AWARE);
  const { frameworkId: plain } = subscribeWith(h, "plain");
  launchRunning(h, pa, live, "p-run");
  launchRunning(h, pa, unreachable, "p-unr");
  launchRunning(h, plain, live, "q-run");
  launchRunning(h, plain, unreachable, "q-unr");
  launchRunning(h, pa, live, "p-done");
  h.agentReport(live, pa, "p-done", "TASK_FINISHED");
  for (let i = 0; i < 11; i++) {
    h.advance(10_000);
    h.fakeAgentPoll(live);
    h.fakeAgentPoll(gone);
  }
  expect(h.core.agents.get(unreachable)!.unreachableAt).toBeDefined();
  orThrow(
    operatorCall(h.core, parseOperatorCall({ type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: gone } } }), {
      now: h.now,
      principal: TEST_OPERATOR,
    }),
  );
  return { h, live, unreachable, gone, pa, plain };
}

function reconcile(h: MasterHarness, fid: string, tasks: Array<{ taskId: string; agentId?: string }>): TaskStatus[] {
  h.newEvents(fid);
  h.call(fid, {
    type: "RECONCILE",
    reconcile: { tasks: tasks.map((t) => ({ task_id: { value: t.taskId }, ...(t.agentId ? { agent_id: { value: t.agentId } } : {}) })) },
  });
  return h.newEvents(fid).flatMap((e) => (e.type === "UPDATE" ? [e.update.status] : []));
}

type Row = [
  what: string,
  task: (c: ReturnType<typeof cluster>, fw: "pa" | "plain") => { taskId: string; agentId?: string },
  aware: TaskState,
  plain: TaskState,
];

const own = (fw: "pa" | "plain", p: string, q: string) => (fw === "pa" ? p : q);

const TABLE: Row[] = [
  ["a known running task", (c, fw) => ({ taskId: own(fw, "p-run", "q-run"), agentId: c.live }), "TASK_RUNNING", "TASK_RUNNING"],
  ["a known task, no agent given", (_c, fw) => ({ taskId: own(fw, "p-run", "q-run") }), "TASK_RUNNING", "TASK_RUNNING"],
  ["a known task of an unreachable agent", (c, fw) => ({ taskId: own(fw, "p-unr", "q-unr"), agentId: c.unreachable }), "TASK_UNREACHABLE", "TASK_LOST"],
  ["an unknown task on a registered agent", (c) => ({ taskId: "ghost", agentId: c.live }), "TASK_GONE", "TASK_LOST"],
  ["an unknown task on an unreachable agent", (c) => ({ taskId: "ghost", agentId: c.unreachable }), "TASK_UNREACHABLE", "TASK_LOST"],
  ["an unknown task on a gone agent", (c) => ({ taskId: "ghost", agentId: c.gone }), "TASK_GONE_BY_OPERATOR", "TASK_LOST"],
  ["an unknown task on an unknown agent", () => ({ taskId: "ghost", agentId: "no-such-agent" }), "TASK_UNKNOWN", "TASK_LOST"],
  ["an unknown task, no agent given", () => ({ taskId: "ghost" }), "TASK_UNKNOWN", "TASK_LOST"],
  ["another framework's task id", (c, fw) => ({ taskId: own(fw, "q-run", "p-run"), agentId: c.live }), "TASK_GONE", "TASK_LOST"],
];

describe("explicit reconciliation", () => {
  for (const [what, task, aware, notAware] of TABLE) {
    for (const fw of ["pa", "plain"] as const) {
      const expected = fw === "pa" ? aware : notAware;
      it(`${what}: ${expected} for a ${fw === "pa" ? "partition-aware" : "non-partition-aware"} framework`, () => {
        const c = cluster();
        const asked = task(c, fw);
        const answers = reconcile(c.h, c[fw], [asked]);
        expect(answers).toHaveLength(1);
        const s = answers[0]!;
        expect(s).toMatchObject({ task_id: { value: asked.taskId }, state: expected, reason: "REASON_RECONCILIATION", source: "SOURCE_MASTER" });
        expect(s.uuid).toBeUndefined(); // nothing to acknowledge
        if (asked.agentId) expect(s.agent_id).toEqual({ value: asked.agentId });
      });
    }
  }

  it("answers each of several tasks, in order", () => {
    const c = cluster();
    const answers = reconcile(c.h, c.pa, [{ taskId: "p-run" }, { taskId: "ghost", agentId: c.gone }, { taskId: "p-done" }]);
    expect(answers.map((s) => [s.task_id.value, s.state])).toEqual([
      ["p-run", "TASK_RUNNING"],
      ["ghost", "TASK_GONE_BY_OPERATOR"],
      ["p-done", "TASK_FINISHED"],
    ]);
  });
});

describe("implicit reconciliation", () => {
  it("answers the latest state of every non-terminal task of the framework only", () => {
    const c = cluster();
    const pa = reconcile(c.h, c.pa, [])
      .map((s) => [s.task_id.value, s.state, s.reason])
      .sort();
    expect(pa).toEqual([
      ["p-run", "TASK_RUNNING", "REASON_RECONCILIATION"],
      ["p-unr", "TASK_UNREACHABLE", "REASON_RECONCILIATION"],
    ]);
    const plain = reconcile(c.h, c.plain, [])
      .map((s) => [s.task_id.value, s.state])
      .sort();
    expect(plain).toEqual([
      ["q-run", "TASK_RUNNING"],
      ["q-unr", "TASK_LOST"],
    ]);
  });
});
