/**
 * Frameworks of equal revocable share take turns for revocable offers from one pass to the next,
 * as they do for regular offers (docs/allocation.md, "Ties go to fewer allocations so far"): the
 * oversubscription pass breaks ties by the offers made so far, then by id, not by id alone.
 */
import { describe, expect, it } from "vitest";
import type { Offer } from "../../../schemas/index.ts";
import { MasterHarness } from "../../support/master-harness.ts";

const INTERVAL = 1000; // the harness' STRATA_ALLOCATION_INTERVAL_MS

const isRevocable = (o: Offer) => o.resources.some((r) => r.revocable !== undefined);

/**
 * One agent fully used by a regular task measured at a quarter of what it was given (so it has
 * slack to offer as revocable resources, and nothing regular), and `n` REVOCABLE_RESOURCES
 * frameworks subscribed after it.
 */
function cluster(n: number) {
  const h = new MasterHarness();
  const agent = h.addAgent("cpus:4;mem:4096");
  const { frameworkId: reg } = h.subscribe("regular");
  h.advance(INTERVAL);
  h.accept(reg, [h.offersFor(reg)[0]!.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:4;mem:4096" }]);
  h.pollCommands(agent);
  h.agentReport(agent, reg, "t1", "TASK_RUNNING");
  const revs = Array.from({ length: n }, (_, i) => h.subscribe(`best-effort-${i}`, undefined, { capabilities: ["REVOCABLE_RESOURCES"] }).frameworkId);
  h.reportUsage(agent, [{ fid: reg, taskId: "t1", cpus: 1, mem: 1024 }]);
  return { h, revs };
}

/** Over `cycles` passes, who was offered the agent's revocable resources; each declines at once (no refuse filter). */
function turns(h: MasterHarness, revs: readonly string[], cycles: number): string[] {
  const order: string[] = [];
  for (let i = 0; i < cycles; i++) {
    h.advance(INTERVAL);
    const holders = revs.filter((fid) => h.offersFor(fid).some(isRevocable));
    expect(holders, `cycle ${i}: one framework holds the revocable offer`).toHaveLength(1);
    const fid = holders[0]!;
    order.push(fid);
    h.decline(
      fid,
      h.offersFor(fid).map((o) => o.id.value),
      0,
    );
  }
  return order;
}

describe("revocable offers between frameworks of equal share", () => {
  it.each([2, 3])("%i idle frameworks that decline every revocable offer take turns, one offer each per round", (n) => {
    const { h, revs } = cluster(n);
    const order = turns(h, revs, 2 * n);
    for (const fid of revs)
      expect(
        order.filter((o) => o === fid),
        `offers to ${fid} in ${order.join(", ")}`,
      ).toHaveLength(2);
    // each round of n offers goes to n different frameworks
    for (let round = 0; round < 2; round++) expect(new Set(order.slice(round * n, (round + 1) * n)).size).toBe(n);
  });

  it("a framework that subscribes later wins ties until it has caught up (its count starts at 0), then takes turns", () => {
    const { h, revs } = cluster(2);
    turns(h, revs, 4);
    const { frameworkId: late } = h.subscribe("late", undefined, { capabilities: ["REVOCABLE_RESOURCES"] });
    const order = turns(h, [...revs, late], 6);
    expect(order.slice(0, 2)).toEqual([late, late]);
    expect(new Set(order.slice(3))).toEqual(new Set([...revs, late]));
  });
});
