/**
 * Bounded history (decide/retention.ts): terminal tasks beyond the per-framework bound and
 * torn-down frameworks beyond theirs are forgotten, oldest first, in memory and in the store,
 * so a master that runs tasks for ever does not grow for ever (the soak benchmark's finding).
 */
import { describe, expect, it } from "vitest";
import { RETENTION_INTERVAL_MS } from "../../../master-worker/src/core/tick.ts";
import { launchRunning } from "../../support/lifecycle.ts";
import { MasterHarness } from "../../support/master-harness.ts";

const BOUNDS = { STRATA_MAX_COMPLETED_TASKS_PER_FRAMEWORK: "3", STRATA_MAX_COMPLETED_FRAMEWORKS: "1" };

/** Launches `taskId`, finishes it, and lets every update of it be acknowledged and confirmed. */
function runToEnd(h: MasterHarness, fid: string, agent: string, taskId: string): void {
  launchRunning(h, fid, agent, taskId, { resources: "cpus:0.1;mem:8" });
  h.agentReport(agent, fid, taskId, "TASK_FINISHED");
  for (const s of h.updates(fid).filter((u) => u.task_id.value === taskId)) h.acknowledge(fid, s);
  h.fakeAgentPoll(agent); // takes the acknowledgements
  h.fakeAgentPoll(agent); // confirms them: the master forgets the updates
}

const taskIdsOf = (h: MasterHarness, fid: string) =>
  [...h.core.tasks.values()]
    .filter((t) => t.frameworkId === fid)
    .map((t) => t.taskId)
    .sort();
const storedTaskIds = (h: MasterHarness, fid: string) =>
  h.store
    .load()
    .tasks.filter((t) => t.frameworkId === fid)
    .map((t) => t.taskId)
    .sort();

describe("retention of completed tasks and frameworks", () => {
  it("keeps the newest completed tasks of a framework up to the bound, and every running one", () => {
    const h = new MasterHarness(BOUNDS);
    const agent = h.addAgent();
    const { frameworkId: fid } = h.subscribe("fw");
    for (let i = 1; i <= 6; i++) runToEnd(h, fid, agent, `done-${i}`);
    launchRunning(h, fid, agent, "running", { resources: "cpus:0.1;mem:8" });
    h.advance(RETENTION_INTERVAL_MS);
    h.advance(RETENTION_INTERVAL_MS);

    expect(taskIdsOf(h, fid)).toEqual(["done-4", "done-5", "done-6", "running"]);
    expect(storedTaskIds(h, fid)).toEqual(["done-4", "done-5", "done-6", "running"]);
    // What is kept is still served, and a restarted master loads only what is kept.
    h.restart();
    expect(taskIdsOf(h, fid)).toEqual(["done-4", "done-5", "done-6", "running"]);
  });

  it("keeps a terminal task whose updates are not acknowledged yet", () => {
    const h = new MasterHarness(BOUNDS);
    const agent = h.addAgent();
    const { frameworkId: fid } = h.subscribe("fw");
    launchRunning(h, fid, agent, "unacked", { resources: "cpus:0.1;mem:8" });
    h.agentReport(agent, fid, "unacked", "TASK_FAILED");
    for (let i = 1; i <= 4; i++) runToEnd(h, fid, agent, `done-${i}`);
    h.advance(RETENTION_INTERVAL_MS);
    h.advance(RETENTION_INTERVAL_MS);

    expect(taskIdsOf(h, fid)).toEqual(["done-2", "done-3", "done-4", "unacked"]);
  });

  it("keeps the newest torn-down frameworks up to the bound, with their tasks; the others go with theirs", () => {
    const h = new MasterHarness(BOUNDS);
    const agent = h.addAgent();
    const fids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      h.advance(1);
      const { frameworkId: fid } = h.subscribe(`fw-${i}`);
      fids.push(fid);
      runToEnd(h, fid, agent, `t-${i}`);
      h.call(fid, { type: "TEARDOWN" });
    }
    h.advance(RETENTION_INTERVAL_MS);
    h.advance(RETENTION_INTERVAL_MS);

    expect([...h.core.frameworks.keys()]).toEqual([fids[2]]);
    expect(h.store.load().frameworks.map((f) => f.id)).toEqual([fids[2]]);
    expect([...h.core.tasks.values()].map((t) => t.taskId)).toEqual(["t-3"]);
    expect(h.store.load().tasks.map((t) => t.taskId)).toEqual(["t-3"]);
  });
});
