/**
 * Roles through the master (MasterHarness): MULTI_ROLE subscriptions and their validation,
 * offers per (framework, role), tasks counted against the role of the offer they came from,
 * SUPPRESS/REVIVE per role, static reservations offered to their role's subtree only, and
 * agents with GPUs offered only to GPU_RESOURCES frameworks.
 */
import { describe, expect, it } from "vitest";
import { type CallOf, type Offer, parseMessage, SchedulerCall as SchedulerCallSchema } from "../../../schemas/index.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { reservationRole } from "../../../sdk/src/roles.ts";
import { MasterHarness } from "../../support/master-harness.ts";
import { orThrow } from "../../support/refused.ts";

const INTERVAL = 1000; // the harness' STRATA_ALLOCATION_INTERVAL_MS

/** Subscribes with `info` merged into the harness' FrameworkInfo, as `MasterHarness.subscribe` does. */
function subscribeWith(h: MasterHarness, name: string, info: Record<string, unknown>, suppressedRoles?: string[]): string {
  const json = h.subscribeJson(name) as { subscribe: { framework_info: Record<string, unknown>; suppressed_roles?: string[] } };
  Object.assign(json.subscribe.framework_info, info);
  if (suppressedRoles) json.subscribe.suppressed_roles = suppressedRoles;
  const call = parseMessage(SchedulerCallSchema, json) as CallOf<"SUBSCRIBE">;
  const result = orThrow(h.core.subscribe(call, undefined, h.now));
  h.outbox.open.set(result.frameworkId, result.streamId);
  for (const e of result.events) h.outbox.sent.push({ fid: result.frameworkId, streamId: result.streamId, event: e });
  return result.frameworkId;
}

const MULTI = { capabilities: [{ type: "MULTI_ROLE" }] };
const roleOf = (o: Offer) => o.allocation_info?.role;

describe("SUBSCRIBE with roles", () => {
  it("refuses roles without MULTI_ROLE, bad role names, role with roles, and foreign suppressed_roles, naming the field", () => {
    const h = new MasterHarness();
    expect(() => subscribeWith(h, "f", { roles: ["a"] })).toThrow(/subscribe\.framework_info\.roles\[0\]: 'roles' needs the MULTI_ROLE capability/);
    expect(() => subscribeWith(h, "f", { ...MULTI, roles: ["a", "b//c"] })).toThrow(/subscribe\.framework_info\.roles\[1\]: /);
    expect(() => subscribeWith(h, "f", { ...MULTI, roles: ["a", "a"] })).toThrow(/roles\[1\]: 'a' is listed twice/);
    expect(() => subscribeWith(h, "f", { ...MULTI, role: "a", roles: ["b"] })).toThrow(
      /subscribe\.framework_info\.role: must not be set together with 'roles'/,
    );
    expect(() => subscribeWith(h, "f", { role: "-x" })).toThrow(/subscribe\.framework_info\.role: /);
    expect(() => subscribeWith(h, "f", { ...MULTI, roles: ["a"] }, ["b"])).toThrow(/subscribe\.suppressed_roles\[0\]: 'b' is not one of the framework's roles/);
    expect(h.core.frameworks.size).toBe(0);
  });

  it("a multi-role framework gets offers for each of its roles, each marked with its role", () => {
    const h = new MasterHarness();
    const fid = subscribeWith(h, "multi", { ...MULTI, roles: ["a", "b"] });
    h.addAgent("cpus:4;mem:4096");
    h.addAgent("cpus:4;mem:4096");
    h.advance(INTERVAL);
    const offers = h.offersFor(fid);
    expect(offers.map(roleOf).sort()).toEqual(["a", "b"]);
    for (const o of offers) for (const r of o.resources) expect(r.allocation_info?.role).toBe(roleOf(o));
  });

  it("an ACCEPT mixing offers of two roles is refused as invalid offers (as Mesos), and the offers go back", () => {
    const h = new MasterHarness();
    const fid = subscribeWith(h, "multi", { roles: ["a", "b"], capabilities: [{ type: "MULTI_ROLE" }, { type: "PARTITION_AWARE" }] });
    // one agent with resources reserved for each role: one offer per role, both on it
    h.addAgent("cpus(a):2;mem(a):256;cpus(b):2;mem(b):256");
    h.advance(INTERVAL);
    const offers = h.offersFor(fid);
    expect(offers.map(roleOf).sort()).toEqual(["a", "b"]);
    expect(new Set(offers.map((o) => o.agent_id.value)).size).toBe(1);
    h.accept(
      fid,
      offers.map((o) => o.id.value),
      [{ taskId: "t", agentId: offers[0]!.agent_id.value, resources: "cpus(a):1;mem(a):64" }],
    );
    const status = h.updates(fid).find((s) => s.task_id.value === "t")!;
    expect([status.state, status.reason, status.message]).toEqual(["TASK_DROPPED", "REASON_INVALID_OFFERS", "Offers must all be allocated to one role"]);
    expect(offers.some((o) => h.core.offers.has(o.id.value))).toBe(false);
    expect(h.core.tasks.size).toBe(0);
  });

  it("a single-role framework's offers carry its role", () => {
    const h = new MasterHarness();
    const fid = subscribeWith(h, "single", { role: "web" });
    h.addAgent();
    h.advance(INTERVAL);
    expect(h.offersFor(fid).map(roleOf)).toEqual(["web"]);
  });
});

describe("SUPPRESS / REVIVE per role, and tasks counted to their offer's role", () => {
  it("suppresses and revives single roles; a task counts against the role of its offer", () => {
    const h = new MasterHarness();
    const fid = subscribeWith(h, "multi", { ...MULTI, roles: ["a", "b"] });
    h.call(fid, { type: "SUPPRESS", suppress: { roles: ["a"] } });
    const ag1 = h.addAgent("cpus:4;mem:4096");
    h.advance(INTERVAL);
    const [offer, ...none] = h.offersFor(fid);
    expect(none).toEqual([]);
    expect(roleOf(offer!)).toBe("b");
    // the task names no allocation role: it takes its offer's ("b")
    h.accept(fid, [offer!.id.value], [{ taskId: "t1", agentId: ag1, resources: "cpus:4;mem:4096" }]);
    expect(h.core.tasks.get(`${fid}/t1`)?.info.resources.every((r) => r.allocation_info?.role === "b")).toBe(true);
    h.call(fid, { type: "REVIVE", revive: { roles: ["a"] } });
    h.addAgent("cpus:4;mem:4096");
    h.advance(INTERVAL);
    // b holds the task's cpus 4 (of 8), a nothing → the new agent goes to a
    expect(h.offersFor(fid).map(roleOf)).toEqual(["a"]);
  });

  it("REVIVE with roles after a SUPPRESS of every role revives only those roles", () => {
    const h = new MasterHarness();
    const fid = subscribeWith(h, "multi", { ...MULTI, roles: ["a", "b"] });
    h.call(fid, { type: "SUPPRESS" });
    h.addAgent();
    h.advance(INTERVAL);
    expect(h.allOffersFor(fid)).toEqual([]);
    h.call(fid, { type: "REVIVE", revive: { roles: ["b"] } });
    h.addAgent();
    h.advance(INTERVAL);
    expect(h.offersFor(fid).map(roleOf)).toEqual(["b", "b"]);
    expect(h.core.suppressedRoles.get(fid)).toEqual(new Set(["a"]));
  });

  it("SUBSCRIBE's suppressed_roles suppresses those roles only", () => {
    const h = new MasterHarness();
    const fid = subscribeWith(h, "multi", { ...MULTI, roles: ["a", "b"] }, ["a"]);
    h.addAgent();
    h.addAgent();
    h.advance(INTERVAL);
    expect(h.offersFor(fid).map(roleOf)).toEqual(["b", "b"]);
  });

  it("refuses SUPPRESS / REVIVE of a role the framework does not have", () => {
    const h = new MasterHarness();
    const fid = subscribeWith(h, "multi", { ...MULTI, roles: ["a"] });
    expect(() => h.call(fid, { type: "SUPPRESS", suppress: { roles: ["z"] } })).toThrow(/suppress\.roles\[0\]: 'z' is not one of the framework's roles/);
    expect(() => h.call(fid, { type: "REVIVE", revive: { roles: ["a", "z"] } })).toThrow(/revive\.roles\[1\]/);
  });
});

describe("reservations and GPUs in allocation", () => {
  it("offers a static reservation only to frameworks of its role or below", () => {
    const h = new MasterHarness();
    const ops = subscribeWith(h, "ops", { role: "ops" });
    h.addAgent("cpus:2;mem:1024;cpus(eng):2;mem(eng):512");
    h.advance(INTERVAL);
    const [o1] = h.offersFor(ops);
    expect(o1!.resources.every((r) => reservationRole(r) === undefined)).toBe(true);
    expect(scalarOf(o1!.resources, "cpus")).toBe(2);
    const web = subscribeWith(h, "web", { role: "eng/web" });
    h.advance(INTERVAL);
    const [o2] = h.offersFor(web);
    expect(roleOf(o2!)).toBe("eng/web");
    expect(
      o2!.resources
        .filter((r) => reservationRole(r) === "eng")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["cpus", "mem"]);
  });

  it("offers an agent with GPUs only to frameworks with GPU_RESOURCES", () => {
    const h = new MasterHarness();
    const plain = subscribeWith(h, "plain", {});
    h.addAgent("cpus:4;mem:4096;gpus:1");
    h.advance(INTERVAL * 3);
    expect(h.allOffersFor(plain)).toEqual([]);
    const gpu = subscribeWith(h, "gpu", { capabilities: [{ type: "GPU_RESOURCES" }] });
    h.advance(INTERVAL);
    const [offer] = h.offersFor(gpu);
    expect(scalarOf(offer!.resources, "gpus")).toBe(1);
    h.addAgent("cpus:4;mem:4096");
    h.advance(INTERVAL);
    expect(h.offersFor(plain)).toHaveLength(1); // agents without GPUs are for everyone
  });
});

describe("STRATA_ALLOCATOR_SORTER", () => {
  it("selects the random sorter (every framework still gets offers) and refuses unknown names", () => {
    const h = new MasterHarness({ STRATA_ALLOCATOR_SORTER: "random" });
    expect(h.config.allocatorSorter).toBe("random");
    const f1 = subscribeWith(h, "f1", { role: "a" }),
      f2 = subscribeWith(h, "f2", { role: "b" });
    for (let i = 0; i < 6; i++) h.addAgent();
    h.advance(INTERVAL);
    expect(h.offersFor(f1).length + h.offersFor(f2).length).toBe(6);
    expect(new MasterHarness().config.allocatorSorter).toBe("drf");
    expect(() => new MasterHarness({ STRATA_ALLOCATOR_SORTER: "fair" })).toThrow(/STRATA_ALLOCATOR_SORTER/);
  });
});
