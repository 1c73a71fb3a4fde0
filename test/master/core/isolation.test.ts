/**
 * Isolation: a framework never sees or acts on another framework's offers or tasks, and an
 * agent can only report on tasks the master gave it.
 */
import { describe, expect, it } from "vitest";
import type { HttpError } from "../../../master-worker/src/edge/http-error.ts";
import { INTERVAL, lastStatusOf, launchRunning } from "../../support/lifecycle.ts";
import { MasterHarness } from "../../support/master-harness.ts";

/** Frameworks `a` (with running task "shared-id" on `agent`) and `b`. */
function twoFrameworks() {
  const h = new MasterHarness({ STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "1000000" });
  const agent = h.addAgent("cpus:4;mem:4096");
  const other = h.addAgent("cpus:4;mem:4096");
  const { frameworkId: a } = h.subscribe("a", "alice");
  const { frameworkId: b } = h.subscribe("b", "bob");
  launchRunning(h, a, agent, "shared-id");
  h.pollCommands(agent);
  h.newEvents(a);
  h.newEvents(b);
  return { h, agent, other, a, b };
}

describe("frameworks are isolated", () => {
  it("KILL of another framework's task id does not touch it or reveal it", () => {
    const { h, agent, a, b } = twoFrameworks();
    h.call(b, { type: "KILL", kill: { task_id: { value: "shared-id" }, agent_id: { value: agent } } });
    expect(h.pollCommands(agent)).toEqual([]);
    expect(h.core.tasks.get(`${a}/shared-id`)!.state).toBe("TASK_RUNNING");
    expect(h.newEvents(b).map((e) => e.type === "UPDATE" && e.update.status.state)).toEqual(["TASK_LOST"]); // unknown to b
    expect(h.newEvents(a)).toEqual([]);
  });

  it("ACKNOWLEDGE of another framework's update uuid is ignored", () => {
    const { h, agent, a, b } = twoFrameworks();
    const running = lastStatusOf(h, a, "shared-id")!;
    h.call(b, { type: "ACKNOWLEDGE", acknowledge: { agent_id: { value: agent }, task_id: { value: "shared-id" }, uuid: running.uuid } });
    expect(h.core.updates.get(running.uuid!)!.acked).toBe(false);
    expect(h.fakeAgentPoll(agent)?.acks ?? []).toEqual([]);
    h.acknowledge(a, running);
    expect(h.core.updates.get(running.uuid!)!.acked).toBe(true);
  });

  it("RECONCILE of another framework's task id answers as for an unknown task; implicit shows only one's own", () => {
    const { h, agent, a, b } = twoFrameworks();
    h.call(b, { type: "RECONCILE", reconcile: { tasks: [{ task_id: { value: "shared-id" }, agent_id: { value: agent } }] } });
    const answers = h.newEvents(b).flatMap((e) => (e.type === "UPDATE" ? [e.update.status] : []));
    expect(answers.map((s) => [s.state, s.message])).toEqual([["TASK_LOST", "Reconciliation: task is unknown to the master"]]);
    h.call(b, { type: "RECONCILE", reconcile: { tasks: [] } });
    expect(h.newEvents(b)).toEqual([]);
    expect(h.newEvents(a)).toEqual([]);
  });

  it("another framework's offers can be neither accepted nor declined, and are never sent to it", () => {
    const { h, a, b } = twoFrameworks();
    h.advance(INTERVAL * 2);
    const offersOfA = h.offersFor(a);
    expect(offersOfA.length).toBeGreaterThan(0);
    const ids = new Set(offersOfA.map((o) => o.id.value));
    expect(h.allOffersFor(b).some((o) => ids.has(o.id.value))).toBe(false);
    const stolen = offersOfA[0]!;
    h.decline(b, [stolen.id.value]);
    expect(h.core.offers.has(stolen.id.value)).toBe(true);
    h.accept(b, [stolen.id.value], [{ taskId: "sneaky", agentId: stolen.agent_id.value }]);
    expect(h.core.offers.has(stolen.id.value)).toBe(true);
    expect(lastStatusOf(h, b, "sneaky")).toMatchObject({ state: "TASK_LOST", reason: "REASON_INVALID_OFFERS" });
    expect(h.core.tasks.has(`${b}/sneaky`)).toBe(false);
  });

  it("calls naming another principal's framework are refused (403)", () => {
    const { h, a } = twoFrameworks();
    let caught: unknown;
    try {
      h.call(a, { type: "RECONCILE", reconcile: { tasks: [] } }, { principal: "bob" });
    } catch (e) {
      caught = e;
    }
    expect((caught as HttpError).status).toBe(403);
  });
});

describe("agents report only on their own tasks", () => {
  it("an update about a task of another agent, or a task never launched, is taken but not forwarded", () => {
    const { h, other, a } = twoFrameworks();
    const before = h.updates(a).length;
    expect(h.agentReport(other, a, "shared-id", "TASK_FAILED").response.acknowledged).toHaveLength(1);
    expect(h.agentReport(other, a, "never-launched", "TASK_RUNNING").response.acknowledged).toHaveLength(1);
    expect(h.updates(a)).toHaveLength(before);
    expect(h.core.tasks.get(`${a}/shared-id`)!.state).toBe("TASK_RUNNING");
    expect(h.core.tasks.has(`${a}/never-launched`)).toBe(false);
  });

  it("a task another agent claims at registration is killed there, and the real one is untouched", () => {
    const { h, agent, other, a } = twoFrameworks();
    h.register({
      agent_id: { value: other },
      hostname: "host-2.test",
      resources: h.core.agents.get(other)!.resources,
      tasks: [{ framework_id: { value: a }, task_id: { value: "shared-id" }, state: "TASK_RUNNING" }],
    });
    expect(h.pollCommands(other)).toEqual([expect.objectContaining({ type: "KILL", task_id: { value: "shared-id" } })]);
    expect(h.core.tasks.get(`${a}/shared-id`)!).toMatchObject({ agentId: agent, state: "TASK_RUNNING" });
  });
});
