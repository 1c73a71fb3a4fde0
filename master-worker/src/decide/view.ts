/**
 * The read-only picture of the cluster that pure deciders look at. `MasterCore` implements it.
 */
import type { Offer, TaskState, TaskStatus } from "../../../schemas/index.ts";
import type { Authorizer } from "../model/authorizer.ts";
import type { MasterConfig } from "../model/config.ts";
import type { AgentRecord, CommandRecord, FrameworkRecord, TaskRecord, UpdateRecord } from "../store/records.ts";
import type { UpdateIndex } from "../store/update-index.ts";
import type { DecideContext, Effect, RefuseFilter } from "./effects.ts";
import type { InverseOfferView } from "./inverse-offer-book.ts";

/** An outstanding offer and when it was made. */
export interface OfferRecord {
  offer: Offer;
  createdAt: number;
}

/** What deciders may read: records, offers, filters and liveness, never storage or the clock. */
export interface MasterView {
  readonly config: MasterConfig;
  readonly agents: ReadonlyMap<string, AgentRecord>;
  readonly frameworks: ReadonlyMap<string, FrameworkRecord>;
  readonly tasks: ReadonlyMap<string, TaskRecord>;
  readonly updates: ReadonlyMap<string, UpdateRecord> & Pick<UpdateIndex, "countForTask" | "ackedFor" | "dueForResend">;
  readonly commands: ReadonlyMap<string, readonly CommandRecord[]>;
  readonly offers: ReadonlyMap<string, OfferRecord>;
  readonly filters: readonly RefuseFilter[];
  readonly suppressed: ReadonlySet<string>;
  /** Roles each framework suppressed one by one (allocator/suppression.ts); sets are replaced, never edited. */
  readonly suppressedRoles: ReadonlyMap<string, ReadonlySet<string>>;
  /** Cluster-wide settings by key (weights, quotas, maintenance, …); values are replaced, never edited. */
  readonly settings: ReadonlyMap<string, unknown>;
  /** Who may do what through the operator API (the ACLs and the operators); see operator-access.ts. */
  readonly authorizer: Authorizer;
  /** The ACLs alone: what the scheduler API (a framework's own work) is authorized by; see authorizer.ts. */
  readonly acls: Authorizer;
  /** Outstanding inverse offers, their answers and refuse filters (memory only; inverse-offers.ts). */
  readonly inverseOffers: InverseOfferView;
  agentConnected(agentId: string): boolean;
  /** Connected, and neither deactivated, draining nor on a DOWN machine: allocation offers only these. */
  agentActive(agentId: string): boolean;
  frameworkConnected(frameworkId: string): boolean;
}

/** Withdraws every outstanding offer `which` selects (a RESCIND is sent when `rescind`). */
export function offersGone(view: MasterView, which: (offer: Offer) => boolean, rescind: boolean): Effect[] {
  const out: Effect[] = [];
  for (const { offer } of view.offers.values()) if (which(offer)) out.push({ kind: "offerGone", offerId: offer.id.value, rescind });
  return out;
}

/** Selectors for `offersGone`. */
export const ofFramework = (frameworkId: string) => (o: Offer) => o.framework_id.value === frameworkId;
export const onAgent = (agentId: string) => (o: Offer) => o.agent_id.value === agentId;

/** A status the master itself decides (invalid launch, lost task, reconciliation answer). */
export function masterStatus(
  ctx: DecideContext,
  task: { taskId: string; agentId?: string },
  state: TaskState,
  reason: string,
  message: string,
): TaskStatus & { uuid: string } {
  return {
    task_id: { value: task.taskId },
    state,
    reason,
    message,
    source: "SOURCE_MASTER",
    ...(task.agentId ? { agent_id: { value: task.agentId } } : {}),
    timestamp: ctx.now / 1000,
    uuid: ctx.uuid(),
  };
}

/** An UPDATE event the master sends without keeping it: no uuid, nothing to acknowledge. */
export function transientUpdate(frameworkId: string, status: TaskStatus): Effect {
  const { uuid: _none, ...rest } = status;
  return { kind: "event", frameworkId, event: { type: "UPDATE", update: { status: rest } } };
}
