/**
 * Which decider answers each scheduler call after SUBSCRIBE: the one table from call type to
 * decision. The caller (core/scheduler-protocol.ts) has checked the framework owns the stream.
 */
import type { SchedulerCall } from "../../../schemas/index.ts";
import type { Rejection } from "../model/rejection.ts";
import type { DecideContext, Effect } from "./effects.ts";
import { decideInverseOfferAnswers } from "./inverse-offers.ts";
import { decideReconcile } from "./reconcile.ts";
import { decideAccept, decideAcknowledge, decideAcknowledgeBatch, decideDecline, decideKill, decideTeardown } from "./scheduler-calls.ts";
import { suppressionEffects } from "./subscription-roles.ts";
import { decideUpdateFramework } from "./update-framework.ts";
import type { MasterView } from "./view.ts";

/** Every call but SUBSCRIBE, for a framework already checked to own the stream. */
export function decideCall(view: MasterView, fid: string, call: Exclude<SchedulerCall, { type: "SUBSCRIBE" }>, ctx: DecideContext): Effect[] | Rejection {
  switch (call.type) {
    case "ACCEPT":
      return decideAccept(view, fid, call, ctx);
    case "DECLINE":
      return decideDecline(view, fid, call, ctx);
    case "KILL":
      return decideKill(view, fid, call, ctx);
    case "ACKNOWLEDGE":
      return decideAcknowledge(view, fid, call.acknowledge);
    case "ACKNOWLEDGE_BATCH":
      return decideAcknowledgeBatch(view, fid, call);
    case "RECONCILE":
      return decideReconcile(view, fid, call, ctx);
    case "REVIVE":
    case "SUPPRESS":
      return suppressionEffects(view.frameworks.get(fid)!.info, fid, call);
    case "TEARDOWN":
      return decideTeardown(view, fid, ctx);
    case "ACCEPT_INVERSE_OFFERS":
    case "DECLINE_INVERSE_OFFERS":
      return decideInverseOfferAnswers(view, fid, call, ctx);
    case "UPDATE_FRAMEWORK":
      return decideUpdateFramework(view, fid, call, ctx);
  }
}
