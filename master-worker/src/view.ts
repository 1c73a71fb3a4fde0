/**
 * The read-only picture of the cluster that pure deciders look at. `MasterCore` implements it.
 */
import type { Offer, TaskState, TaskStatus } from "../../schemas/index.ts";
import type { MasterConfig } from "./config.ts";
import type { DecideContext, RefuseFilter } from "./effects.ts";
import type { AgentRecord, CommandRecord, FrameworkRecord, TaskRecord, UpdateRecord } from "./records.ts";

/** An outstanding offer and when it was made. */
export interface OfferRecord { offer: Offer; createdAt: number }

export interface MasterView {
  readonly config: MasterConfig;
  readonly agents: ReadonlyMap<string, AgentRecord>;
  readonly frameworks: ReadonlyMap<string, FrameworkRecord>;
  readonly tasks: ReadonlyMap<string, TaskRecord>;
  readonly updates: ReadonlyMap<string, UpdateRecord>;
  readonly commands: ReadonlyMap<string, readonly CommandRecord[]>;
  readonly offers: ReadonlyMap<string, OfferRecord>;
  readonly filters: readonly RefuseFilter[];
  readonly suppressed: ReadonlySet<string>;
  agentConnected(agentId: string): boolean;
  frameworkConnected(frameworkId: string): boolean;
}

/** A status the master itself decides (invalid launch, lost task, reconciliation answer). */
export function masterStatus(
  ctx: DecideContext, task: { frameworkId?: string; taskId: string; agentId?: string },
  state: TaskState, reason: string, message: string,
): TaskStatus & { uuid: string } {
  return {
    task_id: { value: task.taskId }, state, reason, message, source: "SOURCE_MASTER",
    ...(task.agentId ? { agent_id: { value: task.agentId } } : {}),
    timestamp: ctx.now / 1000, uuid: ctx.uuid(),
  };
}
