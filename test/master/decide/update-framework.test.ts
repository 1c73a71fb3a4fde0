/**
 * UPDATE_FRAMEWORK (update-framework.ts): what may change, what may not (400 naming the field),
 * offers of a role the framework left, and a new failover_timeout taking effect.
 */
import { describe, expect, it } from "vitest";
import { HttpError } from "../../../master-worker/src/edge/http-error.ts";
import { breakStream, INTERVAL } from "../../support/lifecycle.ts";
import { MasterHarness } from "../../support/master-harness.ts";

function httpError(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    return e as HttpError;
  }
  throw new Error("expected an HttpError");
}

function subscribed() {
  const h = new MasterHarness({ STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "1000000" });
  const agent = h.addAgent("cpus:4;mem:4096");
  const { frameworkId: fid } = h.subscribe("fw", "alice", { role: "a" });
  const info = () => h.core.frameworks.get(fid)!.info;
  const update = (changes: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    h.call(fid, { type: "UPDATE_FRAMEWORK", update_framework: { framework_info: { ...info(), ...changes }, ...extra } });
  return { h, agent, fid, info, update };
}

describe("UPDATE_FRAMEWORK", () => {
  it("changes name, roles, capabilities, failover_timeout and labels, persisted", () => {
    const { h, fid, info, update } = subscribed();
    update({
      name: "renamed",
      roles: ["a", "b"],
      failover_timeout: 42,
      capabilities: [{ type: "MULTI_ROLE" }, { type: "PARTITION_AWARE" }],
      labels: { labels: [{ key: "team", value: "x" }] },
    });
    expect(info()).toMatchObject({ name: "renamed", roles: ["a", "b"], failover_timeout: 42, principal: "alice", id: { value: fid } });
    expect(info().capabilities!.map((c) => c.type)).toEqual(["MULTI_ROLE", "PARTITION_AWARE"]);
    expect(h.store.load().frameworks.find((f) => f.id === fid)!.info).toEqual(info());
  });

  it("refuses a framework_info.id other than the call's, and changes of principal, user or checkpoint (400 naming the field)", () => {
    const { info, update } = subscribed();
    const before = info();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ id: { value: "other" } }, /^update_framework\.framework_info\.id:/],
      [{ id: undefined }, /^update_framework\.framework_info\.id:/],
      [{ principal: "mallory" }, /^update_framework\.framework_info\.principal: cannot be changed/],
      [{ user: "root" }, /^update_framework\.framework_info\.user: cannot be changed/],
      [{ checkpoint: true }, /^update_framework\.framework_info\.checkpoint: cannot be changed/],
      [{ roles: ["a", "bad role"] }, /^update_framework\.framework_info\.roles\[1\]:/],
    ];
    for (const [changes, message] of cases) {
      const err = httpError(() => update(changes));
      expect(err.status).toBe(400);
      expect(err.message).toMatch(message);
    }
    expect(httpError(() => update({}, { suppressed_roles: ["zzz"] })).message).toMatch(/^update_framework\.suppressed_roles\[0\]: 'zzz'/);
    expect(info()).toEqual(before);
  });

  it("rescinds offers made to a role the framework left", () => {
    const { h, fid, update } = subscribed();
    h.advance(INTERVAL);
    const [offer] = h.offersFor(fid);
    expect(offer!.resources.every((r) => r.allocation_info?.role === "a")).toBe(true);
    update({ roles: ["a", "b"] });
    expect(h.eventsOf(fid, "RESCIND")).toEqual([]);
    update({ roles: ["b"] });
    expect(h.eventsOf(fid, "RESCIND").map((e) => e.rescind.offer_id.value)).toEqual([offer!.id.value]);
    expect(h.core.offers.has(offer!.id.value)).toBe(false);
  });

  it("suppressed_roles suppresses those roles; an update without them revives them", () => {
    const { h, fid, update } = subscribed();
    update({}, { suppressed_roles: ["a"] });
    expect([...(h.core.suppressedRoles.get(fid) ?? [])]).toEqual(["a"]);
    h.advance(INTERVAL * 3);
    expect(h.allOffersFor(fid)).toEqual([]);
    update({});
    expect(h.core.suppressedRoles.has(fid)).toBe(false);
    h.advance(INTERVAL);
    expect(h.offersFor(fid)).toHaveLength(1);
  });

  it("dropping GPU_RESOURCES rescinds its offers holding GPUs", () => {
    const h = new MasterHarness();
    h.addAgent("cpus:4;mem:4096;gpus:2");
    const { frameworkId: fid } = h.subscribe("gpu", undefined, { role: "a", capabilities: ["GPU_RESOURCES"] });
    h.advance(INTERVAL);
    const [offer] = h.offersFor(fid);
    expect(offer!.resources.some((r) => r.name === "gpus")).toBe(true);
    const info = h.core.frameworks.get(fid)!.info;
    h.call(fid, { type: "UPDATE_FRAMEWORK", update_framework: { framework_info: { ...info, name: "renamed" } } });
    expect(h.eventsOf(fid, "RESCIND")).toEqual([]); // still GPU_RESOURCES
    h.call(fid, {
      type: "UPDATE_FRAMEWORK",
      update_framework: { framework_info: { ...info, capabilities: info.capabilities!.filter((c) => c.type !== "GPU_RESOURCES") } },
    });
    expect(h.eventsOf(fid, "RESCIND").map((e) => e.rescind.offer_id.value)).toEqual([offer!.id.value]);
    h.advance(INTERVAL * 10);
    expect(h.offersFor(fid)).toEqual([]); // the GPU agent is not offered to it any more
  });

  it("a new failover_timeout applies at the next disconnection", () => {
    const { h, fid, update } = subscribed();
    update({ failover_timeout: 10 });
    breakStream(h, fid);
    h.advance(9_999);
    expect(h.core.frameworks.get(fid)!.removed).toBe(false);
    h.advance(1);
    expect(h.core.frameworks.get(fid)!.removed).toBe(true);
  });
});
