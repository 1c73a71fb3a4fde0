/**
 * Refuse filters per (framework, role, agent), as Mesos keeps offer filters, through the master
 * (MasterHarness): a DECLINE or ACCEPT filters the role of the offer (`allocation_info.role`),
 * REVIVE with `roles` clears only those roles' filters (without roles: all), and the
 * oversubscription pass reads them the same way (a revocable offer is declined with its role).
 */
import { describe, expect, it } from "vitest";
import { type CallOf, type Offer, parseMessage, SchedulerCall as SchedulerCallSchema } from "../../../schemas/index.ts";
import { MasterHarness } from "../../support/master-harness.ts";
import { orThrow } from "../../support/refused.ts";

const INTERVAL = 1000; // the harness' STRATA_ALLOCATION_INTERVAL_MS

/** Subscribes with `info` merged into the harness' FrameworkInfo. */
function subscribeWith(h: MasterHarness, name: string, info: Record<string, unknown>): string {
  const json = h.subscribeJson(name) as { subscribe: { framework_info: Record<string, unknown> } };
  Object.assign(json.subscribe.framework_info, info);
  const call = parseMessage(SchedulerCallSchema, json) as CallOf<"SUBSCRIBE">;
  const result = orThrow(h.core.subscribe(call, undefined, h.now));
  h.outbox.open.set(result.frameworkId, result.streamId);
  for (const e of result.events) h.outbox.sent.push({ fid: result.frameworkId, streamId: result.streamId, event: e });
  return result.frameworkId;
}

const roleOf = (o: Offer) => o.allocation_info?.role;
const filtersOf = (h: MasterHarness, fid: string) =>
  h.core.filters
    .filter((f) => f.frameworkId === fid)
    .map((f) => `${f.role}@${f.agentId}`)
    .sort();

/** A MULTI_ROLE framework with roles a and b and one agent; returns the first offer (for one of the roles). */
function multiRole() {
  const h = new MasterHarness();
  const fid = subscribeWith(h, "multi", { roles: ["a", "b"], capabilities: [{ type: "MULTI_ROLE" }] });
  const agent = h.addAgent("cpus:4;mem:4096");
  h.advance(INTERVAL);
  const offers = h.offersFor(fid);
  expect(offers).toHaveLength(1);
  return { h, fid, agent, offer: offers[0]! };
}

describe("refuse filters per (framework, role, agent)", () => {
  it("a DECLINE filters the offer's role only: the agent is offered to the framework's other role", () => {
    const { h, fid, agent, offer } = multiRole();
    const first = roleOf(offer)!,
      other = first === "a" ? "b" : "a";
    h.decline(fid, [offer.id.value], 60);
    expect(filtersOf(h, fid)).toEqual([`${first}@${agent}`]);
    h.advance(INTERVAL);
    const next = h.offersFor(fid);
    expect(next.map(roleOf)).toEqual([other]);
    h.decline(fid, [next[0]!.id.value], 60);
    expect(filtersOf(h, fid)).toEqual([`a@${agent}`, `b@${agent}`]);
    h.advance(INTERVAL * 5);
    expect(h.offersFor(fid)).toEqual([]); // both roles refuse the agent now
  });

  it("REVIVE with roles clears only those roles' filters; REVIVE without roles clears all", () => {
    const { h, fid, agent, offer } = multiRole();
    const first = roleOf(offer)!,
      other = first === "a" ? "b" : "a";
    h.decline(fid, [offer.id.value], 60);
    h.advance(INTERVAL);
    h.decline(fid, [h.offersFor(fid)[0]!.id.value], 60);
    h.advance(INTERVAL);
    expect(h.offersFor(fid)).toEqual([]);

    h.call(fid, { type: "REVIVE", revive: { roles: [other] } });
    expect(filtersOf(h, fid)).toEqual([`${first}@${agent}`]);
    h.advance(INTERVAL);
    const revived = h.offersFor(fid);
    expect(revived.map(roleOf)).toEqual([other]);

    h.decline(fid, [revived[0]!.id.value], 60);
    expect(filtersOf(h, fid)).toEqual([`a@${agent}`, `b@${agent}`]);
    h.call(fid, { type: "REVIVE", revive: {} });
    expect(filtersOf(h, fid)).toEqual([]);
    h.advance(INTERVAL);
    expect(h.offersFor(fid)).toHaveLength(1);
  });

  it("an ACCEPT that leaves resources unused filters the role of the offers it used", () => {
    const { h, fid, agent, offer } = multiRole();
    h.accept(fid, [offer.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:1;mem:128" }], { refuse_seconds: 60 });
    expect(filtersOf(h, fid)).toEqual([`${roleOf(offer)}@${agent}`]);
    h.advance(INTERVAL);
    // what is left of the agent goes to the framework's other role
    expect(h.offersFor(fid).map(roleOf)).toEqual([roleOf(offer) === "a" ? "b" : "a"]);
  });

  it("a filter lapses on its own: the role is offered the agent again after refuse_seconds", () => {
    const { h, fid, offer } = multiRole();
    h.decline(fid, [offer.id.value], 5);
    h.advance(INTERVAL);
    h.decline(fid, [h.offersFor(fid)[0]!.id.value], 30);
    h.advance(5_000);
    expect(h.offersFor(fid).map(roleOf)).toEqual([roleOf(offer)]);
  });
});

describe("revocable offers and role filters", () => {
  /** One agent fully used by a regular task, measured nearly idle, and a MULTI_ROLE framework (roles a, b) wanting revocable resources. */
  function revocableSetup() {
    const h = new MasterHarness();
    const agent = h.addAgent("cpus:4;mem:4096");
    const { frameworkId: reg } = h.subscribe("regular");
    h.advance(INTERVAL);
    h.accept(reg, [h.offersFor(reg)[0]!.id.value], [{ taskId: "t1", agentId: agent, resources: "cpus:4;mem:4096" }]);
    h.pollCommands(agent);
    h.agentReport(agent, reg, "t1", "TASK_RUNNING");
    const rev = subscribeWith(h, "rev", { roles: ["a", "b"], capabilities: [{ type: "MULTI_ROLE" }, { type: "REVOCABLE_RESOURCES" }] });
    h.reportUsage(agent, [{ fid: reg, taskId: "t1", cpus: 1, mem: 1024 }]);
    h.advance(INTERVAL);
    const offers = h.offersFor(rev);
    expect(offers).toHaveLength(1);
    expect(offers[0]!.resources.every((r) => r.revocable !== undefined)).toBe(true);
    return { h, agent, rev, offer: offers[0]! };
  }

  it("declining a revocable offer filters its role; reviving another role does not lift it, reviving that role does", () => {
    const { h, agent, rev, offer } = revocableSetup();
    const role = roleOf(offer)!;
    expect(role).toBe("a"); // revocable offers go to the framework's first role
    h.decline(rev, [offer.id.value], 60);
    expect(filtersOf(h, rev)).toEqual([`a@${agent}`]);
    h.advance(INTERVAL * 3);
    expect(h.offersFor(rev)).toEqual([]);
    h.call(rev, { type: "REVIVE", revive: { roles: ["b"] } });
    h.advance(INTERVAL * 2);
    expect(h.offersFor(rev)).toEqual([]); // the filter of role a still holds
    h.call(rev, { type: "REVIVE", revive: { roles: ["a"] } });
    h.advance(INTERVAL);
    const again = h.offersFor(rev);
    expect(again.map(roleOf)).toEqual(["a"]);
    expect(again[0]!.resources.every((r) => r.revocable !== undefined)).toBe(true);
  });
});
