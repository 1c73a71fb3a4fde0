/**
 * UPDATE_QUOTA and outstanding offers (quota-rescinds.ts), through the master: offers that break
 * a new limit are rescinded (newest first, only as many as needed), offers to other roles are
 * rescinded agent by agent when free resources cannot cover a new guarantee, so the next
 * allocation honours the quota; nothing is rescinded when free resources suffice, and tasks are
 * never taken back.
 */
import { describe, expect, it } from "vitest";
import { operatorCall } from "../../../master-worker/src/operator/index.ts";
import { parseOperatorCall } from "../../../schemas/operator.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { MasterHarness, TEST_OPERATOR } from "../../support/master-harness.ts";
import { orThrow } from "../../support/refused.ts";

const INTERVAL = 1000; // the harness' STRATA_ALLOCATION_INTERVAL_MS

const updateQuota = (h: MasterHarness, configs: unknown[]) =>
  orThrow(
    operatorCall(h.core, parseOperatorCall({ type: "UPDATE_QUOTA", update_quota: { quota_configs: configs } }), { now: h.now, principal: TEST_OPERATOR }),
  );
const scalars = (q: Record<string, number>) => Object.fromEntries(Object.entries(q).map(([k, value]) => [k, { value }]));
const offeredCpus = (h: MasterHarness, fid: string) => h.offersFor(fid).reduce((s, o) => s + scalarOf(o.resources, "cpus"), 0);
const rescinded = (h: MasterHarness, fid: string) => h.eventsOf(fid, "RESCIND").map((e) => e.rescind.offer_id.value);

describe("UPDATE_QUOTA rescinds outstanding offers", () => {
  it("a new limit: rescinds the role's newest offers until it is within the limit, and the next allocation tops up to it", () => {
    const h = new MasterHarness();
    const eng = h.subscribe("eng", undefined, { role: "eng" }).frameworkId;
    h.addAgent("cpus:2;mem:1024");
    h.advance(INTERVAL);
    h.addAgent("cpus:2;mem:1024");
    h.advance(INTERVAL);
    const [older, newer] = h.offersFor(eng);
    expect(offeredCpus(h, eng)).toBe(4);
    updateQuota(h, [{ role: "eng", limits: scalars({ cpus: 3 }) }]);
    expect(rescinded(h, eng)).toEqual([newer!.id.value]);
    expect(h.core.offers.has(older!.id.value)).toBe(true);
    h.advance(INTERVAL);
    expect(offeredCpus(h, eng)).toBe(3); // 2 kept + 1 re-offered, capped by the limit
  });

  it("a limit the role's offers already fit in rescinds nothing", () => {
    const h = new MasterHarness();
    const eng = h.subscribe("eng", undefined, { role: "eng" }).frameworkId;
    h.addAgent("cpus:2;mem:1024");
    h.advance(INTERVAL);
    updateQuota(h, [{ role: "eng", limits: scalars({ cpus: 2, mem: 4096 }) }]);
    expect(rescinded(h, eng)).toEqual([]);
  });

  it("a limit below what the role's tasks hold rescinds its offers but never touches the tasks", () => {
    const h = new MasterHarness();
    const eng = h.subscribe("eng", undefined, { role: "eng" }).frameworkId;
    const a1 = h.addAgent("cpus:2;mem:1024");
    h.advance(INTERVAL);
    h.accept(eng, [h.offersFor(eng)[0]!.id.value], [{ taskId: "t1", agentId: a1, resources: "cpus:2;mem:1024" }]);
    h.addAgent("cpus:2;mem:1024");
    h.advance(INTERVAL);
    const [offer] = h.offersFor(eng);
    updateQuota(h, [{ role: "eng", limits: scalars({ cpus: 1 }) }]);
    expect(rescinded(h, eng)).toEqual([offer!.id.value]);
    expect(h.core.tasks.get(`${eng}/t1`)?.state).toBe("TASK_STAGING");
    h.advance(INTERVAL * 3);
    expect(offeredCpus(h, eng)).toBe(0); // no more cpus (mem has no limit: it may be offered)
  });

  it("a new guarantee the free resources cannot cover: offers to other roles are rescinded so the guaranteed role gets them", () => {
    const h = new MasterHarness();
    h.addAgent("cpus:4;mem:4096");
    h.addAgent("cpus:4;mem:4096");
    const dev = h.subscribe("dev", undefined, { role: "dev" }).frameworkId;
    const prod = h.subscribe("prod", undefined, { role: "prod" }).frameworkId;
    h.call(prod, { type: "SUPPRESS", suppress: {} }); // prod wants nothing yet: dev is offered everything
    h.advance(INTERVAL);
    expect(offeredCpus(h, dev)).toBe(8);
    h.call(prod, { type: "REVIVE", revive: {} });
    updateQuota(h, [{ role: "prod", guarantees: scalars({ cpus: 6 }) }]);
    expect(rescinded(h, dev)).toHaveLength(2); // 6 cpus lacking, 0 free: both agents' offers
    h.advance(INTERVAL);
    expect(offeredCpus(h, prod)).toBe(6);
    expect(offeredCpus(h, dev)).toBe(2);
  });

  it("rescinds only as many agents' offers as the guarantee lacks beyond the free resources", () => {
    const h = new MasterHarness();
    const dev = h.subscribe("dev", undefined, { role: "dev" }).frameworkId;
    for (let i = 0; i < 3; i++) h.addAgent("cpus:4;mem:4096");
    h.advance(INTERVAL);
    expect(h.offersFor(dev)).toHaveLength(3);
    h.addAgent("cpus:4;mem:4096"); // free: 4 cpus
    updateQuota(h, [{ role: "prod", guarantees: scalars({ cpus: 4 }) }]);
    expect(rescinded(h, dev)).toEqual([]); // the free agent covers it
    updateQuota(h, [{ role: "prod", guarantees: scalars({ cpus: 6 }) }]);
    expect(rescinded(h, dev)).toHaveLength(1); // 2 more cpus: one agent's offer
  });
});
