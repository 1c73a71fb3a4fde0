/**
 * Secure defaults (model/operator-access.ts): who may make an operator call, and what the
 * operator API's authorizer lets each principal do — a table over the operator, a framework's
 * principal, a principal an ACL rule names, permissive mode and an anonymous caller — and the
 * settings that decide it (`STRATA_AUTHORIZATION`, `STRATA_OPERATORS`).
 */
import { describe, expect, it } from "vitest";
import { type Authorizer, PERMISSIVE, parseAcls } from "../../../master-worker/src/model/authorizer.ts";
import { readConfig } from "../../../master-worker/src/model/config.ts";
import { checkOperatorCall, type OperatorAccess, operatorAuthorizer } from "../../../master-worker/src/model/operator-access.ts";

/** quota-admin may update the quota of role eng (and only it); fw-denied is named by a rule that denies. */
const ACLS = parseAcls(
  JSON.stringify({
    update_quotas: [{ principals: { values: ["quota-admin"] }, roles: { values: ["eng"] } }],
    deactivate_agents: [{ principals: { values: ["fw-denied"] }, agents: { type: "NONE" } }],
  }),
);

const access = (mode: OperatorAccess["mode"], readsOpen = false): OperatorAccess => ({ mode, operators: ["ops"], readsOpen });

type Row = [string, Authorizer, OperatorAccess, string | undefined, string, "allowed" | "forbidden" | "unauthenticated"];

describe("checkOperatorCall", () => {
  const rows: Row[] = [
    ["the operator changes quotas", PERMISSIVE, access("operators"), "ops", "UPDATE_QUOTA", "allowed"],
    ["the operator tears a framework down", PERMISSIVE, access("operators"), "ops", "TEARDOWN", "allowed"],
    ["a framework's principal may not change quotas", PERMISSIVE, access("operators"), "fw", "UPDATE_QUOTA", "forbidden"],
    ["a framework's principal may not deactivate an agent", PERMISSIVE, access("operators"), "fw", "DEACTIVATE_AGENT", "forbidden"],
    ["a framework's principal may not tear a framework down through the operator API", PERMISSIVE, access("operators"), "fw", "TEARDOWN", "forbidden"],
    ["a framework's principal may not reserve through the operator API", PERMISSIVE, access("operators"), "fw", "RESERVE_RESOURCES", "forbidden"],
    ["an unknown call needs an operator", PERMISSIVE, access("operators"), "fw", "SET_LOGGING_LEVEL", "forbidden"],
    ["a principal an update_quotas rule names may call UPDATE_QUOTA", ACLS, access("operators"), "quota-admin", "UPDATE_QUOTA", "allowed"],
    ["... but not another call", ACLS, access("operators"), "quota-admin", "DEACTIVATE_AGENT", "forbidden"],
    ["a rule that only denies grants nothing", ACLS, access("operators"), "fw-denied", "DEACTIVATE_AGENT", "forbidden"],
    ["the ACLs' permissive fallback grants nothing", ACLS, access("operators"), "fw", "UPDATE_QUOTA", "forbidden"],
    ["permissive mode: a framework's principal changes quotas (Mesos)", PERMISSIVE, access("permissive"), "fw", "UPDATE_QUOTA", "allowed"],
    ["permissive mode: anonymous too, as Mesos without ACLs", PERMISSIVE, access("permissive"), undefined, "DEACTIVATE_AGENT", "allowed"],
    ["anonymous may not change quotas", PERMISSIVE, access("operators"), undefined, "UPDATE_QUOTA", "unauthenticated"],
    ["anonymous may not change quotas even with reads open", PERMISSIVE, access("operators", true), undefined, "UPDATE_QUOTA", "unauthenticated"],
    ["reads pass (and are filtered later)", PERMISSIVE, access("operators"), "fw", "GET_STATE", "allowed"],
    ["the operator event stream is a read", PERMISSIVE, access("operators"), "fw", "SUBSCRIBE", "allowed"],
    ["GET_HEALTH is open", PERMISSIVE, access("operators"), undefined, "GET_HEALTH", "allowed"],
    ["GET_VERSION is open", PERMISSIVE, access("operators"), "fw", "GET_VERSION", "allowed"],
  ];
  it.each(rows)("%s", (_, acls, acc, principal, type, want) => {
    const refused = checkOperatorCall(acls, acc, principal, type);
    expect(refused?.rejected ?? "allowed").toBe(want);
  });

  it("names the principal and the call, and how to be granted it", () => {
    expect(checkOperatorCall(PERMISSIVE, access("operators"), "fw", "DEACTIVATE_AGENT")).toEqual({
      rejected: "forbidden",
      field: "type",
      message:
        "principal 'fw' is not an operator: operator call 'DEACTIVATE_AGENT' needs a principal in STRATA_OPERATORS or an ACL rule of deactivate_agents naming it",
    });
    expect(checkOperatorCall(PERMISSIVE, access("operators"), undefined, "TEARDOWN")?.message).toBe(
      "operator call 'TEARDOWN' needs the credentials of an operator (STRATA_OPERATORS); anonymous callers may only read",
    );
  });
});

describe("operatorAuthorizer", () => {
  it("an operator gets what the ACLs allow, fallback included", () => {
    const a = operatorAuthorizer(ACLS, access("operators"));
    expect(a.allows("update_quotas", "ops", "dev")).toBe(true);
    expect(a.allows("view_frameworks", "ops", "root")).toBe(true);
  });

  it("a principal a rule names gets that rule's objects only: the fallback does not widen its grant", () => {
    const a = operatorAuthorizer(ACLS, access("operators"));
    expect(a.allows("update_quotas", "quota-admin", "eng")).toBe(true);
    expect(a.allows("update_quotas", "quota-admin", "dev")).toBe(false);
    expect(ACLS.allows("update_quotas", "quota-admin", "dev")).toBe(true); // what the ACLs alone say (scheduler API)
  });

  it("a framework's principal views nothing by default, its own frameworks as the ACLs allow", () => {
    const a = operatorAuthorizer(PERMISSIVE, access("operators"));
    expect(a.permissive).toBe(false);
    expect(a.allows("view_frameworks", "fw", "root")).toBe(false);
    expect(a.allows("access_sandboxes", "fw", "root")).toBe(false);
    expect(a.allows("view_flags", "fw", "flags")).toBe(false);
    expect(a.allowsOwn("view_frameworks", "fw", "root")).toBe(true);
    expect(a.allowsOwn("access_sandboxes", "fw", "root")).toBe(true);
  });

  it("open reads (STRATA_AUTHENTICATE_HTTP_READONLY=false) show anyone what the ACLs allow, but change nothing", () => {
    const a = operatorAuthorizer(PERMISSIVE, access("operators", true));
    expect(a.allows("view_frameworks", undefined, "root")).toBe(true);
    expect(a.allows("view_tasks", "fw", "root")).toBe(true);
    expect(a.allows("update_quotas", undefined, "eng")).toBe(false);
    expect(a.allows("deactivate_agents", "fw", "agent-1")).toBe(false);
  });

  it("permissive mode is the ACLs themselves", () => {
    expect(operatorAuthorizer(ACLS, access("permissive"))).toBe(ACLS);
    expect(operatorAuthorizer(PERMISSIVE, access("permissive")).allows("update_quotas", "fw", "eng")).toBe(true);
  });
});

describe("STRATA_AUTHORIZATION and STRATA_OPERATORS", () => {
  it("default to operators mode with no operator", () => {
    const c = readConfig({});
    expect(c.authorization).toBe("operators");
    expect(c.operators).toEqual([]);
  });

  it("read a mode and a comma-separated list of principals", () => {
    const c = readConfig({ STRATA_AUTHORIZATION: "permissive", STRATA_OPERATORS: " ops , admin,ops" });
    expect(c.authorization).toBe("permissive");
    expect(c.operators).toEqual(["ops", "admin"]);
  });

  it("refuse bad values naming the variable", () => {
    expect(() => readConfig({ STRATA_AUTHORIZATION: "open" })).toThrow(/STRATA_AUTHORIZATION/);
    expect(() => readConfig({ STRATA_OPERATORS: "ops,,admin" })).toThrow(/^STRATA_OPERATORS\[1\]: expected a principal name/);
    expect(() => readConfig({ STRATA_OPERATORS: "ops:secret" })).toThrow(/^STRATA_OPERATORS\[0\]: .*got 'ops:secret'/);
    expect(() => readConfig({ STRATA_OPERATORS: "a b" })).toThrow(/STRATA_OPERATORS\[0\]/);
  });
});
