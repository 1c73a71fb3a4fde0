/**
 * UPDATE_FRAMEWORK (Mesos scheduler API, 1.9+): a subscribed framework changes its FrameworkInfo
 * (name, roles, capabilities, failover_timeout, labels, hostname, webui_url, …) without
 * re-subscribing. As in Mesos: `framework_info.id` must equal the call's framework_id, and
 * `principal`, `user` and `checkpoint` cannot change (refused, naming the field); the new roles are
 * checked against the `register_frameworks` ACL as at SUBSCRIBE; offers made to a role the
 * framework has left (or, once it drops REVOCABLE_RESOURCES / GPU_RESOURCES, that hold revocable
 * resources / GPUs) are rescinded; `suppressed_roles` replaces the suppressed roles, as at
 * SUBSCRIBE.
 */

import type { CallOf, Offer } from "../../../schemas/index.ts";
import { frameworkRoles } from "../allocator/index.ts";
import { hasCapability } from "../model/capabilities.ts";
import { type Rejection, reject } from "../model/rejection.ts";
import type { DecideContext, Effect } from "./effects.ts";
import { checkRegisterAuthorized } from "./scheduler-acls.ts";
import { checkSubscriptionRoles, subscribeSuppression } from "./subscription-roles.ts";
import { type MasterView, offersGone } from "./view.ts";

const FIELD = "update_framework.framework_info";

/** UPDATE_FRAMEWORK for framework `fid` (already checked to own the stream). */
export function decideUpdateFramework(view: MasterView, fid: string, call: CallOf<"UPDATE_FRAMEWORK">, ctx: DecideContext): Effect[] | Rejection {
  const existing = view.frameworks.get(fid)!;
  const info = call.update_framework.framework_info;
  if (info.id?.value !== fid) return reject("invalid", `${FIELD}.id`, `must be set to the call's framework_id '${fid}'`);
  const before = existing.info;
  // The master stores the authenticated principal in the info; an update may omit it.
  if (info.principal !== undefined && info.principal !== before.principal) {
    return reject("invalid", `${FIELD}.principal`, `cannot be changed (is '${before.principal ?? ""}')`);
  }
  if (info.user !== before.user) return reject("invalid", `${FIELD}.user`, `cannot be changed (is '${before.user}')`);
  if ((info.checkpoint ?? false) !== (before.checkpoint ?? false)) return reject("invalid", `${FIELD}.checkpoint`, "cannot be changed");
  const suppressed = call.update_framework.suppressed_roles ?? [];
  const refused = checkSubscriptionRoles(info, suppressed, "update_framework") ?? checkRegisterAuthorized(view, info, ctx.principal, FIELD);
  if (refused) return refused;
  const roles = frameworkRoles(info);

  const next = { ...info, id: { value: fid }, ...(before.principal !== undefined ? { principal: before.principal } : {}) };
  const kept = new Set(roles);
  // Offers it may no longer hold: of a role it left, revocable ones without REVOCABLE_RESOURCES,
  // ones with GPUs without GPU_RESOURCES.
  const revocable = hasCapability(next, "REVOCABLE_RESOURCES"),
    gpus = hasCapability(next, "GPU_RESOURCES");
  const leftRole = (o: Offer) =>
    o.framework_id.value === fid &&
    o.resources.some(
      (r) =>
        !kept.has(r.allocation_info?.role ?? "*") || (!revocable && r.revocable !== undefined) || (!gpus && r.name === "gpus" && (r.scalar?.value ?? 0) > 0),
    );
  return [
    { kind: "framework", framework: { ...existing, info: next } },
    ...subscribeSuppression(fid, suppressed),
    { kind: "allocate" },
    ...offersGone(view, leftRole, true),
  ];
}
