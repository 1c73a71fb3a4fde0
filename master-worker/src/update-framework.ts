/**
 * UPDATE_FRAMEWORK (Mesos scheduler API, 1.9+): a subscribed framework changes its FrameworkInfo
 * (name, roles, capabilities, failover_timeout, labels, hostname, webui_url, …) without
 * re-subscribing. As in Mesos: `framework_info.id` must equal the call's framework_id, and
 * `principal`, `user` and `checkpoint` cannot change (400 naming the field); the new roles are
 * checked against the `register_frameworks` ACL as at SUBSCRIBE; offers made to a role the
 * framework has left are rescinded; `suppressed_roles` replaces the suppressed set (Strata
 * suppresses per framework: any suppressed role suppresses it, as at SUBSCRIBE).
 */
import type { CallOf, Offer } from "../../schemas/index.ts";
import { roleProblem } from "../../sdk/src/roles.ts";
import type { DecideContext, Effect } from "./effects.ts";
import { badRequest } from "./http-error.ts";
import { requireRegisterAuthorized, subscribedRoles } from "./scheduler-acls.ts";
import { type MasterView, offersGone } from "./view.ts";

const FIELD = "update_framework.framework_info";

/** UPDATE_FRAMEWORK for framework `fid` (already checked to own the stream). */
export function decideUpdateFramework(view: MasterView, fid: string, call: CallOf<"UPDATE_FRAMEWORK">, ctx: DecideContext): Effect[] {
  const existing = view.frameworks.get(fid)!;
  const info = call.update_framework.framework_info;
  if (info.id?.value !== fid) throw badRequest(`${FIELD}.id: must be set to the call's framework_id '${fid}'`);
  const before = existing.info;
  // The master stores the authenticated principal in the info; an update may omit it.
  if (info.principal !== undefined && info.principal !== before.principal) {
    throw badRequest(`${FIELD}.principal: cannot be changed (is '${before.principal ?? ""}')`);
  }
  if (info.user !== before.user) throw badRequest(`${FIELD}.user: cannot be changed (is '${before.user}')`);
  if ((info.checkpoint ?? false) !== (before.checkpoint ?? false)) throw badRequest(`${FIELD}.checkpoint: cannot be changed`);
  const roles = subscribedRoles(info);
  roles.forEach((role, i) => {
    const problem = roleProblem(role);
    if (problem) throw badRequest(`${FIELD}.roles[${i}]: ${problem}`);
  });
  requireRegisterAuthorized(view, info, ctx.principal, FIELD);
  const suppressed = call.update_framework.suppressed_roles ?? [];
  const unknown = suppressed.find((r) => !roles.includes(r));
  if (unknown !== undefined) throw badRequest(`update_framework.suppressed_roles: '${unknown}' is not one of the framework's roles`);

  const next = { ...info, id: { value: fid }, ...(before.principal !== undefined ? { principal: before.principal } : {}) };
  const kept = new Set(roles);
  const leftRole = (o: Offer) => o.framework_id.value === fid && o.resources.some((r) => !kept.has(r.allocation_info?.role ?? "*"));
  return [
    { kind: "framework", framework: { ...existing, info: next } },
    { kind: "suppress", frameworkId: fid, suppressed: suppressed.length > 0 },
    { kind: "allocate" },
    ...offersGone(view, leftRole, true),
  ];
}
