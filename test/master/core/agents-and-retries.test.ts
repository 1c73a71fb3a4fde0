/**
 * The master's behaviour, driven through `MasterCore` with the deterministic harness: agent liveness, status update retries, and "chatter writes nothing".
 */
import { describe, expect, it } from "vitest";
import { UPDATE_RESEND_INTERVAL_MS } from "../../../master-worker/src/store/update-index.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { expectHttpError, lastUpdate, launched, setup } from "../../support/core-fixture.ts";
import { INTERVAL } from "../../support/lifecycle.ts";
import { MasterHarness } from "../../support/master-harness.ts";

describe("agent liveness", () => {
  it("an agent silent past the ping timeout has its offers rescinded; polling again brings it back", () => {
    // Unreachable (partitions.test.ts) only later than the ping timeout.
    const { h, agent, fid, offer } = setup(undefined, { STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "600" });
    h.advance(75_000 - INTERVAL - 1);
    expect(h.eventsOf(fid, "RESCIND")).toEqual([]);
    h.advance(1);
    expect(h.eventsOf(fid, "RESCIND")).toEqual([{ type: "RESCIND", rescind: { offer_id: { value: offer.id.value } } }]);
    expect(h.core.offers.size).toBe(0);
    expect(h.core.agentConnected(agent)).toBe(false);
    h.advance(INTERVAL * 5);
    expect(h.offersFor(fid)).toEqual([]);

    expect(h.fakeAgentPoll(agent)).toBeNull();
    h.advance(INTERVAL);
    expect(h.offersFor(fid).map((o) => o.agent_id.value)).toEqual([agent]);
  });

  it("an agent inside a held poll is not timed out", () => {
    const { h, agent, fid } = setup();
    h.core.pollHeld(agent, 1, h.now);
    h.advance(200_000);
    expect(h.eventsOf(fid, "RESCIND")).toEqual([]);
    h.core.pollHeld(agent, -1, h.now);
    h.advance(75_000);
    expect(h.eventsOf(fid, "RESCIND")).toHaveLength(1);
  });

  it("offers time out when STRATA_OFFER_TIMEOUT_SECONDS is set", () => {
    const { h, fid, offer } = setup(undefined, { STRATA_OFFER_TIMEOUT_SECONDS: "10" });
    h.advance(9_999);
    expect(h.eventsOf(fid, "RESCIND")).toEqual([]);
    h.advance(1);
    expect(h.eventsOf(fid, "RESCIND").map((e) => e.rescind.offer_id.value)).toEqual([offer.id.value]);
    h.advance(INTERVAL);
    expect(h.offersFor(fid)).toHaveLength(1);
  });

  it("status from an unregistered agent is refused (400); a poll from one is told to re-register", () => {
    const h = new MasterHarness();
    expect(h.core.poll({ agent_id: { value: "ghost" }, ack_seq: 0, acked_uuids: [] }, h.now, undefined)).toEqual({ commands: [], acks: [], reregister: true });
    expectHttpError(
      () =>
        h.core.status(
          { agent_id: { value: "ghost" }, updates: [{ framework_id: { value: "f" }, status: { task_id: { value: "t" }, state: "TASK_RUNNING", uuid: "u" } }] },
          h.now,
          undefined,
        ),
      400,
      /^agent_id:/,
    );
  });
});

describe("status update retries", () => {
  it("a retry with the same uuid is not stored again, forwarded again only after the resend interval; once acknowledged it is answered in `acknowledged`", () => {
    const { h, agent, fid } = launched();
    const { uuid } = h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    const stored = h.store.load().updates;
    const commits = h.store.commits;
    expect(stored).toEqual([]); // the agent keeps it; the master holds it in memory

    // A quick retry: the copy just sent is still on the live stream, so no second one.
    expect(h.agentRetry(agent).acknowledged).toEqual([]);
    expect(h.updates(fid).map((s) => s.uuid)).toEqual([uuid]);
    h.advance(UPDATE_RESEND_INTERVAL_MS - 1);
    h.agentRetry(agent);
    expect(h.updates(fid)).toHaveLength(1);
    // Past the interval with still no acknowledgement: forwarded again (at-least-once).
    h.advance(1);
    const retry = h.agentRetry(agent);
    expect(retry.acknowledged).toEqual([]);
    expect(h.updates(fid).map((s) => s.uuid)).toEqual([uuid, uuid]);
    expect(h.core.updates.size).toBe(1);
    expect(h.store.load().updates).toEqual(stored);
    expect(h.store.commits).toBe(commits);

    h.acknowledge(fid, lastUpdate(h, fid));
    h.acknowledge(fid, lastUpdate(h, fid)); // a duplicate ACK is harmless
    const afterAck = h.agentRetry(agent);
    expect(afterAck.acknowledged).toEqual([uuid]);
    expect(h.updates(fid)).toHaveLength(2); // not forwarded again
    expect(h.outstanding(agent)).toEqual([]);
  });

  it("ACKNOWLEDGE_BATCH acknowledges every update it names; one wrong entry rejects it all, naming the entry", () => {
    const { h, agent, fid } = launched();
    const running = h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    const finished = h.agentReport(agent, fid, "t1", "TASK_FINISHED");
    const ack = (uuid: string, task = "t1") => ({ agent_id: { value: agent }, task_id: { value: task }, uuid });
    const commits = h.store.commits;
    expectHttpError(
      () => h.call(fid, { type: "ACKNOWLEDGE_BATCH", acknowledge_batch: { acknowledgements: [ack(running.uuid), ack(finished.uuid, "t9")] } }),
      400,
      /^acknowledge_batch\.acknowledgements\[1\]\.task_id: /,
    );
    expect([...h.core.updates.values()].filter((u) => u.acked)).toEqual([]);
    expect(h.store.commits).toBe(commits);

    h.call(fid, { type: "ACKNOWLEDGE_BATCH", acknowledge_batch: { acknowledgements: [ack(running.uuid), ack(finished.uuid), ack("unknown-uuid")] } });
    expect(h.store.commits).toBe(commits); // acknowledging an agent's updates writes no row
    expect(
      [...h.core.updates.values()]
        .filter((u) => u.acked)
        .map((u) => u.uuid)
        .sort(),
    ).toEqual([running.uuid, finished.uuid].sort());
    expect(h.agentRetry(agent).acknowledged.sort()).toEqual([running.uuid, finished.uuid].sort());
  });

  it("a batch carrying a late non-terminal update does not resurrect a finished task", () => {
    const { h, agent, fid } = launched({ resources: "cpus:4;mem:4096;ports:[31000-32000]" });
    h.core.status(
      {
        agent_id: { value: agent },
        updates: [
          { framework_id: { value: fid }, status: { task_id: { value: "t1" }, state: "TASK_FINISHED", uuid: h.newAgentUuid() } },
          { framework_id: { value: fid }, status: { task_id: { value: "t1" }, state: "TASK_RUNNING", uuid: h.newAgentUuid() } },
        ],
      },
      h.now,
      h.tokenHashOf(agent),
    );
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_FINISHED");
    expect(h.store.load().tasks.find((t) => t.taskId === "t1")?.state).toBe("TASK_FINISHED");
    h.advance(INTERVAL);
    expect(scalarOf(h.offersFor(fid)[0]!.resources, "cpus")).toBe(4);
  });

  it("an update for a framework that does not exist is acknowledged at once (nobody to deliver to)", () => {
    const { h, agent } = setup();
    const { uuid, response } = h.agentReport(agent, "no-such-framework", "t", "TASK_RUNNING");
    expect(response.acknowledged).toEqual([uuid]);
    expect(h.core.updates.size).toBe(0);
  });
});

describe("chatter writes nothing", () => {
  it("heartbeats, idle ticks and polls with nothing new commit nothing", () => {
    const { h, agent, fid } = launched();
    h.fakeAgentPoll(agent); // reports the LAUNCH taken (a real change)
    const commits = h.store.commits;
    const before = h.eventsOf(fid, "HEARTBEAT").length;
    h.advance(5_000);
    expect(h.eventsOf(fid, "HEARTBEAT")).toHaveLength(before + 1);
    for (let i = 0; i < 5; i++) {
      expect(h.fakeAgentPoll(agent)).toBeNull();
      h.advance(1_000);
    }
    expect(h.eventsOf(fid, "HEARTBEAT").length).toBeGreaterThanOrEqual(before + 2);
    expect(h.store.commits).toBe(commits);
  });

  it("real changes do commit: a registration, a launch, a status update", () => {
    const h = new MasterHarness();
    let commits = h.store.commits;
    const agent = h.addAgent();
    expect(h.store.commits).toBe(++commits);
    const { frameworkId: fid } = h.subscribe("fw");
    expect(h.store.commits).toBe(++commits);
    h.advance(INTERVAL);
    const [offer] = h.offersFor(fid);
    h.accept(fid, [offer!.id.value], [{ taskId: "t1", agentId: agent }]);
    expect(h.store.commits).toBe(++commits);
    expect(h.store.load().commands).toHaveLength(1);
    h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    expect(h.store.commits).toBe(++commits);
  });

  it("tick returns the next deadline: the allocation, then the heartbeat", () => {
    const h = new MasterHarness();
    h.addAgent();
    h.subscribe("fw");
    expect(h.core.nextDeadline(h.now)).toBe(h.now + INTERVAL);
    const next = h.advance(INTERVAL);
    expect(next).toBe(h.now - INTERVAL + 5_000); // heartbeat, 5 s after subscribing
  });
});
