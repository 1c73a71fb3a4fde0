/**
 * Operator API calls that reserve and unreserve resources and create and destroy persistent
 * volumes on one agent (Mesos RESERVE_RESOURCES, UNRESERVE_RESOURCES, CREATE_VOLUMES,
 * DESTROY_VOLUMES). They take from what no task on the agent uses; offers that hold resources
 * the call converts are rescinded first (only when what is neither used nor offered does not
 * suffice). The operator's principal must be the one named in reservations and volumes (when
 * it has one); ACLs as for frameworks. The answer is an empty 200.
 */

import type { Resource } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import type { CreateVolumesCall, DestroyVolumesCall, ReserveResourcesCall, UnreserveResourcesCall } from "../../../schemas/reservations.ts";
import { add, contains, subtract } from "../../../sdk/src/resources.ts";
import type { MasterCore } from "../core/master-core.ts";
import { conversionEffects } from "../decide/accept-steps.ts";
import type { Effect } from "../decide/effects.ts";
import { agentMachineMode } from "../decide/maintenance.ts";
import { applyReservationOp, type ReservationOp } from "../decide/reservations.ts";
import type { MasterView } from "../decide/view.ts";
import { isRejection, type Rejection, reject } from "../model/rejection.ts";
import { applied, type OperatorContext, type OperatorHandlers } from "./types.ts";

/** What the active tasks on `agentId` use. */
function usedOn(view: MasterView, agentId: string): Resource[] {
  let used: Resource[] = [];
  for (const t of view.tasks.values()) if (t.agentId === agentId && !isTerminal(t.state)) used = add(used, t.info.resources);
  return used;
}

/**
 * Decides an operator's conversion on one agent: the agent's new total, the DESTROY_VOLUMES
 * command when volumes go, and RESCINDs for the offers in the way. Pure.
 */
export function decideOperatorConversion(
  view: MasterView,
  agentId: string,
  op: ReservationOp,
  principal: string | undefined,
  field: string,
): Effect[] | Rejection {
  const agent = view.agents.get(agentId);
  if (!agent) return reject("invalid", `${field}.agent_id`, `unknown agent '${agentId}'`);
  // As Mesos, which knows only registered agents here: a gone, unreachable or DOWN agent does
  // not carry a change out now (Mesos refuses them; try again once it is back).
  if (agent.goneAt !== undefined) return reject("invalid", `${field}.agent_id`, `agent '${agentId}' is gone (MARK_AGENT_GONE)`);
  if (agent.unreachableAt !== undefined)
    return reject("invalid", `${field}.agent_id`, `agent '${agentId}' is unreachable; try again once it has registered again`);
  if (agentMachineMode(view, agent) === "DOWN") return reject("invalid", `${field}.agent_id`, `agent '${agentId}' is on a machine DOWN for maintenance`);
  const available = subtract(agent.resources, usedOn(view, agentId));
  const body = op.type === "CREATE" || op.type === "DESTROY" ? "volumes" : "resources";
  const state = applyReservationOp(
    { total: agent.resources, available, destroyed: [] },
    op,
    { authorizer: view.authorizer, principal, refinement: true },
    `${field}.${body}`,
  );
  if (isRejection(state)) return state;
  const effects = conversionEffects(agent, state);
  const taken = subtract(agent.resources, state.total);
  const offers = [...view.offers.values()].map((o) => o.offer).filter((o) => o.agent_id.value === agentId);
  const free = offers.reduce((left, o) => subtract(left, o.resources), available);
  if (!contains(free, taken)) {
    // Rescind the offers holding any of what the call takes (by resource identity).
    for (const o of offers) {
      if (!contains(subtract(o.resources, taken), o.resources)) effects.push({ kind: "offerGone", offerId: o.id.value, rescind: true });
    }
  }
  return effects;
}

function run(core: MasterCore, ctx: OperatorContext, agentId: string, op: ReservationOp, field: string): Rejection | undefined {
  return applied(core, decideOperatorConversion(core, agentId, op, ctx.principal, field), ctx.now);
}

/** The handlers, by call type. */
export const reservationCalls: OperatorHandlers = {
  RESERVE_RESOURCES: (core, call: ReserveResourcesCall, ctx) =>
    run(core, ctx, call.reserve_resources.agent_id.value, { type: "RESERVE", resources: call.reserve_resources.resources }, "reserve_resources"),
  UNRESERVE_RESOURCES: (core, call: UnreserveResourcesCall, ctx) =>
    run(core, ctx, call.unreserve_resources.agent_id.value, { type: "UNRESERVE", resources: call.unreserve_resources.resources }, "unreserve_resources"),
  CREATE_VOLUMES: (core, call: CreateVolumesCall, ctx) =>
    run(core, ctx, call.create_volumes.agent_id.value, { type: "CREATE", resources: call.create_volumes.volumes }, "create_volumes"),
  DESTROY_VOLUMES: (core, call: DestroyVolumesCall, ctx) =>
    run(core, ctx, call.destroy_volumes.agent_id.value, { type: "DESTROY", resources: call.destroy_volumes.volumes }, "destroy_volumes"),
};
