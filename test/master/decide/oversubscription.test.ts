/**
 * Oversubscription through `MasterCore` with the fake-clock harness: usage reports → revocable
 * offers only to REVOCABLE_RESOURCES frameworks → launch on them → regular usage grows →
 * revocable tasks evicted with a preempting KILL (and outstanding revocable offers rescinded);
 * regular offers never shrink for revocable tasks; usage is memory-only chatter.
 */
import { describe, expect, it } from "vitest";
import type { AgentCommand, Offer, Resource } from "../../../schemas/index.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { MasterHarness, taskJson } from "../../support/master-harness.ts";

const INTERVAL = 1000; // the harness' STRATA_ALLOCATION_INTERVAL_MS

const revocable = (rs: readonly Resource[]) => rs.filter((r) => r.revocable !== undefined);
const regular = (rs: readonly Resource[]) => rs.filter((r) => r.revocable === undefined);
const isRevocableOffer = (o: Offer) => revocable(o.resources).length > 0;
const kills = (cs: readonly AgentCommand[]) => cs.filter((c): c is Extract<AgentCommand, { type: "KILL" }> => c.type === "KILL");

/**
 * One agent (cpus:4;mem:4096) fully used by regular task `t1` of framework `reg` (no
 * capability), and a framework `rev` with REVOCABLE_RESOURCES (plus `revCaps`).
 */
function setup(env: Record<string, string> = {}, revCaps: string[] = []) {
  const h = new MasterHarness(env);
  const agent = h.addAgent("cpus:4;mem:4096");
  const { frameworkId: reg } = h.subscribe("regular");
  h.advance(INTERVAL);
  const [offer] = h.offersFor(reg);
  h.accept(reg, [offer!.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:4;mem:4096" }]);
  expect(h.pollCommands(agent).map((c) => c.type)).toEqual(["LAUNCH"]);
  h.agentReport(agent, reg, "t1", "TASK_RUNNING");
  const { frameworkId: rev } = h.subscribe("best-effort", undefined, { capabilities: ["REVOCABLE_RESOURCES", ...revCaps] });
  h.advance(INTERVAL);
  expect(h.allOffersFor(rev)).toEqual([]); // the agent is full and nothing is measured yet
  return { h, agent, reg, rev };
}

/** `setup`, t1 measured at 1 cpu / 1024 MB, and the revocable offer that follows. */
function offered(env: Record<string, string> = {}, revCaps: string[] = []) {
  const s = setup(env, revCaps);
  s.h.reportUsage(s.agent, [{ fid: s.reg, taskId: "t1", cpus: 1, mem: 1024 }]);
  s.h.advance(INTERVAL);
  const offers = s.h.offersFor(s.rev);
  expect(offers).toHaveLength(1);
  return { ...s, offer: offers[0]! };
}

/** Launches revocable task `taskId` of `rev` on `offerIds` with revocable `cpus`/`mem`; the agent takes it and reports it running. */
function launchRevocable(s: ReturnType<typeof setup>, offerIds: string[], taskId: string, cpus: number, mem: number): void {
  const task = {
    ...taskJson({ taskId, agentId: s.agent }),
    resources: [
      { name: "cpus", type: "SCALAR", scalar: { value: cpus }, revocable: {} },
      { name: "mem", type: "SCALAR", scalar: { value: mem }, revocable: {} },
    ],
  };
  s.h.call(s.rev, {
    type: "ACCEPT",
    accept: {
      offer_ids: offerIds.map((value) => ({ value })),
      operations: [{ type: "LAUNCH", launch: { task_infos: [task] } }],
      filters: { refuse_seconds: 0 },
    },
  });
  const launches = s.h.pollCommands(s.agent).filter((c) => c.type === "LAUNCH");
  expect(launches.map((c) => c.type === "LAUNCH" && c.task.task_id.value)).toEqual([taskId]);
  s.h.agentReport(s.agent, s.rev, taskId, "TASK_RUNNING");
}

describe("revocable offers", () => {
  it("offers (allocated − used) × factor of the regular tasks as revocable cpus and mem, only to REVOCABLE_RESOURCES frameworks", () => {
    const { h, agent, reg, rev, offer } = offered();
    expect(offer.agent_id.value).toBe(agent);
    expect(offer.resources.every((r) => r.revocable !== undefined)).toBe(true);
    // slack 3 cpus and 3072 MB, × 0.8 (the default factor)
    expect(scalarOf(offer.resources, "cpus")).toBe(2.4);
    expect(scalarOf(offer.resources, "mem")).toBe(2457.6);
    expect(offer.allocation_info?.role).toBe("*");
    expect(offer.resources.every((r) => r.allocation_info?.role === "*")).toBe(true);
    // the regular framework never sees revocable resources
    h.advance(INTERVAL * 10);
    expect(h.allOffersFor(reg).flatMap((o) => revocable(o.resources))).toEqual([]);
    expect(h.allOffersFor(rev)).toHaveLength(1); // not offered twice while outstanding
  });

  it("follows STRATA_OVERSUBSCRIPTION_FACTOR; 0 turns oversubscription off", () => {
    const half = offered({ STRATA_OVERSUBSCRIPTION_FACTOR: "0.5" });
    expect(scalarOf(half.offer.resources, "cpus")).toBe(1.5);
    expect(scalarOf(half.offer.resources, "mem")).toBe(1536);

    const off = setup({ STRATA_OVERSUBSCRIPTION_FACTOR: "0" });
    off.h.reportUsage(off.agent, [{ fid: off.reg, taskId: "t1", cpus: 0, mem: 0 }]);
    off.h.advance(INTERVAL * 5);
    expect(off.h.allOffersFor(off.rev)).toEqual([]);
  });

  it("makes no revocable offer while no usage is known, nor to a framework that is suppressed or refusing the agent", () => {
    const { h, agent, reg, rev } = setup();
    h.advance(INTERVAL * 5);
    expect(h.allOffersFor(rev)).toEqual([]);
    h.call(rev, { type: "SUPPRESS", suppress: {} });
    h.reportUsage(agent, [{ fid: reg, taskId: "t1", cpus: 1, mem: 1024 }]);
    h.advance(INTERVAL * 2);
    expect(h.allOffersFor(rev)).toEqual([]);
    h.call(rev, { type: "REVIVE", revive: {} });
    h.advance(INTERVAL);
    const [offer] = h.offersFor(rev);
    expect(offer && isRevocableOffer(offer)).toBe(true);
    h.decline(rev, [offer!.id.value], 30);
    h.advance(INTERVAL * 5);
    expect(h.allOffersFor(rev)).toHaveLength(1); // refused for 30 s
    h.advance(30_000);
    expect(h.offersFor(rev)).toHaveLength(1);
  });

  it("a task measured as new (not in the report) has no slack yet; a task reported idle adds its slack", () => {
    const { h, agent, reg, rev } = setup();
    // a report that only mentions an unknown task leaves no slack
    h.reportUsage(agent, [{ fid: reg, taskId: "nope", cpus: 0, mem: 0 }]);
    h.advance(INTERVAL * 2);
    expect(h.allOffersFor(rev)).toEqual([]);
    h.reportUsage(agent, [{ fid: reg, taskId: "t1", cpus: 4, mem: 4096 }]);
    h.advance(INTERVAL * 2);
    expect(h.allOffersFor(rev)).toEqual([]); // fully used: no slack
    h.reportUsage(agent, [{ fid: reg, taskId: "t1", cpus: 3, mem: 4096 }]);
    h.advance(INTERVAL);
    const [offer] = h.offersFor(rev);
    expect(offer!.resources.map((r) => [r.name, r.scalar?.value])).toEqual([["cpus", 0.8]]);
  });

  it("shares the slack by lowest revocable share: a second revocable framework gets the next offer", () => {
    const s = offered();
    const { frameworkId: rev2 } = s.h.subscribe("best-effort-2", undefined, { capabilities: ["REVOCABLE_RESOURCES"] });
    launchRevocable(s, [s.offer.id.value], "rv1", 1, 512);
    s.h.advance(INTERVAL);
    // rev holds 1 cpu; rev2 holds nothing: the rest (1.4 cpus, 1945.6 MB) goes to rev2
    const [o2] = s.h.offersFor(rev2);
    expect(scalarOf(o2!.resources, "cpus")).toBe(1.4);
    expect(scalarOf(o2!.resources, "mem")).toBe(1945.6);
    expect(s.h.offersFor(s.rev)).toEqual([]);
  });

  it("a running revocable task does not reduce what is offered as regular resources", () => {
    const h = new MasterHarness();
    const agent = h.addAgent("cpus:4;mem:4096");
    const { frameworkId: reg } = h.subscribe("regular");
    h.advance(INTERVAL);
    const [offer] = h.offersFor(reg);
    h.accept(reg, [offer!.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:2;mem:2048" }], { refuse_seconds: 0 });
    h.pollCommands(agent);
    h.agentReport(agent, reg, "t1", "TASK_RUNNING");
    const { frameworkId: rev } = h.subscribe("best-effort", undefined, { capabilities: ["REVOCABLE_RESOURCES"] });
    h.reportUsage(agent, [{ fid: reg, taskId: "t1", cpus: 0, mem: 0 }]);
    h.advance(INTERVAL);
    const revOffer = h.offersFor(rev).find(isRevocableOffer)!;
    expect(scalarOf(revOffer.resources, "cpus")).toBe(1.6);
    launchRevocable({ h, agent, reg, rev }, [revOffer.id.value], "rv1", 1.6, 1600);
    h.advance(INTERVAL);
    // the regular leftover (whoever holds it) is still cpus:2;mem:2048; give it back and look again
    for (const fid of [reg, rev]) {
      const ids = h
        .offersFor(fid)
        .filter((o) => !isRevocableOffer(o))
        .map((o) => o.id.value);
      if (ids.length) h.decline(fid, ids, 0);
    }
    h.advance(INTERVAL);
    const leftovers = [...h.offersFor(reg), ...h.offersFor(rev)].filter((o) => !isRevocableOffer(o));
    expect(leftovers).toHaveLength(1);
    expect(scalarOf(regular(leftovers[0]!.resources), "cpus")).toBe(2);
    expect(scalarOf(regular(leftovers[0]!.resources), "mem")).toBe(2048);
  });
});

describe("QoS corrections", () => {
  it("evicts the revocable task once regular usage grows: a preempting KILL, and the agent's TASK_LOST reaches the framework", () => {
    const s = offered();
    const { h, agent, reg, rev } = s;
    launchRevocable(s, [s.offer.id.value], "rv1", 2, 2048);
    h.advance(INTERVAL);
    expect(kills(h.received(agent))).toEqual([]);
    // t1 now uses 3.5 cpus: slack 0.5 × 0.8 = 0.4 cpus < the 2 rv1 holds
    h.reportUsage(agent, [
      { fid: reg, taskId: "t1", cpus: 3.5, mem: 1024 },
      { fid: rev, taskId: "rv1", cpus: 2, mem: 1000 },
    ]);
    h.advance(INTERVAL);
    const [kill, ...more] = kills(h.pollCommands(agent));
    expect(more).toEqual([]);
    expect(kill).toMatchObject({
      type: "KILL",
      framework_id: { value: rev },
      task_id: { value: "rv1" },
      kill_policy: { grace_period: { nanoseconds: 0 } },
      preemption: { state: "TASK_LOST" },
    });
    // not killed twice while the kill is under way
    h.advance(INTERVAL * 3);
    expect(kills(h.pollCommands(agent))).toEqual([]);
    h.agentReport(agent, rev, "rv1", "TASK_LOST", { reason: "REASON_CONTAINER_PREEMPTED", source: "SOURCE_AGENT" });
    const last = h.updates(rev).at(-1)!;
    expect(last).toMatchObject({ state: "TASK_LOST", reason: "REASON_CONTAINER_PREEMPTED", source: "SOURCE_AGENT" });
    // the regular task is untouched
    expect(kills(h.received(agent)).map((k) => k.task_id.value)).toEqual(["rv1"]);
    expect(h.core.tasks.get(`${reg}/t1`)?.state).toBe("TASK_RUNNING");
  });

  it("tells the agent TASK_GONE for a PARTITION_AWARE framework", () => {
    const s = offered({}, ["PARTITION_AWARE"]);
    launchRevocable(s, [s.offer.id.value], "rv1", 1, 256);
    s.h.reportUsage(s.agent, [{ fid: s.reg, taskId: "t1", cpus: 4, mem: 1024 }]);
    s.h.advance(INTERVAL);
    expect(kills(s.h.pollCommands(s.agent))).toMatchObject([{ task_id: { value: "rv1" }, preemption: { state: "TASK_GONE" } }]);
  });

  it("evicts the youngest revocable tasks first, only as many as needed", () => {
    const s = offered();
    launchRevocable(s, [s.offer.id.value], "old", 1, 256);
    s.h.advance(INTERVAL);
    const [o2] = s.h.offersFor(s.rev);
    launchRevocable(s, [o2!.id.value], "young", 1, 256);
    // slack 1.5 cpus × 0.8 = 1.2: room for one of the two
    s.h.reportUsage(s.agent, [{ fid: s.reg, taskId: "t1", cpus: 2.5, mem: 1024 }]);
    s.h.advance(INTERVAL);
    expect(kills(s.h.pollCommands(s.agent)).map((k) => k.task_id.value)).toEqual(["young"]);
  });

  it("evicts revocable tasks when the regular task whose slack they use ends", () => {
    const s = offered();
    launchRevocable(s, [s.offer.id.value], "rv1", 1, 256);
    s.h.advance(INTERVAL);
    expect(kills(s.h.received(s.agent))).toEqual([]);
    s.h.agentReport(s.agent, s.reg, "t1", "TASK_FINISHED");
    s.h.advance(INTERVAL);
    expect(kills(s.h.pollCommands(s.agent)).map((k) => k.task_id.value)).toEqual(["rv1"]);
  });

  it("evicts even while the revocable framework is disconnected (no framework wants revocable resources then)", () => {
    const s = offered();
    launchRevocable(s, [s.offer.id.value], "rv1", 1, 256);
    s.h.core.disconnected(s.rev, s.h.streamOf(s.rev)!, s.h.now);
    s.h.advance(INTERVAL);
    s.h.reportUsage(s.agent, [{ fid: s.reg, taskId: "t1", cpus: 4, mem: 1024 }]);
    s.h.advance(INTERVAL);
    expect(kills(s.h.pollCommands(s.agent)).map((k) => k.task_id.value)).toEqual(["rv1"]);
  });

  it("rescinds outstanding revocable offers that no longer fit", () => {
    const { h, agent, reg, rev, offer } = offered();
    h.reportUsage(agent, [{ fid: reg, taskId: "t1", cpus: 3, mem: 1024 }]);
    h.advance(INTERVAL);
    const rescinds = h.eventsOf(rev, "RESCIND").map((e) => e.rescind.offer_id.value);
    expect(rescinds).toEqual([offer.id.value]);
    expect(h.core.offers.has(offer.id.value)).toBe(false);
    // and the smaller slack (1 cpu × 0.8, 2457.6 MB) is offered again
    const [again] = h.offersFor(rev);
    expect(scalarOf(again!.resources, "cpus")).toBe(0.8);
    expect(scalarOf(again!.resources, "mem")).toBe(2457.6);
  });
});

describe("usage reports are chatter", () => {
  it("writes nothing, and a restarted master offers nothing revocable until the agent reports again", () => {
    const { h, agent, reg, rev } = setup();
    h.fakeAgentPoll(agent); // reports the LAUNCH taken (a real change)
    const commits = h.store.commits;
    h.reportUsage(agent, [{ fid: reg, taskId: "t1", cpus: 1, mem: 1024 }]);
    expect(h.store.commits).toBe(commits);
    h.restart();
    h.fakeAgentPoll(agent);
    h.subscribe("best-effort", undefined, { frameworkId: rev, capabilities: ["REVOCABLE_RESOURCES"] });
    h.advance(INTERVAL * 3);
    expect(h.offersFor(rev)).toEqual([]);
    h.reportUsage(agent, [{ fid: reg, taskId: "t1", cpus: 1, mem: 1024 }]);
    h.advance(INTERVAL);
    expect(h.offersFor(rev).filter(isRevocableOffer)).toHaveLength(1);
  });
});
