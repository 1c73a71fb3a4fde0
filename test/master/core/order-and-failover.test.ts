/**
 * The master's behaviour, driven through `MasterCore` with the deterministic harness: DRF order between frameworks and framework failover (re-SUBSCRIBE with the framework id).
 */
import { describe, expect, it } from "vitest";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { expectHttpError, lastUpdate, launched, setup } from "../../support/core-fixture.ts";
import { INTERVAL } from "../../support/lifecycle.ts";
import { MasterHarness } from "../../support/master-harness.ts";

describe("DRF order between frameworks", () => {
  it("offers each agent to the framework with the lowest dominant share first", () => {
    const h = new MasterHarness();
    const agent = h.addAgent("cpus:10;mem:10000");
    const { frameworkId: f1 } = h.subscribe("first");
    const { frameworkId: f2 } = h.subscribe("second");
    expect(f1 < f2).toBe(true);

    // Equal (zero) shares: the tie goes to the smaller id.
    h.advance(INTERVAL);
    expect(h.offersFor(f1)).toHaveLength(1);
    expect(h.offersFor(f2)).toEqual([]);

    // f1 now runs cpus:1 (share 0.1); f2 holds nothing, so f2 gets the rest despite its larger id.
    h.accept(f1, [h.offersFor(f1)[0]!.id.value], [{ taskId: "a", agentId: agent, resources: "cpus:1;mem:100" }], { refuse_seconds: 0 });
    h.advance(INTERVAL);
    expect(h.offersFor(f1)).toEqual([]);
    const [o2] = h.offersFor(f2);
    expect(scalarOf(o2!.resources, "cpus")).toBe(9);

    // f2 runs mem:2000 (share 0.2) > f1's 0.1: the rest goes back to f1.
    h.accept(f2, [o2!.id.value], [{ taskId: "b", agentId: agent, resources: "cpus:0.5;mem:2000" }], { refuse_seconds: 0 });
    h.advance(INTERVAL);
    expect(h.offersFor(f2)).toEqual([]);
    const [o1] = h.offersFor(f1);
    expect(scalarOf(o1!.resources, "cpus")).toBe(8.5);
    expect(scalarOf(o1!.resources, "mem")).toBe(7900);
  });

  it("spreads agents: with two agents each framework gets one", () => {
    const h = new MasterHarness();
    const a1 = h.addAgent("cpus:4;mem:4096");
    const a2 = h.addAgent("cpus:4;mem:4096");
    const { frameworkId: f1 } = h.subscribe("first");
    const { frameworkId: f2 } = h.subscribe("second");
    h.advance(INTERVAL);
    const got = [...h.offersFor(f1), ...h.offersFor(f2)].map((o) => o.agent_id.value).sort();
    expect(got).toEqual([a1, a2].sort());
    expect(h.offersFor(f1)).toHaveLength(1);
    expect(h.offersFor(f2)).toHaveLength(1);
  });
});

describe("framework failover (re-SUBSCRIBE with the framework id)", () => {
  it("resumes the framework, closes the old stream and re-sends unacknowledged updates", () => {
    const { h, agent, fid } = launched({ resources: "cpus:1;mem:128" });
    const r1 = h.agentReport(agent, fid, "t1", "TASK_STARTING");
    h.acknowledge(fid, lastUpdate(h, fid));
    const r2 = h.agentReport(agent, fid, "t1", "TASK_RUNNING");
    const oldStream = h.streamOf(fid)!;

    const again = h.subscribe("fw-one", undefined, { frameworkId: fid });

    expect(again.frameworkId).toBe(fid);
    expect(again.streamId).not.toBe(oldStream);
    expect(h.outbox.closed.at(-1)).toMatchObject({ fid, streamId: oldStream, last: { type: "ERROR" } });
    expect(again.events.map((e) => e.type)).toEqual(["SUBSCRIBED", "UPDATE"]);
    expect(again.events[0]).toMatchObject({ subscribed: { framework_id: { value: fid }, heartbeat_interval_seconds: 5 } });
    const resent = again.events[1]!;
    expect(resent.type === "UPDATE" && resent.update.status.uuid).toBe(r2.uuid);
    expect(r1.uuid).not.toBe(r2.uuid);

    // The old stream id no longer works; the new one does.
    expectHttpError(() => h.call(fid, { type: "REVIVE" }, { streamId: oldStream }), 400, /Mesos-Stream-Id/);
    h.acknowledge(fid, lastUpdate(h, fid));
    expect(h.core.updates.get(r2.uuid)?.acked).toBe(true);
    expect(h.core.frameworks.size).toBe(1);
  });

  it("the offers made on the old stream are withdrawn and the resources offered on the new one", () => {
    const { h, fid, offer } = setup();
    h.subscribe("fw-one", undefined, { frameworkId: fid });
    expect(h.core.offers.has(offer.id.value)).toBe(false);
    h.advance(INTERVAL);
    const offers = h.offersFor(fid);
    expect(offers).toHaveLength(1);
    expect(offers[0]!.id.value).not.toBe(offer.id.value);
    expect(scalarOf(offers[0]!.resources, "cpus")).toBe(4);
  });

  it("a broken stream withdraws the framework's offers; a stale stream's break is ignored", () => {
    const { h, fid, offer } = setup();
    h.core.disconnected(fid, "some-old-stream", h.now);
    expect(h.core.offers.has(offer.id.value)).toBe(true);
    h.core.disconnected(fid, h.streamOf(fid)!, h.now);
    expect(h.core.offers.size).toBe(0);
    expect(h.core.frameworkConnected(fid)).toBe(false);
    h.advance(INTERVAL * 5);
    expect(h.core.offers.size).toBe(0); // nobody to offer to
  });
});
