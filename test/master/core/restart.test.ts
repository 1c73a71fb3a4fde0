/**
 * "Nothing lost" across a master restart: a new `MasterCore` over the same `MemoryStore`
 * (which hands back copies, so only committed state survives) must carry on where the old one
 * stopped — queued launches, unacknowledged updates, command sequence numbers, tasks — while
 * what lived in memory only (offers, streams, agent liveness) starts afresh.
 */
import { describe, expect, it } from "vitest";
import type { AgentCommand } from "../../../schemas/index.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { MasterHarness } from "../../support/master-harness.ts";

const INTERVAL = 1000;

const launchedIds = (cs: AgentCommand[]) => cs.flatMap((c) => (c.type === "LAUNCH" ? [c.task.task_id.value] : []));

/** One agent, one framework holding its first offer. */
function cluster(resources = "cpus:4;mem:4096") {
  const h = new MasterHarness();
  const agent = h.addAgent(resources);
  const { frameworkId: fid } = h.subscribe("fw");
  h.advance(INTERVAL);
  const [offer] = h.offersFor(fid);
  expect(offer).toBeDefined();
  return { h, agent, fid, offer: offer! };
}

describe("master restart", () => {
  it("each instance has its own master_info.id, seen by agents and frameworks", () => {
    const { h, agent, fid } = cluster();
    const first = h.core.masterInfo.id;
    const subscribedBefore = h.eventsOf(fid, "SUBSCRIBED").at(-1)!;
    expect(subscribedBefore.subscribed.master_info?.id).toBe(first);

    h.restart();
    expect(h.core.masterInfo.id).not.toBe(first);
    const reg = h.register({ agent_id: { value: agent }, hostname: "host-1.test", resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 4 } }] });
    expect(reg.master_info.id).toBe(h.core.masterInfo.id);
    const again = h.subscribe("fw", undefined, { frameworkId: fid });
    const subscribed = again.events[0]!;
    expect(subscribed.type === "SUBSCRIBED" && subscribed.subscribed.master_info?.id).toBe(h.core.masterInfo.id);
  });

  it("keeps agents, frameworks and tasks; forgets offers and streams", () => {
    const { h, agent, fid, offer } = cluster();
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128" }], { refuse_seconds: 0 });
    h.advance(INTERVAL);
    expect(h.core.offers.size).toBe(1);

    h.restart();
    expect([...h.core.agents.keys()]).toEqual([agent]);
    expect(h.core.frameworks.get(fid)?.info.name).toBe("fw");
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_STAGING");
    expect(h.core.offers.size).toBe(0);
    expect(h.core.frameworkConnected(fid)).toBe(false);
    expect(h.core.agentConnected(agent)).toBe(false);
  });

  it("a launch queued for an agent that has not polled yet survives, and is delivered after", () => {
    const { h, agent, fid, offer } = cluster();
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128" }]);
    h.restart();
    const commands = h.pollCommands(agent);
    expect(launchedIds(commands)).toEqual(["t1"]);
    expect(commands[0]).toMatchObject({ seq: 1, framework_id: { value: fid } });
    // Once taken over it is gone, also for the instance after the next restart.
    expect(h.fakeAgentPoll(agent)).toBeNull();
    h.restart();
    expect(h.fakeAgentPoll(agent)).toBeNull();
    expect(h.received(agent)).toHaveLength(1);
  });

  it("a re-registering agent does not lose a task whose LAUNCH is still queued, but one it no longer has is TASK_LOST", () => {
    const { h, agent, fid, offer } = cluster();
    h.accept(
      fid,
      [offer.id.value],
      [
        { taskId: "running", agentId: agent, resources: "cpus:1;mem:128" },
        { taskId: "vanished", agentId: agent, resources: "cpus:1;mem:128" },
      ],
    );
    h.pollCommands(agent);
    h.fakeAgentPoll(agent); // both LAUNCHes taken over
    h.call(fid, { type: "REVIVE" });
    h.advance(5_000);
    const [more] = h.offersFor(fid);
    h.accept(fid, [more!.id.value], [{ taskId: "queued", agentId: agent, resources: "cpus:1;mem:128" }]);

    h.restart();
    h.register({
      agent_id: { value: agent },
      hostname: "host-1.test",
      resources: [
        { name: "cpus", type: "SCALAR", scalar: { value: 4 } },
        { name: "mem", type: "SCALAR", scalar: { value: 4096 } },
      ],
      tasks: [{ framework_id: { value: fid }, task_id: { value: "running" }, state: "TASK_RUNNING" }],
    });
    const again = h.subscribe("fw", undefined, { frameworkId: fid });
    const lost = again.events.flatMap((e) => (e.type === "UPDATE" ? [e.update.status] : []));
    expect(lost.map((s) => [s.task_id.value, s.state, s.reason])).toEqual([["vanished", "TASK_LOST", "REASON_AGENT_RESTARTED"]]);
    expect(h.core.tasks.get(`${fid}/vanished`)?.state).toBe("TASK_LOST");
    expect(h.core.tasks.get(`${fid}/running`)?.state).toBe("TASK_STAGING");
    expect(h.core.tasks.get(`${fid}/queued`)?.state).toBe("TASK_STAGING");
    expect(launchedIds(h.pollCommands(agent))).toEqual(["queued"]);
  });

  it("an agent's unacknowledged updates are the agent's to keep: after a restart its retries reach the framework, in order, and the acks reach the agent", () => {
    const { h, agent, fid, offer } = cluster();
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128" }]);
    h.pollCommands(agent);
    const starting = h.agentReport(agent, fid, "t1", "TASK_STARTING");
    const running = h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    expect(h.store.load().updates).toEqual([]);
    expect(h.store.load().tasks.find((t) => t.taskId === "t1")?.state).toBe("TASK_RUNNING"); // the transition is durable

    h.restart();
    const again = h.subscribe("fw", undefined, { frameworkId: fid });
    expect(again.frameworkId).toBe(fid);
    expect(again.events.map((e) => e.type)).toEqual(["SUBSCRIBED"]);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING");

    // The agent sends what it still holds, oldest first; the framework gets both, in order.
    const before = h.updates(fid).length;
    expect(h.agentRetry(agent).acknowledged).toEqual([]);
    const resent = h.updates(fid).slice(before);
    expect(resent.map((s) => [s.uuid, s.state])).toEqual([
      [starting.uuid, "TASK_STARTING"],
      [running.uuid, "TASK_RUNNING"],
    ]);
    expect(resent.every((s) => s.agent_id?.value === agent)).toBe(true);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING"); // an older state does not win

    for (const s of resent) h.acknowledge(fid, s);
    const answer = h.fakeAgentPoll(agent);
    expect(answer?.acks.map((a) => a.uuid).sort()).toEqual([starting.uuid, running.uuid].sort());
    expect(h.fakeAgentPoll(agent)).toBeNull(); // confirms them
    expect(h.core.updates.size).toBe(0);
  });

  it("a poll naming another master instance is answered at once with this one's id; one naming this instance is held", () => {
    const { h, agent } = cluster();
    const poll = (masterId: string) => h.core.poll({ ...h.pollRequest(agent), master_id: masterId }, h.now, h.tokenHashOf(agent));
    const before = h.core.masterInfo.id;
    expect(poll(before)).toBeNull(); // nothing to say: held
    h.restart();
    const answer = poll(before);
    expect(answer).toMatchObject({ commands: [], acks: [], master_id: h.core.masterInfo.id });
    expect(h.core.masterInfo.id).not.toBe(before);
    expect(poll(h.core.masterInfo.id)).toBeNull();
  });

  it("an update the master made itself survives a restart and is re-sent on re-SUBSCRIBE until acknowledged", () => {
    const { h, agent, fid, offer } = cluster();
    h.accept(fid, [offer.id.value], [{ taskId: "bad", agentId: agent, resources: "cpus:1000" }]);
    const [error] = h.updates(fid);
    expect(error).toMatchObject({ state: "TASK_ERROR", task_id: { value: "bad" } });
    expect(h.store.load().updates.map((u) => u.uuid)).toEqual([error!.uuid]);

    h.restart();
    const again = h.subscribe("fw", undefined, { frameworkId: fid });
    const resent = again.events.flatMap((e) => (e.type === "UPDATE" ? [e.update.status] : []));
    expect(resent.map((s) => [s.uuid, s.state])).toEqual([[error!.uuid, "TASK_ERROR"]]);
    h.acknowledge(fid, resent[0]!);
    expect(h.store.load().updates).toEqual([]);
  });

  it("an acknowledgement the agent has not yet learnt is not kept across a restart: the agent's retry reaches the framework once more", () => {
    const { h, agent, fid, offer } = cluster();
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128" }]);
    h.pollCommands(agent);
    const { uuid } = h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    h.acknowledge(fid, h.updates(fid).at(-1)!);
    expect(h.store.load().updates).toEqual([]); // acknowledged: the row is gone at once

    h.restart();
    // Not re-sent on SUBSCRIBE: the new instance keeps no acknowledged update.
    const again = h.subscribe("fw", undefined, { frameworkId: fid });
    expect(again.events.map((e) => e.type)).toEqual(["SUBSCRIBED"]);
    // The agent, never told, retries: delivered again (at-least-once), acknowledged again,
    // and then the agent learns it.
    expect(h.agentRetry(agent).acknowledged).toEqual([]);
    const redelivered = h.updates(fid).at(-1)!;
    expect(redelivered.uuid).toBe(uuid);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING");
    h.acknowledge(fid, redelivered);
    expect(h.fakeAgentPoll(agent)?.acks.map((a) => a.uuid)).toEqual([uuid]);
    expect(h.outstanding(agent)).toEqual([]);
  });

  it("command seq never goes backwards, even when every command was taken before the restart", () => {
    const { h, agent, fid, offer } = cluster();
    h.accept(
      fid,
      [offer.id.value],
      [
        { taskId: "a", agentId: agent, resources: "cpus:1;mem:128" },
        { taskId: "b", agentId: agent, resources: "cpus:1;mem:128" },
      ],
    );
    expect(h.pollCommands(agent).map((c) => c.seq)).toEqual([1, 2]);
    expect(h.fakeAgentPoll(agent)).toBeNull(); // ack_seq 2: both rows deleted
    expect(h.store.load().commands).toEqual([]);

    h.restart();
    expect(h.core.nextCommandSeq).toBe(3);
    h.subscribe("fw", undefined, { frameworkId: fid });
    h.call(fid, { type: "KILL", kill: { task_id: { value: "a" } } });
    const [kill] = h.pollCommands(agent); // the harness also checks seq > the agent's ack_seq
    expect(kill).toMatchObject({ type: "KILL", seq: 3, task_id: { value: "a" } });

    // And again, after a second restart with nothing queued.
    expect(h.fakeAgentPoll(agent)).toBeNull();
    h.restart();
    h.subscribe("fw", undefined, { frameworkId: fid });
    h.call(fid, { type: "KILL", kill: { task_id: { value: "b" } } });
    expect(h.pollCommands(agent).map((c) => c.seq)).toEqual([4]);
  });

  it("agents are not offered until they poll again, and then only what their tasks leave free", () => {
    const { h, agent, fid, offer } = cluster("cpus:4;mem:4096");
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:3;mem:1000" }]);
    h.pollCommands(agent);

    h.restart();
    h.subscribe("fw", undefined, { frameworkId: fid });
    h.advance(INTERVAL * 10);
    expect(h.allOffersFor(fid).filter((o) => o.id.value.startsWith(h.core.masterInfo.id))).toEqual([]);

    expect(h.fakeAgentPoll(agent)).toBeNull(); // it is alive
    h.advance(INTERVAL - 1);
    expect(h.offersFor(fid)).toEqual([]);
    h.advance(1);
    const [fresh, ...rest] = h.offersFor(fid);
    expect(rest).toEqual([]);
    expect(fresh!.id.value.startsWith(h.core.masterInfo.id)).toBe(true);
    expect(scalarOf(fresh!.resources, "cpus")).toBe(1);
    expect(scalarOf(fresh!.resources, "mem")).toBe(3096);
  });

  it("an offer from the previous instance is invalid: accepting it answers TASK_LOST", () => {
    const { h, agent, fid, offer } = cluster();
    h.restart();
    h.subscribe("fw", undefined, { frameworkId: fid });
    h.fakeAgentPoll(agent);
    h.accept(fid, [offer.id.value], [{ taskId: "late", agentId: agent }]);
    expect(h.updates(fid).at(-1)).toMatchObject({ task_id: { value: "late" }, state: "TASK_LOST", reason: "REASON_INVALID_OFFERS" });
    expect(h.fakeAgentPoll(agent)).toBeNull();
    expect(h.core.tasks.has(`${fid}/late`)).toBe(false);
  });

  it("a framework must re-SUBSCRIBE after a restart: calls on the old stream are refused", () => {
    const { h, fid } = cluster();
    h.restart();
    let status: number | undefined;
    try {
      h.call(fid, { type: "REVIVE" }, { streamId: "old-stream" });
    } catch (e) {
      status = (e as { status?: number }).status;
    }
    expect(status).toBe(403); // known framework, but not subscribed to this instance
  });

  it("a restart between a status update and its acknowledgement loses nothing (the transition is durable before answered)", () => {
    const { h, agent, fid, offer } = cluster();
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:4;mem:4096" }]);
    h.pollCommands(agent);
    const { uuid } = h.agentReport(agent, fid, "t1", "TASK_FINISHED");
    h.restart();
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_FINISHED");
    // Freed resources are offered once agent and framework are back.
    h.subscribe("fw", undefined, { frameworkId: fid });
    h.fakeAgentPoll(agent);
    h.advance(INTERVAL);
    expect(scalarOf(h.offersFor(fid)[0]!.resources, "cpus")).toBe(4);
    // The agent, unanswered, sends the update again: the framework gets it.
    h.agentRetry(agent);
    expect(h.updates(fid).map((s) => s.uuid)).toContain(uuid);
  });
});
