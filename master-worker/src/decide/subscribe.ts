/**
 * SUBSCRIBE, decided purely: a new framework, or the same one resuming with its id (its
 * FrameworkInfo checked against the caller, its roles and the register ACL).
 */
import type { CallOf } from "../../../schemas/index.ts";
import { type Rejection, reject } from "../model/rejection.ts";
import type { DecideContext, Effect } from "./effects.ts";
import { checkRegisterAuthorized } from "./scheduler-acls.ts";
import { checkSubscriptionRoles, subscribeSuppression } from "./subscription-roles.ts";
import { type MasterView, ofFramework, offersGone } from "./view.ts";

/** SUBSCRIBE: a new framework, or the same one resuming with its id. */
export function decideSubscribe(
  view: MasterView,
  call: CallOf<"SUBSCRIBE">,
  principal: string | undefined,
  ctx: DecideContext,
  newId: () => string,
): { frameworkId: string; effects: Effect[] } | Rejection {
  const info = call.subscribe.framework_info;
  const given = call.framework_id?.value;
  if (given && info.id && info.id.value !== given) {
    return reject("invalid", "subscribe.framework_info.id", "must equal the call's framework_id");
  }
  if (view.config.authenticateFrameworks && info.principal !== undefined && principal !== undefined && info.principal !== principal) {
    return reject("forbidden", "subscribe.framework_info.principal", `'${info.principal}' is not the authenticated principal`);
  }
  const refused = checkSubscriptionRoles(info, call.subscribe.suppressed_roles) ?? checkRegisterAuthorized(view, info, principal, "subscribe.framework_info");
  if (refused) return refused;
  const fid = given ?? info.id?.value;
  const existing = fid ? view.frameworks.get(fid) : undefined;
  if (existing?.removed) return reject("forbidden", "framework_id", `framework '${fid}' was torn down; subscribe without an id`);
  if (existing && existing.principal !== undefined && existing.principal !== principal) {
    return reject("forbidden", "framework_id", `framework '${fid}' belongs to another principal`);
  }
  const frameworkId = fid ?? `${newId()}-0000`;
  // Only an authenticated principal owns a framework; a self-declared one is just information.
  const effects: Effect[] = [
    {
      kind: "framework",
      framework: {
        id: frameworkId,
        info: { ...info, id: { value: frameworkId }, ...(principal ? { principal: principal } : {}) },
        ...(principal ? { principal: principal } : {}),
        registeredAt: existing?.registeredAt ?? ctx.now,
        removed: false,
      },
    },
    ...subscribeSuppression(frameworkId, call.subscribe.suppressed_roles),
    { kind: "allocate" },
  ];
  // A failover: offers sent on the old stream are unknown to the new scheduler instance and
  // would hold their resources forever; withdraw them so they are offered again.
  effects.push(...offersGone(view, ofFramework(frameworkId), false));
  return { frameworkId, effects };
}
