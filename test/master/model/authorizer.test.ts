/**
 * The local authorizer's rule semantics (Mesos docs/authorization.md): first matching rule wins,
 * ANY/NONE entities, anonymous requests, `permissive`, and config errors naming the field.
 */
import { describe, expect, it } from "vitest";
import { rejectionStatus } from "../../../master-worker/src/edge/http-error.ts";
import { checkAuthorized, PERMISSIVE, parseAcls } from "../../../master-worker/src/model/authorizer.ts";
import { rejectionText } from "../../../master-worker/src/model/rejection.ts";

describe("ACL authorizer", () => {
  const acls = parseAcls(
    JSON.stringify({
      permissive: false,
      register_frameworks: [
        { principals: { values: ["ops"] }, roles: { type: "NONE" } },
        { principals: { values: ["alice", "bob"] }, roles: { values: ["eng", "eng/backend"] } },
        { principals: { type: "ANY" }, roles: { values: ["public"] } },
      ],
      update_quotas: [{ principals: { type: "ANY" }, roles: { type: "ANY" } }],
    }),
  );

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

  it("checkAuthorized returns a forbidden refusal (403) naming principal, action and object", () => {
    const refused = checkAuthorized(acls, "register_frameworks", "alice", "ops", "subscribe.framework_info.roles");
    expect(refused).toEqual({
      rejected: "forbidden",
      field: "subscribe.framework_info.roles",
      message: "principal 'alice' is not authorized to register frameworks for 'ops'",
    });
    expect(rejectionText(refused!)).toBe("subscribe.framework_info.roles: principal 'alice' is not authorized to register frameworks for 'ops'");
    const anonymous = checkAuthorized(acls, "get_quotas", undefined, "eng", "get_quota");
    expect(rejectionStatus(anonymous!.rejected)).toBe(403);
    expect(rejectionText(anonymous!)).toBe("get_quota: principal '(anonymous)' is not authorized to get quotas for 'eng'");
    expect(checkAuthorized(acls, "register_frameworks", "alice", "eng", "subscribe.framework_info.roles")).toBeUndefined();
  });
});
