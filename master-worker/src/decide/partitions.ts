/**
 * Partitioned and failed agents (Mesos' "unreachable" and "gone" agents; see Mesos'
 * high-availability-framework-guide.md and task-state-reasons.md).
 *
 * - An agent not heard from for `agentUnreachableTimeoutMs` is marked unreachable (persisted on
 *   its record): each of its non-terminal tasks goes TASK_UNREACHABLE for partition-aware
 *   frameworks, TASK_LOST for the others, reason REASON_AGENT_REMOVED (the v1 spelling of
 *   Mesos' REASON_SLAVE_REMOVED). The master keeps the task as TASK_UNREACHABLE either way: it
 *   may still be running. The update is kept until acknowledged (re-sent at every SUBSCRIBE).
 * - An unreachable agent that polls is told to register again (poll answer `reregister`);
 *   its registration reports its tasks. As Mesos since 1.5, tasks of every framework keep
 *   running: each task it reports that was TASK_UNREACHABLE goes back to the reported state and
 *   its framework gets that update (reason REASON_AGENT_REREGISTERED). A non-partition-aware
 *   framework may so see TASK_RUNNING after TASK_LOST, as Mesos documents for agents that come
 *   back. Tasks it no longer has are TASK_GONE (partition-aware) / TASK_LOST.
 * - MARK_AGENT_GONE (operator): tasks go TASK_GONE_BY_OPERATOR / TASK_LOST, reason
 *   REASON_AGENT_REMOVED_BY_OPERATOR; the agent may never come back. SHUTDOWN_FRAMEWORK
 *   commands are queued for it, so an agent that polls again first learns to kill its tasks;
 *   after that its polls and registrations are refused (gone) with a message saying why.
 */
import type { TaskState, TaskStatus } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import { hasCapability } from "../model/capabilities.ts";
import { type Rejection, reject } from "../model/rejection.ts";
import type { AgentRecord, TaskRecord } from "../store/records.ts";
import { taskKey } from "../store/records.ts";
import type { DecideContext, Effect } from "./effects.ts";
import { type MasterView, masterStatus, offersGone, onAgent } from "./view.ts";

/** Reason of the updates sent when an agent is marked unreachable. */
export const UNREACHABLE_REASON = "REASON_AGENT_REMOVED";
/** Reason of the updates sent when an operator marks an agent gone. */
export const GONE_REASON = "REASON_AGENT_REMOVED_BY_OPERATOR";
/** Reason of the updates sent for tasks of an unreachable agent that came back. */
export const REREGISTERED_REASON = "REASON_AGENT_REREGISTERED";

/** True when the framework declared PARTITION_AWARE (it understands the states after Mesos 1.1). */
export function isPartitionAware(view: MasterView, frameworkId: string): boolean {
  const f = view.frameworks.get(frameworkId);
  return f !== undefined && hasCapability(f.info, "PARTITION_AWARE");
}

/** The state a framework is told: `aware` for partition-aware frameworks, TASK_LOST for others. */
export function stateFor(view: MasterView, frameworkId: string, aware: TaskState): TaskState {
  return isPartitionAware(view, frameworkId) ? aware : "TASK_LOST";
}

/** Neither unreachable nor gone: its liveness is tracked and it may be offered. */
export const isReachable = (a: AgentRecord): boolean => a.unreachableAt === undefined && a.goneAt === undefined;

/** Why a gone agent is refused (poll, registration). */
export function goneRejection(agentId: string): Rejection {
  // `gone`, not `forbidden`: the agent must tell this (final) from a DOWN machine's refusal (it retries that).
  return reject(
    "gone",
    "agent_id",
    `agent '${agentId}' was marked gone by an operator and may not rejoin; start it with an empty work directory to join as a new agent`,
  );
}

/**
 * `unreachable_time` for a status about a task on `agentId`: the time the master marked that
 * agent unreachable, while it is (Mesos sets it on the updates and reconciliation answers for
 * tasks of unreachable agents); nothing otherwise (a gone agent's tasks are no longer unreachable).
 */
export function unreachableTimeOf(view: MasterView, agentId: string | undefined): Pick<TaskStatus, "unreachable_time"> {
  const agent = agentId !== undefined ? view.agents.get(agentId) : undefined;
  if (agent?.unreachableAt === undefined || agent.goneAt !== undefined) return {};
  return { unreachable_time: { nanoseconds: Math.round(agent.unreachableAt * 1e6) } };
}

/** Non-terminal tasks placed on `agentId` (TASK_UNREACHABLE included). */
function activeTasksOn(view: MasterView, agentId: string): TaskRecord[] {
  return [...view.tasks.values()].filter((t) => t.agentId === agentId && !isTerminal(t.state));
}

/**
 * Reports a task's new state to its framework (kept until acknowledged) and records `kept` as
 * the task's state. The update carries no agent id in the effect: it is the master's own, so the
 * framework's acknowledgement forgets it (no agent waits for it).
 */
function tellAndRecord(
  view: MasterView,
  ctx: DecideContext,
  t: TaskRecord,
  told: TaskState,
  kept: TaskState,
  reason: string,
  message: string,
  extra: Partial<TaskStatus> = {},
): Effect[] {
  const status = { ...masterStatus(ctx, t, told, reason, message), ...extra };
  const effects: Effect[] = [{ kind: "task", task: { ...t, state: kept, status: { ...status, state: kept }, updatedAt: ctx.now } }];
  const framework = view.frameworks.get(t.frameworkId);
  if (framework && !framework.removed) effects.push({ kind: "update", frameworkId: t.frameworkId, status });
  return effects;
}

/** The agent was not heard from in time: mark it unreachable and report its tasks. */
export function decideUnreachable(view: MasterView, agentId: string, ctx: DecideContext): Effect[] {
  const agent = view.agents.get(agentId);
  if (!agent || !isReachable(agent)) return [];
  const seconds = view.config.agentUnreachableTimeoutMs / 1000;
  const effects: Effect[] = [{ kind: "agent", agent: { ...agent, unreachableAt: ctx.now } }, { kind: "allocate" }];
  effects.push(...offersGone(view, onAgent(agentId), true));
  for (const t of activeTasksOn(view, agentId)) {
    effects.push(
      ...tellAndRecord(
        view,
        ctx,
        t,
        stateFor(view, t.frameworkId, "TASK_UNREACHABLE"),
        "TASK_UNREACHABLE",
        UNREACHABLE_REASON,
        `Agent ${agentId} is unreachable: not heard from for ${seconds} s`,
        { unreachable_time: { nanoseconds: Math.round(ctx.now * 1e6) } },
      ),
    );
  }
  return effects;
}

/** An operator marks the agent gone: its tasks are over and it may never come back. */
export function decideAgentGone(view: MasterView, agentId: string, ctx: DecideContext): Effect[] {
  const agent = view.agents.get(agentId);
  if (!agent || agent.goneAt !== undefined) return [];
  const effects: Effect[] = [{ kind: "agent", agent: { ...agent, goneAt: ctx.now } }, { kind: "allocate" }];
  effects.push(...offersGone(view, onAgent(agentId), true));
  const frameworks = new Set<string>();
  for (const t of activeTasksOn(view, agentId)) {
    frameworks.add(t.frameworkId);
    const told = stateFor(view, t.frameworkId, "TASK_GONE_BY_OPERATOR");
    effects.push(...tellAndRecord(view, ctx, t, told, told, GONE_REASON, `Agent ${agentId} was marked gone by an operator`));
  }
  // Should it ever poll again, it first learns to stop what it still runs.
  for (const fid of frameworks) effects.push({ kind: "command", agentId, command: { type: "SHUTDOWN_FRAMEWORK", framework_id: { value: fid } } });
  // Acknowledgements it has yet to learn of never reach it (a gone agent's polls get commands only).
  for (const u of view.updates.ackedFor(agentId)) effects.push({ kind: "forget", uuid: u.uuid });
  return effects;
}

/**
 * An unreachable agent registers again with its tasks (`reported`: task key → state): the
 * tasks it reports that were TASK_UNREACHABLE take the reported state, and their frameworks are
 * told. Reported terminal states are left to the agent's own (retried) updates.
 */
export function decideAgentBack(view: MasterView, agentId: string, reported: ReadonlyMap<string, TaskState>, ctx: DecideContext): Effect[] {
  const effects: Effect[] = [];
  for (const t of activeTasksOn(view, agentId)) {
    if (t.state !== "TASK_UNREACHABLE") continue;
    const state = reported.get(taskKey(t.frameworkId, t.taskId));
    if (state === undefined || isTerminal(state) || state === "TASK_UNREACHABLE") continue;
    effects.push(...tellAndRecord(view, ctx, t, state, state, REREGISTERED_REASON, `Agent ${agentId} re-registered; the task is ${state}`));
  }
  return effects;
}

/** The state a framework is told for a task its agent no longer has after re-registering. */
export const missingTaskState = (view: MasterView, frameworkId: string): TaskState => stateFor(view, frameworkId, "TASK_GONE");
