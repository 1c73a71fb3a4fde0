/**
 * RECONCILE (Mesos' reconciliation.md and master `_reconcileTasks`): the master answers from
 * what it knows, with transient UPDATEs (no uuid, nothing to acknowledge), source SOURCE_MASTER
 * and reason REASON_RECONCILIATION.
 *
 * Explicit (tasks named), for each task:
 * - known to the master: its latest state (a task of an unreachable agent: TASK_UNREACHABLE,
 *   TASK_LOST for a framework that is not partition-aware);
 * - unknown, on an agent that was marked gone: TASK_GONE_BY_OPERATOR;
 * - unknown, on an unreachable agent: TASK_UNREACHABLE;
 * - unknown, on a registered agent: TASK_GONE (the agent would have it otherwise);
 * - unknown, agent unknown or not given: TASK_UNKNOWN;
 * where each of the last four is TASK_LOST for frameworks that are not partition-aware.
 * Implicit (no tasks named): the latest state of every non-terminal task of the framework.
 * Only the calling framework's tasks are ever looked at: another framework's task id is unknown.
 */
import type { CallOf, TaskState } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import type { TaskRecord } from "../store/records.ts";
import { taskKey } from "../store/records.ts";
import type { DecideContext, Effect } from "./effects.ts";
import { stateFor, unreachableTimeOf } from "./partitions.ts";
import { type MasterView, masterStatus, transientUpdate } from "./view.ts";

const REASON = "REASON_RECONCILIATION";

/** The state a framework is told for a task the master knows. */
function knownState(view: MasterView, t: TaskRecord): TaskState {
  return t.state === "TASK_UNREACHABLE" ? stateFor(view, t.frameworkId, "TASK_UNREACHABLE") : t.state;
}

/** The state a framework is told for a task the master does not know, on agent `agentId`. */
function unknownState(view: MasterView, fid: string, agentId: string | undefined): TaskState {
  const agent = agentId !== undefined ? view.agents.get(agentId) : undefined;
  if (!agent) return stateFor(view, fid, "TASK_UNKNOWN");
  if (agent.goneAt !== undefined) return stateFor(view, fid, "TASK_GONE_BY_OPERATOR");
  if (agent.unreachableAt !== undefined) return stateFor(view, fid, "TASK_UNREACHABLE");
  return stateFor(view, fid, "TASK_GONE");
}

function latest(view: MasterView, ctx: DecideContext, t: TaskRecord) {
  return {
    ...masterStatus(ctx, t, knownState(view, t), REASON, "Reconciliation: latest task state"),
    ...(t.status?.healthy !== undefined ? { healthy: t.status.healthy } : {}),
    ...(t.state === "TASK_UNREACHABLE" ? unreachableTimeOf(view, t.agentId) : {}),
  };
}

/** RECONCILE: see the file comment. */
export function decideReconcile(view: MasterView, fid: string, call: CallOf<"RECONCILE">, ctx: DecideContext): Effect[] {
  const wanted = call.reconcile.tasks;
  if (wanted.length === 0) {
    const out: Effect[] = [];
    for (const t of view.tasks.values()) {
      if (t.frameworkId === fid && !isTerminal(t.state)) out.push(transientUpdate(fid, latest(view, ctx, t)));
    }
    return out;
  }
  return wanted.map((w) => {
    const t = view.tasks.get(taskKey(fid, w.task_id.value));
    if (t) return transientUpdate(fid, latest(view, ctx, t));
    const agentId = w.agent_id?.value;
    return transientUpdate(fid, {
      ...masterStatus(ctx, { taskId: w.task_id.value, agentId }, unknownState(view, fid, agentId), REASON, "Reconciliation: task is unknown to the master"),
      ...unreachableTimeOf(view, agentId),
    });
  });
}
