/**
 * Guards against lost work and double allocation found in review: agents count as alive only
 * once they poll, ids the master never issued are refused, duplicate offer ids, task id reuse
 * before the agent has forgotten the old task, reports about other agents' tasks, orphan tasks
 * at registration, offers of a re-registering agent, rejected ACCEPTs and framework ownership.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HttpError } from "../../../master-worker/src/edge/http-error.ts";
import { parseResources } from "../../../sdk/src/resources.ts";
import { MasterHarness } from "../../support/master-harness.ts";
import { caughtOrRefused } from "../../support/refused.ts";

const INTERVAL = 1000;

/** The status `fn` is refused with (thrown, or a refusal returned, as the edge answers it); undefined when not refused. */
function statusOf(fn: () => unknown): number | undefined {
  const caught = caughtOrRefused(fn);
  return caught === undefined ? undefined : caught instanceof HttpError ? caught.status : -1;
}

function withOffer() {
  const h = new MasterHarness();
  const agent = h.addAgent("cpus:4;mem:4096");
  const { frameworkId: fid } = h.subscribe("fw");
  h.advance(INTERVAL);
  const [offer] = h.offersFor(fid);
  return { h, agent, fid, offer: offer! };
}

describe("agent registration", () => {
  it("a registered agent is not offered until its first poll", () => {
    const h = new MasterHarness();
    const { frameworkId: fid } = h.subscribe("fw");
    const res = h.register({ hostname: "ghost.test", resources: parseResources("cpus:2;mem:512") });
    h.advance(INTERVAL);
    expect(h.offersFor(fid)).toEqual([]);
    h.fakeAgentPoll(res.agent_id.value);
    h.advance(INTERVAL);
    expect(h.offersFor(fid).map((o) => o.agent_id.value)).toEqual([res.agent_id.value]);
  });

  it("refuses (404) an agent id this master never issued", () => {
    const h = new MasterHarness();
    expect(statusOf(() => h.register({ agent_id: { value: "made-up" }, hostname: "x", resources: parseResources("cpus:1") }))).toBe(404);
  });

  it("kills tasks an agent reports that the master did not place on it", () => {
    const h = new MasterHarness();
    const res = h.register({
      hostname: "back.test",
      resources: parseResources("cpus:2;mem:512"),
      tasks: [{ framework_id: { value: "gone-fw" }, task_id: { value: "orphan" }, state: "TASK_RUNNING" }],
    });
    const commands = h.pollCommands(res.agent_id.value);
    expect(commands.map((c) => [c.type, "task_id" in c ? c.task_id.value : ""])).toEqual([["KILL", "orphan"]]);
  });

  it("rescinds a re-registering agent's outstanding offers", () => {
    const { h, agent, fid, offer } = withOffer();
    h.register({ agent_id: { value: agent }, hostname: "host-1.test", resources: parseResources("cpus:1;mem:1024") });
    expect(h.eventsOf(fid, "RESCIND").map((e) => e.rescind.offer_id.value)).toEqual([offer.id.value]);
    expect(h.core.offers.size).toBe(0);
  });
});

describe("ACCEPT", () => {
  it("an offer id named twice is invalid: nothing launches, the task is TASK_LOST", () => {
    const { h, agent, fid, offer } = withOffer();
    h.accept(fid, [offer.id.value, offer.id.value], [{ taskId: "big", agentId: agent, resources: "cpus:4;mem:4096" }]);
    const [status] = h.updates(fid);
    expect(status).toMatchObject({ state: "TASK_LOST", reason: "REASON_INVALID_OFFERS" });
    expect(status!.message).toMatch(/more than once/);
    expect(h.pollCommands(agent)).toEqual([]);
  });

  it("a task id whose finished task still has unacknowledged updates cannot be reused yet", () => {
    const { h, agent, fid, offer } = withOffer();
    h.accept(fid, [offer.id.value], [{ taskId: "t", agentId: agent }], { refuse_seconds: 0 });
    h.pollCommands(agent);
    h.agentReport(agent, fid, "t", "TASK_FINISHED");
    h.advance(INTERVAL);
    const [again] = h.offersFor(fid);
    h.accept(fid, [again!.id.value], [{ taskId: "t", agentId: agent }], { refuse_seconds: 0 });
    const error = h.updates(fid).find((s) => s.state === "TASK_ERROR");
    expect(error?.message).toMatch(/task_id 't' belongs to a finished task whose status updates are not all acknowledged/);

    // Once acknowledged and the agent has confirmed, the id is free again.
    h.acknowledge(fid, h.updates(fid).find((s) => s.state === "TASK_FINISHED")!);
    h.acknowledge(fid, error!);
    h.fakeAgentPoll(agent); // receives the ack
    h.fakeAgentPoll(agent); // confirms it
    h.advance(INTERVAL);
    const [third] = h.offersFor(fid);
    h.accept(fid, [third!.id.value], [{ taskId: "t", agentId: agent }]);
    expect(h.pollCommands(agent).map((c) => c.type)).toEqual(["LAUNCH"]);
  });

  it("KILL of a task that already ended answers its terminal state", () => {
    const { h, agent, fid, offer } = withOffer();
    h.accept(fid, [offer.id.value], [{ taskId: "t", agentId: agent }]);
    h.pollCommands(agent);
    h.agentReport(agent, fid, "t", "TASK_FAILED");
    h.call(fid, { type: "KILL", kill: { task_id: { value: "t" } } });
    const last = h.updates(fid).at(-1)!;
    expect(last).toMatchObject({ state: "TASK_FAILED", reason: "REASON_RECONCILIATION" });
    expect(last.uuid).toBeUndefined();
    expect(h.pollCommands(agent)).toEqual([]);
  });
});

describe("status updates", () => {
  it("an agent's report about a task on another agent is acknowledged and ignored", () => {
    const { h, agent, fid, offer } = withOffer();
    const other = h.addAgent("cpus:1;mem:128");
    h.accept(fid, [offer.id.value], [{ taskId: "t", agentId: agent }]);
    const { response } = h.agentReport(other, fid, "t", "TASK_FINISHED");
    expect(response.acknowledged).toHaveLength(1);
    expect(h.core.tasks.get(`${fid}/t`)!.state).toBe("TASK_STAGING");
    expect(h.updates(fid).filter((s) => s.state === "TASK_FINISHED")).toEqual([]);
  });
});

describe("framework ownership", () => {
  it("with framework authentication off, an anonymous client cannot take over an owned framework", () => {
    const h = new MasterHarness({ STRATA_AUTHENTICATE_FRAMEWORKS: "false" });
    const { frameworkId } = h.subscribe("alice-fw", "alice");
    expect(statusOf(() => h.subscribe("alice-fw", undefined, { frameworkId }))).toBe(403);
  });

  it("a self-declared principal does not make an anonymous framework owned", () => {
    const h = new MasterHarness({ STRATA_AUTHENTICATE_FRAMEWORKS: "false" });
    const { frameworkId } = h.subscribe("anon", undefined);
    expect(h.core.frameworks.get(frameworkId)!.principal).toBeUndefined();
  });
});

describe("agent tokens", () => {
  const hash = (s: string) => createHash("sha256").update(s).digest("hex");

  it("polls and status updates for an agent id need that agent's token", () => {
    const { h, agent, fid } = withOffer();
    const poll = { agent_id: { value: agent }, ack_seq: 0, acked_uuids: [] };
    expect(statusOf(() => h.core.poll(poll, h.now, undefined))).toBe(401);
    expect(statusOf(() => h.core.poll(poll, h.now, hash("guessed")))).toBe(401);
    expect(statusOf(() => h.core.poll(poll, h.now, h.tokenHashOf(agent)))).toBeUndefined();
    const report = {
      agent_id: { value: agent },
      updates: [{ framework_id: { value: fid }, status: { task_id: { value: "t" }, state: "TASK_RUNNING" as const, uuid: "u1" } }],
    };
    expect(statusOf(() => h.core.status(report, h.now, hash("guessed")))).toBe(401);
    expect(h.core.updates.size).toBe(0);
  });

  it("re-registering under an id needs its token, and issues a new one", () => {
    const { h, agent } = withOffer();
    const before = h.tokenHashOf(agent);
    const again = { agent_id: { value: agent }, hostname: "host-1.test", resources: parseResources("cpus:4;mem:4096") };
    expect(statusOf(() => h.register({ ...again, agent_token: "not-it" }))).toBe(401);
    const res = h.register(again); // the fake agent presents its token
    expect(res.agent_id.value).toBe(agent);
    expect(h.tokenHashOf(agent)).not.toBe(before);
    const poll = { agent_id: { value: agent }, ack_seq: 0, acked_uuids: [] };
    expect(statusOf(() => h.core.poll(poll, h.now, before))).toBe(401); // the old token is spent
  });
});
