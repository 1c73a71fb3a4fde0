/**
 * The master's behaviour, driven through `MasterCore` with the deterministic harness: offers, launches, the status-update acknowledgement chain, DECLINE and its refuse filters, and invalid launches.
 */
import { describe, expect, it } from "vitest";
import type { AgentCommand } from "../../../schemas/index.ts";
import { rangesOf, scalarOf } from "../../../sdk/src/resources.ts";
import { expectHttpError, lastUpdate, launched, setup } from "../../support/core-fixture.ts";
import { INTERVAL } from "../../support/lifecycle.ts";
import { MasterHarness } from "../../support/master-harness.ts";

describe("offers", () => {
  it("offers a registered agent's resources to a subscribed framework after the allocation interval", () => {
    const h = new MasterHarness();
    const agent = h.addAgent("cpus:4;mem:4096;ports:[31000-32000]");
    const { frameworkId: fid } = h.subscribe("fw");
    h.advance(INTERVAL - 1);
    expect(h.allOffersFor(fid)).toEqual([]);
    h.advance(1);
    const [offer, ...rest] = h.offersFor(fid);
    expect(rest).toEqual([]);
    expect(offer!.agent_id.value).toBe(agent);
    expect(offer!.framework_id.value).toBe(fid);
    expect(offer!.hostname).toBe("host-1.test");
    expect(scalarOf(offer!.resources, "cpus")).toBe(4);
    expect(scalarOf(offer!.resources, "mem")).toBe(4096);
    expect(rangesOf(offer!.resources)).toEqual([[31000, 32000]]);
    expect(offer!.resources.every((r) => r.allocation_info?.role === "*")).toBe(true);
    expect(offer!.id.value).toContain(h.core.masterInfo.id);
  });

  it("does not offer the same resources twice while an offer is outstanding", () => {
    const { h, fid } = setup();
    h.advance(INTERVAL * 10);
    expect(h.allOffersFor(fid)).toHaveLength(1);
  });
});

describe("launch → updates → acknowledgement chain", () => {
  it("delivers the LAUNCH, forwards updates with their uuid, and forgets them once the agent confirms the ack", () => {
    const { h, agent, fid, offer } = setup();
    const wakesBefore = h.outbox.wakes.length;
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128;ports:[31000-31001]" }]);

    // The offer is used up, the task is staged, the agent's poll is woken.
    expect(h.core.offers.size).toBe(0);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_STAGING");
    expect(h.outbox.wakes.slice(wakesBefore)).toEqual([agent]);

    const [launch, ...more] = h.pollCommands(agent);
    expect(more).toEqual([]);
    expect(launch).toMatchObject({ type: "LAUNCH", seq: 1, framework_id: { value: fid } });
    const l = launch as Extract<AgentCommand, { type: "LAUNCH" }>;
    expect(l.task.task_id.value).toBe("t1");
    expect(l.task.command?.value).toBe("sleep 10");
    expect(rangesOf(l.task.resources)).toEqual([[31000, 31001]]);
    expect(l.framework_info).toMatchObject({ name: "fw-one", id: { value: fid } });

    // The agent reports the command taken; a poll with nothing new answers null.
    expect(h.fakeAgentPoll(agent)).toBeNull();
    expect(h.core.commands.get(agent)).toEqual([]);
    expect(h.store.load().commands).toEqual([]);

    const uuids: string[] = [];
    for (const state of ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"] as const) {
      const { uuid, response } = h.agentReport(agent, fid, "t1", state);
      expect(response.acknowledged).toEqual([]);
      uuids.push(uuid);
      const status = lastUpdate(h, fid);
      expect(status).toMatchObject({ state, uuid, task_id: { value: "t1" }, agent_id: { value: agent } });
      expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe(state);
    }
    // The agent keeps them until acknowledged: the master holds them in memory, no row.
    expect([...h.core.updates.keys()].sort()).toEqual([...uuids].sort());
    expect(h.store.load().updates).toEqual([]);
    expect(h.outstanding(agent).sort()).toEqual([...uuids].sort());

    // The framework acknowledges each; the agent is woken to learn it.
    for (const status of h.updates(fid)) {
      const wakes = h.outbox.wakes.length;
      h.acknowledge(fid, status);
      expect(h.outbox.wakes.slice(wakes)).toEqual([agent]);
      expect(h.core.updates.get(status.uuid!)?.acked).toBe(true);
    }

    // The agent's next poll brings the acks; it stops retrying them.
    const answer = h.fakeAgentPoll(agent);
    expect(answer?.commands).toEqual([]);
    expect(answer?.acks.map((a) => a.uuid).sort()).toEqual([...uuids].sort());
    expect(answer?.acks.every((a) => a.task_id.value === "t1")).toBe(true);
    expect(h.outstanding(agent)).toEqual([]);
    expect(h.core.updates.size).toBe(3); // kept until the agent confirms

    // It confirms them with acked_uuids: the master forgets them, durably.
    expect(h.pollRequest(agent).acked_uuids.sort()).toEqual([...uuids].sort());
    expect(h.fakeAgentPoll(agent)).toBeNull();
    expect(h.core.updates.size).toBe(0);
    expect(h.store.load().updates).toEqual([]);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_FINISHED");
  });

  it("offers the resources of a finished task again after the allocation interval", () => {
    const { h, agent, fid } = launched({ resources: "cpus:4;mem:4096;ports:[31000-32000]" });
    h.advance(INTERVAL * 3);
    expect(h.offersFor(fid)).toEqual([]); // everything is in use
    h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    h.advance(INTERVAL * 3);
    expect(h.offersFor(fid)).toEqual([]);
    h.agentReport(agent, fid, "t1", "TASK_FINISHED");
    h.advance(INTERVAL - 1);
    expect(h.offersFor(fid)).toEqual([]);
    h.advance(1);
    const [offer] = h.offersFor(fid);
    expect(scalarOf(offer!.resources, "cpus")).toBe(4);
    expect(scalarOf(offer!.resources, "mem")).toBe(4096);
  });

  it("offers the unused part of an accepted offer again after the allocation interval (refuse_seconds: 0)", () => {
    const { h, agent, fid, offer } = setup();
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128;ports:[31000-31000]" }], { refuse_seconds: 0 });
    h.advance(INTERVAL - 1);
    expect(h.offersFor(fid)).toEqual([]);
    h.advance(1);
    const [again, ...rest] = h.offersFor(fid);
    expect(rest).toEqual([]);
    expect(scalarOf(again!.resources, "cpus")).toBe(3);
    expect(scalarOf(again!.resources, "mem")).toBe(3968);
    expect(rangesOf(again!.resources)).toEqual([[31001, 32000]]);
  });

  it("an ACCEPT without filters refuses the unused part for the default 5 s, then offers it", () => {
    const { h, agent, fid, offer } = setup();
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128" }]);
    h.advance(4999);
    expect(h.offersFor(fid)).toEqual([]);
    h.advance(1);
    expect(scalarOf(h.offersFor(fid)[0]!.resources, "cpus")).toBe(3);
  });
});

describe("DECLINE", () => {
  it("keeps the agent from the framework for refuse_seconds, then offers it again", () => {
    const { h, agent, fid, offer } = setup();
    h.decline(fid, [offer.id.value], 10);
    expect(h.core.offers.size).toBe(0);
    h.advance(9_999);
    expect(h.offersFor(fid)).toEqual([]);
    h.advance(1);
    const [again] = h.offersFor(fid);
    expect(again!.agent_id.value).toBe(agent);
    expect(again!.id.value).not.toBe(offer.id.value);
  });

  it("the refused agent goes to another framework meanwhile, and other agents stay offered", () => {
    const { h, fid, offer } = setup();
    const { frameworkId: other } = h.subscribe("fw-two");
    h.decline(fid, [offer.id.value], 60);
    h.advance(INTERVAL);
    expect(h.offersFor(other).map((o) => o.agent_id.value)).toEqual([offer.agent_id.value]);
    expect(h.offersFor(fid)).toEqual([]);
    const second = h.addAgent("cpus:2;mem:1024");
    h.advance(INTERVAL);
    // fw-two holds the first agent: the new agent goes to fw-one (lower share, not refused there).
    expect(h.offersFor(fid).map((o) => o.agent_id.value)).toEqual([second]);
  });

  it("ignores offer ids it does not know", () => {
    const { h, fid, offer } = setup();
    h.decline(fid, ["no-such-offer"]);
    expect(h.core.offers.has(offer.id.value)).toBe(true);
  });
});

describe("invalid launches", () => {
  it("answers TASK_ERROR naming the problem for each invalid task and launches only the valid one", () => {
    const { h, agent, fid, offer } = setup("cpus:4;mem:4096");
    h.accept(
      fid,
      [offer.id.value],
      [
        { taskId: "ok", agentId: agent, resources: "cpus:1;mem:128" },
        { taskId: "too-big", agentId: agent, resources: "cpus:100;mem:128" },
        { taskId: "ok", agentId: agent, resources: "cpus:1;mem:128" },
        { taskId: "elsewhere", agentId: "other-agent", resources: "cpus:1;mem:128" },
        { taskId: "no-command", agentId: agent, resources: "cpus:1;mem:128", command: null },
        { taskId: "no-resources", agentId: agent, resources: "" },
        { taskId: "empty-shell", agentId: agent, command: { shell: true } },
      ],
    );
    const byTask = new Map(h.updates(fid).map((s) => [s.task_id.value, s]));
    expect(byTask.has("ok")).toBe(true); // the duplicate's error, see below
    for (const s of byTask.values()) {
      expect(s.state).toBe("TASK_ERROR");
      expect(s.reason).toBe("REASON_TASK_INVALID");
      expect(s.source).toBe("SOURCE_MASTER");
      expect(s.uuid).toBeTruthy();
    }
    expect(byTask.get("too-big")?.message).toMatch(/^task_infos\[1\]: resources:/);
    expect(byTask.get("ok")?.message).toMatch(/^task_infos\[2\]: task_id 'ok' is used twice/);
    expect(byTask.get("elsewhere")?.message).toMatch(/^task_infos\[3\]: agent_id 'other-agent'/);
    expect(byTask.get("no-command")?.message).toMatch(/^task_infos\[4\]: .*'command'/);
    expect(byTask.get("no-resources")?.message).toMatch(/^task_infos\[5\]: resources:/);
    expect(byTask.get("empty-shell")?.message).toMatch(/^task_infos\[6\]: command\.value/);
    expect(h.updates(fid)).toHaveLength(6);

    const commands = h.pollCommands(agent);
    expect(commands).toHaveLength(1);
    expect((commands[0] as Extract<AgentCommand, { type: "LAUNCH" }>).task.task_id.value).toBe("ok");
    expect([...h.core.tasks.keys()]).toEqual([`${fid}/ok`]);
  });

  it("rejects a task id already used by an active task of the framework", () => {
    const { h, agent, fid } = launched({ resources: "cpus:1;mem:128" });
    h.advance(5_000);
    const [offer] = h.offersFor(fid);
    h.accept(fid, [offer!.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128" }]);
    const s = lastUpdate(h, fid);
    expect(s).toMatchObject({ state: "TASK_ERROR", task_id: { value: "t1" } });
    expect(s.message).toMatch(/task_id 't1' is already in use/);
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_STAGING");
  });

  it("a launch refused for a stale offer does not mark an existing task of that id lost", () => {
    const { h, agent, fid, offer } = launched({ resources: "cpus:1;mem:128" });
    h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent }]);
    expect(lastUpdate(h, fid)).toMatchObject({ task_id: { value: "t1" }, state: "TASK_LOST", reason: "REASON_INVALID_OFFERS" });
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_RUNNING");
    expect(h.store.load().tasks.find((t) => t.taskId === "t1")?.state).toBe("TASK_RUNNING");
  });

  it("an agent's report about a task placed on another agent does not change that task", () => {
    const { h, agent, fid } = launched({ resources: "cpus:1;mem:128" });
    const intruder = h.addAgent("cpus:1;mem:128");
    h.agentReport(intruder, fid, "t1", "TASK_FAILED");
    expect(h.core.tasks.get(`${fid}/t1`)).toMatchObject({ agentId: agent, state: "TASK_STAGING" });
  });

  it("a master-made TASK_ERROR is forgotten on acknowledgement (no agent is involved)", () => {
    const { h, agent, fid, offer } = setup();
    h.accept(fid, [offer.id.value], [{ taskId: "bad", agentId: agent, command: null }]);
    const s = lastUpdate(h, fid);
    expect(h.core.updates.has(s.uuid!)).toBe(true);
    h.acknowledge(fid, s);
    expect(h.core.updates.has(s.uuid!)).toBe(false);
    expect(h.store.load().updates).toEqual([]);
    expect(h.fakeAgentPoll(agent)).toBeNull();
  });

  it("a stale or unknown offer id answers TASK_LOST with REASON_INVALID_OFFERS and launches nothing", () => {
    const { h, agent, fid, offer } = setup();
    h.accept(fid, [offer.id.value], [{ taskId: "first", agentId: agent, resources: "cpus:1;mem:128" }], { refuse_seconds: 0 });
    h.accept(fid, [offer.id.value], [{ taskId: "stale", agentId: agent }]);
    h.accept(fid, ["never-made"], [{ taskId: "unknown", agentId: agent }]);
    const lost = h.updates(fid);
    expect(lost.map((s) => [s.task_id.value, s.state, s.reason])).toEqual([
      ["stale", "TASK_LOST", "REASON_INVALID_OFFERS"],
      ["unknown", "TASK_LOST", "REASON_INVALID_OFFERS"],
    ]);
    expect(lost[0]!.message).toContain(offer.id.value);
    expect(lost[1]!.message).toContain("never-made");
    const launchedIds = h.pollCommands(agent).map((c) => (c as Extract<AgentCommand, { type: "LAUNCH" }>).task.task_id.value);
    expect(launchedIds).toEqual(["first"]);
  });

  it("an offer made to another framework is invalid for this one", () => {
    const { h, agent, fid, offer } = setup();
    const { frameworkId: other } = h.subscribe("fw-two");
    h.accept(other, [offer.id.value], [{ taskId: "steal", agentId: agent }]);
    expect(lastUpdate(h, other)).toMatchObject({ state: "TASK_LOST", reason: "REASON_INVALID_OFFERS" });
    expect(h.core.offers.has(offer.id.value)).toBe(true);
    expect(h.updates(fid)).toEqual([]);
  });

  it("rejects operations it does not carry out with 400 naming the operation's path", () => {
    const { h, fid, offer } = setup();
    expectHttpError(
      () =>
        h.call(fid, {
          type: "ACCEPT",
          accept: { offer_ids: [{ value: offer.id.value }], operations: [{ type: "GROW_VOLUME" }] },
        }),
      400,
      /^accept\.operations\[0\]\.type: GROW_VOLUME/,
    );
    // The rejected ACCEPT still used the offer up: its resources are offered again, not held.
    expect(h.core.offers.has(offer.id.value)).toBe(false);
    h.advance(1000);
    expect(h.offersFor(fid).some((o) => o.agent_id.value === offer.agent_id.value && o.id.value !== offer.id.value)).toBe(true);
  });
});
