/**
 * An ACCEPT's operations as steps in order, for `decideAccept` (scheduler-calls.ts): each
 * LAUNCH's tasks (their resources in the master's canonical form, see reservation-format.ts),
 * and each RESERVE / UNRESERVE / CREATE / DESTROY as a conversion of what is left of the
 * offers. After the steps ran, `effects()` gives what the conversions change: the agent's
 * total (`AgentRecord.resources`, the declaration kept in `declared`) and a DESTROY_VOLUMES
 * command for the volumes destroyed.
 */
import type { OfferOperation, Resource, TaskInfo } from "../../../schemas/index.ts";
import { frameworkRoles } from "../allocator/index.ts";
import { hasCapability } from "../model/capabilities.ts";
import { isRejection, type Rejection } from "../model/rejection.ts";
import { canonicalResources } from "../model/reservation-format.ts";
import type { AgentRecord, FrameworkRecord } from "../store/records.ts";
import type { Effect } from "./effects.ts";
import { type AgentResources, applyReservationOp, type ReservationActor, reservationOpOf } from "./reservations.ts";
import type { MasterView } from "./view.ts";

/** One step of an ACCEPT. */
export type AcceptStep =
  /** `apply` gives what is left after the conversion, or why it is refused. */
  | { kind: "convert"; apply(remaining: Resource[]): Resource[] | Rejection }
  /** `index`: the task's place among all the ACCEPT's tasks (for error messages). */
  | { kind: "launch"; task: TaskInfo; index: number };

/** The steps, and the effects of the conversions once every step ran. */
export interface AcceptPlan {
  steps: AcceptStep[];
  effects(): Effect[];
}

/** A task with its resources in canonical form (the same object when they already are). */
export function canonicalTask(task: TaskInfo): TaskInfo {
  const resources = canonicalResources(task.resources);
  return resources === task.resources ? task : { ...task, resources };
}

/** The ACCEPT's operations on `agentId` for `framework` (see the file comment), or why one is refused. */
export function acceptSteps(view: MasterView, framework: FrameworkRecord, agentId: string, operations: readonly OfferOperation[]): AcceptPlan | Rejection {
  const agent = view.agents.get(agentId)!;
  const actor: ReservationActor = {
    // Only the authenticated principal is authorized (as register_frameworks and run_tasks):
    // a self-declared framework_info.principal is information, not a right.
    authorizer: view.acls,
    principal: framework.principal,
    roles: frameworkRoles(framework.info),
    refinement: hasCapability(framework.info, "RESERVATION_REFINEMENT"),
  };
  let state: AgentResources | undefined;
  const steps: AcceptStep[] = [];
  let tasks = 0;
  for (const [i, op] of operations.entries()) {
    const field = `accept.operations[${i}]`;
    const rop = reservationOpOf(op, field);
    if (isRejection(rop)) return rop;
    if (!rop) {
      for (const task of op.launch?.task_infos ?? []) steps.push({ kind: "launch", task: canonicalTask(task), index: tasks++ });
      continue;
    }
    const body = rop.type === "CREATE" || rop.type === "DESTROY" ? "volumes" : "resources";
    steps.push({
      kind: "convert",
      apply: (remaining) => {
        const next = applyReservationOp(
          { total: state?.total ?? agent.resources, available: remaining, destroyed: state?.destroyed ?? [] },
          rop,
          actor,
          `${field}.${rop.type.toLowerCase()}.${body}`,
        );
        if (isRejection(next)) return next;
        state = next;
        return state.available;
      },
    });
  }
  return { steps, effects: () => (state ? conversionEffects(agent, state) : []) };
}

/** What applied conversions change on `agent` (shared with the operator calls). */
export function conversionEffects(agent: AgentRecord, state: AgentResources): Effect[] {
  const effects: Effect[] = [{ kind: "agent", agent: { ...agent, resources: state.total, declared: agent.declared ?? agent.resources } }, { kind: "allocate" }];
  if (state.destroyed.length > 0) effects.push({ kind: "command", agentId: agent.id, command: { type: "DESTROY_VOLUMES", volumes: state.destroyed } });
  return effects;
}
