/**
 * Framework capabilities the master acts on: PARTITION_AWARE for launches on stale offers
 * (TASK_DROPPED instead of TASK_LOST) and TASK_KILLING_STATE, which the agent learns from the
 * LAUNCH command's framework_info (the agent side is tested in test/agent/core/agent.test.ts).
 */
import { describe, expect, it } from "vitest";
import { INTERVAL, lastStatusOf, PARTITION_AWARE, subscribeWith } from "../../support/lifecycle.ts";
import { MasterHarness } from "../../support/master-harness.ts";

describe("ACCEPT of a stale or unknown offer", () => {
  for (const [what, info, state] of [
    ["partition-aware", PARTITION_AWARE, "TASK_DROPPED"],
    ["not partition-aware", {}, "TASK_LOST"],
  ] as const) {
    it(`answers ${state} with REASON_INVALID_OFFERS for a framework ${what}`, () => {
      const h = new MasterHarness();
      const agent = h.addAgent();
      const { frameworkId: fid } = subscribeWith(h, "fw", info);
      h.advance(INTERVAL);
      const [offer] = h.offersFor(fid);
      h.decline(fid, [offer!.id.value], 0); // now stale
      h.accept(fid, [offer!.id.value], [{ taskId: "t1", agentId: agent }]);
      h.accept(fid, ["no-such-offer"], [{ taskId: "t2", agentId: agent }]);
      for (const id of ["t1", "t2"]) {
        expect(lastStatusOf(h, fid, id)).toMatchObject({ state, reason: "REASON_INVALID_OFFERS", source: "SOURCE_MASTER" });
      }
      expect(h.pollCommands(agent)).toEqual([]);
    });
  }
});

describe("TASK_KILLING_STATE", () => {
  it("the LAUNCH command carries the framework's capabilities to the agent", () => {
    const h = new MasterHarness();
    const agent = h.addAgent();
    const { frameworkId: fid } = subscribeWith(h, "fw", { capabilities: [{ type: "TASK_KILLING_STATE" }] });
    h.advance(INTERVAL);
    h.accept(fid, [h.offersFor(fid)[0]!.id.value], [{ taskId: "t1", agentId: agent }]);
    const [launch] = h.pollCommands(agent);
    expect(launch!.type === "LAUNCH" && launch!.framework_info?.capabilities).toEqual([{ type: "TASK_KILLING_STATE" }]);
  });
});
