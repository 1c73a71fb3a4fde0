/**
 * Weights and quota through the master: the operator calls (UPDATE_/GET_WEIGHTS,
 * UPDATE_/GET_QUOTA) with their validation and ACLs, settings surviving a restart, and the
 * allocator honouring them in the offers frameworks receive.
 */
import { describe, expect, it } from "vitest";
import { operatorCall } from "../../../master-worker/src/operator/index.ts";
import { parseOperatorCall } from "../../../schemas/operator.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { MasterHarness, TEST_OPERATOR } from "../../support/master-harness.ts";
import { orThrow } from "../../support/refused.ts";

const INTERVAL = 1000; // the harness' STRATA_ALLOCATION_INTERVAL_MS

const op = (h: MasterHarness, json: Record<string, unknown>, principal?: string) =>
  orThrow(operatorCall(h.core, parseOperatorCall(json), { now: h.now, principal: principal ?? TEST_OPERATOR }));
const updateWeights = (h: MasterHarness, infos: Array<{ role: string; weight: number }>, principal?: string) =>
  op(h, { type: "UPDATE_WEIGHTS", update_weights: { weight_infos: infos } }, principal);
const updateQuota = (h: MasterHarness, configs: unknown[], force?: boolean, principal?: string) =>
  op(h, { type: "UPDATE_QUOTA", update_quota: { ...(force !== undefined ? { force } : {}), quota_configs: configs } }, principal);
/** The cpus of the offers `fid` holds now. */
const offeredCpus = (h: MasterHarness, fid: string) => h.offersFor(fid).reduce((s, o) => s + scalarOf(o.resources, "cpus"), 0);

/** Two 4-cpu agents, a 6-cpu guarantee for role prod, and a framework of role dev offered what is left. */
function guaranteeHeldBack() {
  const h = new MasterHarness();
  h.addAgent("cpus:4;mem:4096");
  h.addAgent("cpus:4;mem:4096");
  updateQuota(h, [{ role: "prod", guarantees: scalars({ cpus: 6 }) }]);
  const other = h.subscribe("other", undefined, { role: "dev" }).frameworkId;
  h.advance(INTERVAL);
  return { h, other };
}

const scalars = (q: Record<string, number>) => Object.fromEntries(Object.entries(q).map(([k, value]) => [k, { value }]));

const ACLS = JSON.stringify({
  permissive: true,
  update_weights: [
    { principals: { values: ["ops"] }, roles: { type: "ANY" } },
    { principals: { type: "ANY" }, roles: { type: "NONE" } },
  ],
  view_roles: [
    { principals: { values: ["dev"] }, roles: { values: ["dev"] } },
    { principals: { values: ["dev"] }, roles: { type: "NONE" } },
  ],
  update_quotas: [{ principals: { values: ["dev"] }, roles: { type: "NONE" } }],
  get_quotas: [
    { principals: { values: ["dev"] }, roles: { values: ["dev"] } },
    { principals: { values: ["dev"] }, roles: { type: "NONE" } },
  ],
});

describe("UPDATE_WEIGHTS / GET_WEIGHTS", () => {
  it("stores weights (a setting that survives a restart) and lists them by role", () => {
    const h = new MasterHarness();
    expect(op(h, { type: "GET_WEIGHTS" })).toEqual({ type: "GET_WEIGHTS", get_weights: { weight_infos: [] } });
    expect(
      updateWeights(h, [
        { role: "web", weight: 2 },
        { role: "eng/batch", weight: 0.5 },
      ]),
    ).toBeUndefined();
    updateWeights(h, [{ role: "web", weight: 3 }]);
    const want = {
      type: "GET_WEIGHTS",
      get_weights: {
        weight_infos: [
          { role: "eng/batch", weight: 0.5 },
          { role: "web", weight: 3 },
        ],
      },
    };
    expect(op(h, { type: "GET_WEIGHTS" })).toEqual(want);
    h.restart();
    expect(op(h, { type: "GET_WEIGHTS" })).toEqual(want);
  });

  it("rejects bad entries, naming the field, and changes nothing", () => {
    const h = new MasterHarness();
    expect(() =>
      updateWeights(h, [
        { role: "ok", weight: 1 },
        { role: "web", weight: 0 },
      ]),
    ).toThrow(/update_weights\.weight_infos\[1\]\.weight: must be a positive number/);
    expect(() => updateWeights(h, [{ role: "a//b", weight: 1 }])).toThrow(/update_weights\.weight_infos\[0\]\.role: /);
    expect(() =>
      updateWeights(h, [
        { role: "x", weight: 1 },
        { role: "x", weight: 2 },
      ]),
    ).toThrow(/weight_infos\[1\]\.role: 'x' is listed twice/);
    expect(() => op(h, { type: "UPDATE_WEIGHTS", update_weights: { weight_infos: [{ role: "x" }] } })).toThrow(/weight/);
    expect(op(h, { type: "GET_WEIGHTS" })).toEqual({ type: "GET_WEIGHTS", get_weights: { weight_infos: [] } });
  });

  it("ACLs: update_weights per role; GET_WEIGHTS shows only roles the principal may view", () => {
    const h = new MasterHarness({ STRATA_ACLS: ACLS });
    expect(() => updateWeights(h, [{ role: "web", weight: 2 }], "dev")).toThrow(/not authorized to update weights for 'web'/);
    updateWeights(
      h,
      [
        { role: "web", weight: 2 },
        { role: "dev", weight: 4 },
      ],
      "ops",
    );
    expect(op(h, { type: "GET_WEIGHTS" }, "dev")).toEqual({ type: "GET_WEIGHTS", get_weights: { weight_infos: [{ role: "dev", weight: 4 }] } });
    expect((op(h, { type: "GET_WEIGHTS" }, "ops") as { get_weights: { weight_infos: unknown[] } }).get_weights.weight_infos).toHaveLength(2);
  });

  it("the allocator divides a role's share by its weight", () => {
    // a holds cpus 4 / mem 4096, b cpus 2 / mem 1024; pool with the third agent: cpus 10, mem 9216
    // shares a: max(0.4, 0.444) = 0.444, b: max(0.2, 0.111) = 0.2 → b gets the new agent;
    // with weight a = 3: 0.444 / 3 = 0.148 < 0.2 → a gets it
    for (const weight of [undefined, 3]) {
      const h = new MasterHarness();
      const fa = h.subscribe("fa", undefined, { role: "a" }).frameworkId;
      const fb = h.subscribe("fb", undefined, { role: "b" }).frameworkId;
      const ag1 = h.addAgent("cpus:4;mem:4096");
      h.advance(INTERVAL);
      const [oa] = h.offersFor(fa); // a and b tie at 0: "a" comes first by name
      h.accept(fa, [oa!.id.value], [{ taskId: "ta", agentId: ag1, resources: "cpus:4;mem:4096" }]);
      const ag2 = h.addAgent("cpus:2;mem:1024");
      h.advance(INTERVAL);
      const [ob] = h.offersFor(fb);
      h.accept(fb, [ob!.id.value], [{ taskId: "tb", agentId: ag2, resources: "cpus:2;mem:1024" }]);
      if (weight) updateWeights(h, [{ role: "a", weight }]);
      h.addAgent("cpus:4;mem:4096");
      h.advance(INTERVAL);
      expect(h.offersFor(weight ? fa : fb), `weight ${weight}`).toHaveLength(1);
      expect(h.offersFor(weight ? fb : fa), `weight ${weight}`).toHaveLength(0);
    }
  });
});

describe("UPDATE_QUOTA / GET_QUOTA", () => {
  it("stores guarantees and limits and answers QuotaStatus (configs and legacy infos)", () => {
    const h = new MasterHarness();
    h.addAgent("cpus:8;mem:8192");
    expect(updateQuota(h, [{ role: "eng", guarantees: scalars({ cpus: 2 }), limits: scalars({ cpus: 4, mem: 4096 }) }])).toBeUndefined();
    const want = {
      type: "GET_QUOTA",
      get_quota: {
        status: {
          infos: [{ role: "eng", guarantee: [{ name: "cpus", type: "SCALAR", scalar: { value: 2 } }] }],
          configs: [{ role: "eng", guarantees: { cpus: { value: 2 } }, limits: { cpus: { value: 4 }, mem: { value: 4096 } } }],
        },
      },
    };
    expect(op(h, { type: "GET_QUOTA" })).toEqual(want);
    h.restart();
    expect(op(h, { type: "GET_QUOTA" })).toEqual(want);
    updateQuota(h, [{ role: "eng" }]); // neither guarantees nor limits: back to the default
    expect(op(h, { type: "GET_QUOTA" })).toEqual({ type: "GET_QUOTA", get_quota: { status: { infos: [], configs: [] } } });
  });

  it("rejects a guarantee above its limit, '*', bad quantities and a child above its parent", () => {
    const h = new MasterHarness();
    h.addAgent("cpus:8;mem:8192");
    expect(() => updateQuota(h, [{ role: "eng", guarantees: scalars({ cpus: 4 }), limits: scalars({ cpus: 2 }) }])).toThrow(
      /update_quota\.quota_configs\[0\]\.guarantees\.cpus: the guarantee 4 is above the limit 2/,
    );
    expect(() => updateQuota(h, [{ role: "*", limits: scalars({ cpus: 1 }) }])).toThrow(/quota_configs\[0\]\.role: quota cannot be set for the default role/);
    expect(() => updateQuota(h, [{ role: "eng", limits: scalars({ cpus: -1 }) }])).toThrow(/limits\.cpus/);
    expect(() =>
      updateQuota(h, [
        { role: "eng", limits: scalars({ cpus: 2 }) },
        { role: "eng/web", limits: scalars({ cpus: 3 }) },
      ]),
    ).toThrow(/quota_configs\[1\]\.limits\.cpus: 3 is above the limit 2 of its parent role 'eng'/);
    expect(() =>
      updateQuota(h, [
        { role: "eng", guarantees: scalars({ cpus: 2 }) },
        { role: "eng/a", guarantees: scalars({ cpus: 1.5 }) },
        { role: "eng/b", guarantees: scalars({ cpus: 1 }) },
      ]),
    ).toThrow(/guarantees of the roles below 'eng' add up to 2.5, above its guarantee 2/);
    expect(op(h, { type: "GET_QUOTA" })).toEqual({ type: "GET_QUOTA", get_quota: { status: { infos: [], configs: [] } } });
  });

  it("rejects guarantees the cluster cannot satisfy unless forced", () => {
    const h = new MasterHarness();
    h.addAgent("cpus:4;mem:4096");
    expect(() =>
      updateQuota(h, [
        { role: "a", guarantees: scalars({ cpus: 3 }) },
        { role: "b", guarantees: scalars({ cpus: 2 }) },
      ]),
    ).toThrow(/guarantees add up to cpus 5, more than the cluster's 4; set 'force'/);
    updateQuota(
      h,
      [
        { role: "a", guarantees: scalars({ cpus: 3 }) },
        { role: "b", guarantees: scalars({ cpus: 2 }) },
      ],
      true,
    );
    expect((op(h, { type: "GET_QUOTA" }) as { get_quota: { status: { configs: unknown[] } } }).get_quota.status.configs).toHaveLength(2);
  });

  it("ACLs: update_quotas per role; GET_QUOTA shows only roles allowed by get_quotas", () => {
    const h = new MasterHarness({ STRATA_ACLS: ACLS });
    h.addAgent("cpus:8;mem:8192");
    expect(() => updateQuota(h, [{ role: "dev", limits: scalars({ cpus: 1 }) }], false, "dev")).toThrow(/not authorized to update quotas for 'dev'/);
    updateQuota(
      h,
      [
        { role: "dev", limits: scalars({ cpus: 1 }) },
        { role: "web", limits: scalars({ cpus: 2 }) },
      ],
      false,
      "ops",
    );
    const seen = op(h, { type: "GET_QUOTA" }, "dev") as { get_quota: { status: { configs: Array<{ role: string }> } } };
    expect(seen.get_quota.status.configs.map((c) => c.role)).toEqual(["dev"]);
  });

  it("offers honour a limit: a role never holds more than it", () => {
    const h = new MasterHarness();
    const fid = h.subscribe("capped", undefined, { role: "eng" }).frameworkId;
    updateQuota(h, [{ role: "eng", limits: scalars({ cpus: 3 }) }], true);
    h.addAgent("cpus:2;mem:1024");
    h.addAgent("cpus:2;mem:1024");
    h.advance(INTERVAL);
    expect(offeredCpus(h, fid)).toBe(3);
  });

  it("headroom: resources an unmet guarantee needs are not offered to other roles", () => {
    const { h, other } = guaranteeHeldBack();
    expect(offeredCpus(h, other)).toBe(2);
    const prod = h.subscribe("prod", undefined, { role: "prod" }).frameworkId;
    h.advance(INTERVAL);
    expect(offeredCpus(h, prod)).toBe(6);
    expect(h.offersFor(prod).every((o) => o.allocation_info?.role === "prod")).toBe(true);
  });

  it("removing a quota frees the headroom it held", () => {
    const { h, other } = guaranteeHeldBack();
    const cpus = () => offeredCpus(h, other);
    expect(cpus()).toBe(2);
    updateQuota(h, [{ role: "prod" }]);
    h.advance(INTERVAL);
    expect(cpus()).toBe(8);
  });
});
