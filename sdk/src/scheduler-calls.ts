/**
 * The scheduler calls as typed methods over one abstract `send`: the wire bodies of
 * ACCEPT, DECLINE, KILL, … are built here, transport and waiting live in `SchedulerClient`.
 */
import type { Filters, FrameworkInfo, KillPolicy, TaskInfo } from "../../schemas/mesos.ts";
import type { OfferOperation, SchedulerCall } from "../../schemas/scheduler.ts";
import { type IdLike, toId } from "./ids.ts";

/** A call as the user hands it to `send`: the client adds `framework_id`. */
export type OutgoingCall = SchedulerCall extends infer C ? (C extends { type: "SUBSCRIBE" } ? never : Omit<C, "framework_id">) : never;

/** Typed scheduler calls; every method resolves when the master answered 202. */
export abstract class SchedulerCalls {
  /** Sends one call (the framework id and stream id are added). */
  abstract send(call: OutgoingCall): Promise<void>;

  /** ACCEPT: carries out `operations` on the offers (all must be on one agent). */
  accept(offerIds: readonly IdLike[], operations: OfferOperation[], filters?: Filters): Promise<void> {
    return this.send({ type: "ACCEPT", accept: { offer_ids: offerIds.map(toId), operations, ...(filters ? { filters } : {}) } });
  }

  /** ACCEPT with a single LAUNCH of `tasks`. */
  launch(offerIds: readonly IdLike[], tasks: TaskInfo[], filters?: Filters): Promise<void> {
    return this.accept(offerIds, [{ type: "LAUNCH", launch: { task_infos: tasks } }], filters);
  }

  /** DECLINE: returns the offers; `filters.refuse_seconds` keeps them away that long. */
  decline(offerIds: readonly IdLike[], filters?: Filters): Promise<void> {
    return this.send({ type: "DECLINE", decline: { offer_ids: offerIds.map(toId), ...(filters ? { filters } : {}) } });
  }

  /** KILL a task (SIGTERM, then SIGKILL after the kill policy's grace period). */
  kill(taskId: IdLike, agentId?: IdLike, killPolicy?: KillPolicy): Promise<void> {
    return this.send({
      type: "KILL",
      kill: { task_id: toId(taskId), ...(agentId ? { agent_id: toId(agentId) } : {}), ...(killPolicy ? { kill_policy: killPolicy } : {}) },
    });
  }

  /** ACKNOWLEDGE a status update (done for you unless `autoAcknowledge: false`). */
  acknowledge(agentId: IdLike, taskId: IdLike, uuid: string): Promise<void> {
    return this.send({ type: "ACKNOWLEDGE", acknowledge: { agent_id: toId(agentId), task_id: toId(taskId), uuid } });
  }

  /** RECONCILE the given tasks (explicit), or every task of the framework (implicit, no argument). */
  reconcile(tasks: ReadonlyArray<{ taskId: IdLike; agentId?: IdLike }> = []): Promise<void> {
    const list = tasks.map((t) => ({ task_id: toId(t.taskId), ...(t.agentId ? { agent_id: toId(t.agentId) } : {}) }));
    return this.send({ type: "RECONCILE", reconcile: { tasks: list } });
  }

  /** REVIVE: removes offer filters and un-suppresses (all roles, or `roles`). */
  revive(roles?: string[]): Promise<void> {
    return this.send({ type: "REVIVE", ...(roles ? { revive: { roles } } : {}) });
  }

  /** SUPPRESS: asks for no more offers (all roles, or `roles`) until REVIVE. */
  suppress(roles?: string[]): Promise<void> {
    return this.send({ type: "SUPPRESS", ...(roles ? { suppress: { roles } } : {}) });
  }

  /**
   * UPDATE_FRAMEWORK: changes the framework's info (name, roles, capabilities, failover timeout,
   * …) without re-subscribing; `info.id` is set to the framework's id when sent.
   * `suppressedRoles` replaces the suppressed set.
   */
  updateFramework(info: FrameworkInfo, suppressedRoles?: string[]): Promise<void> {
    return this.send({
      type: "UPDATE_FRAMEWORK",
      update_framework: { framework_info: info, ...(suppressedRoles ? { suppressed_roles: suppressedRoles } : {}) },
    });
  }

  /** ACCEPT_INVERSE_OFFERS: agrees to give the agents' resources back for their maintenance. */
  acceptInverseOffers(inverseOfferIds: readonly IdLike[], filters?: Filters): Promise<void> {
    return this.send({
      type: "ACCEPT_INVERSE_OFFERS",
      accept_inverse_offers: { inverse_offer_ids: inverseOfferIds.map(toId), ...(filters ? { filters } : {}) },
    });
  }

  /** DECLINE_INVERSE_OFFERS: says the resources cannot be given back (asked again after `filters.refuse_seconds`). */
  declineInverseOffers(inverseOfferIds: readonly IdLike[], filters?: Filters): Promise<void> {
    return this.send({
      type: "DECLINE_INVERSE_OFFERS",
      decline_inverse_offers: { inverse_offer_ids: inverseOfferIds.map(toId), ...(filters ? { filters } : {}) },
    });
  }
}
