/**
 * The scheduler-API side of roles: which roles a subscribing framework may name (Mesos
 * MULTI_ROLE rules), and the suppression effects of SUBSCRIBE's `suppressed_roles`, SUPPRESS and
 * REVIVE. Kept here so `subscribe.ts` only calls in.
 */
import type { CallOf, FrameworkInfo } from "../../../schemas/index.ts";
import { roleProblem } from "../../../sdk/src/roles.ts";
import { frameworkRoles } from "../allocator/index.ts";
import { hasCapability } from "../model/capabilities.ts";
import { type Rejection, reject } from "../model/rejection.ts";
import type { Effect } from "./effects.ts";

/**
 * A refusal naming the field when a subscription's roles are not acceptable: `roles` needs the
 * MULTI_ROLE capability (and then `role` must not be set), roles must be valid names and not
 * repeated, and `suppressed_roles` must be roles of the framework.
 */
export function checkSubscriptionRoles(
  info: FrameworkInfo,
  suppressedRoles: readonly string[] | undefined,
  call: "subscribe" | "update_framework" = "subscribe",
): Rejection | undefined {
  const field = `${call}.framework_info`;
  const multi = hasCapability(info, "MULTI_ROLE");
  if (info.roles !== undefined && info.roles.length > 0) {
    if (!multi) return reject("invalid", `${field}.roles[0]`, "'roles' needs the MULTI_ROLE capability (use 'role' otherwise)");
    if (info.role !== undefined) return reject("invalid", `${field}.role`, "must not be set together with 'roles' (MULTI_ROLE)");
    const seen = new Set<string>();
    for (const [i, role] of info.roles.entries()) {
      const problem = roleProblem(role);
      if (problem) return reject("invalid", `${field}.roles[${i}]`, problem);
      if (seen.has(role)) return reject("invalid", `${field}.roles[${i}]`, `'${role}' is listed twice`);
      seen.add(role);
    }
  } else if (info.role !== undefined) {
    const problem = roleProblem(info.role);
    if (problem) return reject("invalid", `${field}.role`, problem);
  }
  return suppressedRoles ? checkOwnRoles(info, suppressedRoles, `${call}.suppressed_roles`) : undefined;
}

/** A refusal unless every role of `roles` is one of the framework's (`field[i]` named). */
function checkOwnRoles(info: Pick<FrameworkInfo, "role" | "roles">, roles: readonly string[], field: string): Rejection | undefined {
  const own = frameworkRoles(info);
  const i = roles.findIndex((role) => !own.includes(role));
  return i < 0 ? undefined : reject("invalid", `${field}[${i}]`, `'${roles[i]}' is not one of the framework's roles (${own.join(", ")})`);
}

/** SUBSCRIBE and UPDATE_FRAMEWORK: suppression starts afresh, with `suppressed_roles` suppressed. */
export function subscribeSuppression(frameworkId: string, suppressedRoles: readonly string[] | undefined): Effect[] {
  const effects: Effect[] = [{ kind: "suppress", frameworkId, suppressed: false }];
  if (suppressedRoles && suppressedRoles.length > 0) effects.push({ kind: "suppress", frameworkId, suppressed: true, roles: [...suppressedRoles] });
  return effects;
}

/**
 * SUPPRESS / REVIVE: for the roles named (`roles`, or REVIVE's older single `role`), or every
 * role when none is named. REVIVE also clears the framework's refuse filters for those roles
 * (filters are kept per framework, role and agent, as in Mesos; all of them without roles) and
 * asks for an allocation.
 */
export function suppressionEffects(
  info: Pick<FrameworkInfo, "role" | "roles">,
  frameworkId: string,
  call: CallOf<"SUPPRESS"> | CallOf<"REVIVE">,
): Effect[] | Rejection {
  if (call.type === "SUPPRESS") {
    const roles = call.suppress?.roles;
    const refused = roles && roles.length > 0 ? checkOwnRoles(info, roles, "suppress.roles") : undefined;
    if (refused) return refused;
    return [{ kind: "suppress", frameworkId, suppressed: true, ...(roles && roles.length > 0 ? { roles: [...roles] } : {}) }];
  }
  const roles = call.revive?.roles && call.revive.roles.length > 0 ? call.revive.roles : call.revive?.role !== undefined ? [call.revive.role] : undefined;
  const refused = roles ? checkOwnRoles(info, roles, call.revive?.roles?.length ? "revive.roles" : "revive.role") : undefined;
  if (refused) return refused;
  return [
    { kind: "clearFilters", frameworkId, ...(roles ? { roles: [...roles] } : {}) },
    { kind: "suppress", frameworkId, suppressed: false, ...(roles ? { roles: [...roles] } : {}) },
    { kind: "allocate" },
  ];
}
