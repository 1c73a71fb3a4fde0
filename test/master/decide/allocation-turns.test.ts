/**
 * Equal shares take turns through the master (issue 11): one agent, three idle frameworks that
 * decline every offer with `refuse_seconds: 1`, the clock advancing. The allocation cache keeps
 * the tie-break counts between runs (`AllocationCounts`), so each framework gets its turn;
 * before, the sorters started from 0 every run and the smallest framework id got every offer.
 */
import { describe, expect, it } from "vitest";
import { MasterHarness } from "../../support/master-harness.ts";

const INTERVAL = 1000; // the harness' STRATA_ALLOCATION_INTERVAL_MS

/** Runs `rounds` allocation intervals; each framework declines what it was offered (refuse 1 s). Offers per framework, and the order they came in. */
function declineRounds(h: MasterHarness, fids: string[], rounds: number) {
  const got = new Map(fids.map((f) => [f, 0]));
  const order: string[] = [];
  for (let i = 0; i < rounds; i++) {
    h.advance(INTERVAL);
    for (const fid of fids) {
      const offers = h.offersFor(fid);
      if (offers.length === 0) continue;
      got.set(fid, got.get(fid)! + offers.length);
      order.push(fid);
      h.decline(
        fid,
        offers.map((o) => o.id.value),
        1,
      );
    }
  }
  return { got, order };
}

describe("equal-share frameworks take turns (master)", () => {
  it("one agent, three frameworks declining with refuse_seconds 1: offers go round, each within ±1", () => {
    const h = new MasterHarness();
    const fids = ["alpha", "beta", "gamma"].map((name) => h.subscribe(name).frameworkId);
    h.addAgent("cpus:4;mem:4096");
    const { got, order } = declineRounds(h, fids, 30);
    const counts = [...got.values()];
    expect(counts.reduce((s, n) => s + n, 0)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...counts) - Math.min(...counts), JSON.stringify([...got])).toBeLessThanOrEqual(1);
    // turns: no framework gets two offers in a row while the others wait
    for (let i = 1; i < order.length; i++) expect(order[i], `offer ${i}`).not.toBe(order[i - 1]);
  });

  it("a framework that subscribes later is not starved by the ones already counted", () => {
    const h = new MasterHarness();
    const fids = ["alpha", "beta"].map((name) => h.subscribe(name).frameworkId);
    h.addAgent("cpus:4;mem:4096");
    declineRounds(h, fids, 10);
    const late = h.subscribe("gamma").frameworkId;
    const { got } = declineRounds(h, [...fids, late], 10);
    expect(got.get(late)).toBeGreaterThan(0);
  });
});
