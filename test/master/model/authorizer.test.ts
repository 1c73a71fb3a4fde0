/**
 * The local authorizer's rule semantics (Mesos docs/authorization.md): first matching rule wins,
 * ANY/NONE entities, anonymous requests, `permissive`, and config errors naming the field.
 */
import { describe, expect, it } from "vitest";
import { PERMISSIVE, parseAcls, requireAuthorized } from "../../../master-worker/src/model/authorizer.ts";

describe("ACL authorizer", () => {
  const acls = parseAcls(JSON.stringify({
    permissive: false,
    register_frameworks: [
      { principals: { values: ["ops"] }, roles: { type: "NONE" } },
      { principals: { values: ["alice", "bob"] }, roles: { values: ["eng", "eng/backend"] } },
      { principals: { type: "ANY" }, roles: { values: ["public"] } },
    ],
    update_quotas: [{ principals: { type: "ANY" }, roles: { type: "ANY" } }],
  }));

  it("takes the first rule whose subject and object match", () => {
    expect(acls.allows("register_frameworks", "alice", "eng")).toBe(true);
    expect(acls.allows("register_frameworks", "bob", "eng/backend")).toBe(true);
    expect(acls.allows("register_frameworks", "alice", "ops")).toBe(false); // no rule matches → not permissive
    expect(acls.allows("register_frameworks", "carol", "public")).toBe(true);
  });

  it("NONE as object denies the subject everything, even what a later rule allows", () => {
    expect(acls.allows("register_frameworks", "ops", "public")).toBe(false);
  });

  it("an anonymous request matches only ANY subjects", () => {
    expect(acls.allows("register_frameworks", undefined, "public")).toBe(true);
    expect(acls.allows("register_frameworks", undefined, "eng")).toBe(false);
  });

  it("falls back to permissive for actions without rules", () => {
    expect(acls.allows("update_quotas", "anyone", "eng")).toBe(true);
    expect(acls.allows("get_quotas", "anyone", "eng")).toBe(false);
    expect(parseAcls(JSON.stringify({ permissive: true })).allows("get_quotas", "x", "y")).toBe(true);
  });

  it("without ACLs everything is allowed", () => {
    expect(parseAcls(undefined)).toBe(PERMISSIVE);
    expect(parseAcls("  ")).toBe(PERMISSIVE);
  });

  it("bad configuration names the field", () => {
    expect(() => parseAcls("{")).toThrow(/^STRATA_ACLS: not valid JSON/);
    expect(() => parseAcls(JSON.stringify({ run_taskz: [] }))).toThrow(/STRATA_ACLS/);
    expect(() => parseAcls(JSON.stringify({ run_tasks: [{ principals: { values: [] } }] }))).toThrow(/STRATA_ACLS\.run_tasks\[0\]\.principals/);
  });

  it("requireAuthorized throws 403 naming principal, action and object", () => {
    expect(() => requireAuthorized(acls, "register_frameworks", "alice", "ops", "subscribe.framework_info.roles"))
      .toThrow("subscribe.framework_info.roles: principal 'alice' is not authorized to register frameworks for 'ops'");
    try { requireAuthorized(acls, "get_quotas", undefined, "eng", "get_quota"); } catch (e) { expect((e as { status: number }).status).toBe(403); }
  });
});
