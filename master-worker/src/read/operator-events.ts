/**
 * The operator event stream's events (master.proto `Event`: TASK_ADDED, TASK_UPDATED,
 * AGENT_ADDED, AGENT_REMOVED, FRAMEWORK_ADDED, FRAMEWORK_UPDATED, FRAMEWORK_REMOVED), derived
 * from committed effects: `commitEffects` hands every batch to the master's `observer` once the
 * transaction is durable and before memory changes, so whichever area made a change, the event
 * follows from the records it wrote, without that area knowing of operators.
 *
 * Choices where Mesos leaves room: an agent effect for an agent the master did not know is
 * AGENT_ADDED (a re-registration of a known agent is not an event, as in Mesos, unless it was
 * unreachable: then it is added again); an agent record marked unreachable or gone (partitions.ts,
 * or a `{ kind: "agentRemoved", agentId }` effect) is AGENT_REMOVED, and so are the agents of a
 * machine START_MAINTENANCE takes DOWN (AGENT_ADDED again at STOP_MAINTENANCE);
 * a framework effect is FRAMEWORK_ADDED for a new framework, FRAMEWORK_REMOVED when it marks the
 * framework removed, FRAMEWORK_UPDATED otherwise (re-subscription); a task effect is TASK_ADDED
 * for a new task and TASK_UPDATED when it changes the task's state, as is a status update that
 * changes the state of the task it is about (a repeated state is not an event).
 */

import { isTerminal } from "../../../schemas/index.ts";
import type { Effect } from "../decide/effects.ts";
import { agentMachineMode, MAINTENANCE_SETTING } from "../decide/maintenance.ts";
import { isReachable } from "../decide/partitions.ts";
import type { MasterView } from "../decide/view.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../store/records.ts";
import { taskKey } from "../store/records.ts";
import type { ReadFilter } from "./read-filter.ts";
import { v1Agent, v1Framework, v1Task } from "./v1-json.ts";

/** One operator event and the records it is about (to filter it for each subscriber). */
export interface OperatorEvent {
  event: { type: string } & Record<string, unknown>;
  framework?: FrameworkRecord;
  task?: TaskRecord;
  agent?: AgentRecord;
}

/** Marked gone or unreachable: out of the cluster, as Mesos' AGENT_REMOVED says (it may come back when unreachable). */
const isGone = (a: AgentRecord) => !isReachable(a);

/** The events a batch of effects makes, given the view as it was before the batch. Pure. */
export function operatorEvents(view: MasterView, effects: readonly Effect[]): OperatorEvent[] {
  const out: OperatorEvent[] = [];
  const tasks = new Map<string, TaskRecord>();
  const frameworks = new Map<string, FrameworkRecord>();
  const taskOf = (key: string) => tasks.get(key) ?? view.tasks.get(key);
  const frameworkOf = (id: string) => frameworks.get(id) ?? view.frameworks.get(id);
  for (const e of effects as ReadonlyArray<Effect | { kind: "agentRemoved"; agentId: string }>) {
    switch (e.kind) {
      case "agent": {
        const prior = view.agents.get(e.agent.id);
        if (isGone(e.agent)) {
          if (prior && !isGone(prior)) out.push({ event: { type: "AGENT_REMOVED", agent_removed: { agent_id: { value: e.agent.id } } }, agent: e.agent });
          break;
        }
        if (!prior || isGone(prior)) {
          const agent = v1Agent({ record: e.agent, active: view.agentActive(e.agent.id), taskResources: [], offerResources: [] });
          out.push({ event: { type: "AGENT_ADDED", agent_added: { agent } }, agent: e.agent });
        }
        break;
      }
      case "setting": {
        // START_MAINTENANCE takes a machine's agents out of the cluster (Mesos removes them):
        // AGENT_REMOVED; STOP_MAINTENANCE lets them back: AGENT_ADDED.
        if (e.key !== MAINTENANCE_SETTING) break;
        const after = { settings: new Map([[MAINTENANCE_SETTING, e.value]]) };
        for (const a of view.agents.values()) {
          if (isGone(a)) continue;
          const wasDown = agentMachineMode(view, a) === "DOWN",
            isDown = agentMachineMode(after, a) === "DOWN";
          if (!wasDown && isDown) out.push({ event: { type: "AGENT_REMOVED", agent_removed: { agent_id: { value: a.id } } }, agent: a });
          if (wasDown && !isDown) {
            const agent = v1Agent({ record: a, active: view.agentConnected(a.id), taskResources: [], offerResources: [] });
            out.push({ event: { type: "AGENT_ADDED", agent_added: { agent } }, agent: a });
          }
        }
        break;
      }
      case "agentRemoved": {
        const prior = view.agents.get(e.agentId);
        if (prior) out.push({ event: { type: "AGENT_REMOVED", agent_removed: { agent_id: { value: e.agentId } } }, agent: prior });
        break;
      }
      case "framework": {
        const f = e.framework,
          prior = frameworkOf(f.id);
        frameworks.set(f.id, f);
        if (f.removed) {
          if (prior && !prior.removed)
            out.push({ event: { type: "FRAMEWORK_REMOVED", framework_removed: { framework_info: { ...f.info, id: { value: f.id } } } }, framework: f });
          break;
        }
        // A framework effect that is not a removal comes from a (re-)subscription: connected.
        const framework = v1Framework({ record: f, connected: true, tasks: [], completed: [], unreachable: [], offers: [] });
        out.push({
          event:
            prior && !prior.removed
              ? { type: "FRAMEWORK_UPDATED", framework_updated: { framework } }
              : { type: "FRAMEWORK_ADDED", framework_added: { framework } },
          framework: f,
        });
        break;
      }
      case "task": {
        const key = taskKey(e.task.frameworkId, e.task.taskId),
          prior = taskOf(key),
          fw = frameworkOf(e.task.frameworkId);
        tasks.set(key, e.task);
        if (!prior) out.push({ event: { type: "TASK_ADDED", task_added: { task: v1Task(e.task, fw) } }, task: e.task, ...(fw ? { framework: fw } : {}) });
        else if (prior.state !== e.task.state) out.push(taskUpdated(e.task, fw));
        break;
      }
      case "update": {
        const key = taskKey(e.frameworkId, e.status.task_id.value),
          task = taskOf(key);
        // The same rule as commit.ts: only an update from the task's own agent changes it, and
        // a terminal state is never overwritten.
        if (!task || task.agentId !== e.agentId || (isTerminal(task.state) && !isTerminal(e.status.state))) break;
        const next: TaskRecord = { ...task, state: e.status.state, status: e.status };
        tasks.set(key, next);
        if (task.state !== next.state) out.push(taskUpdated(next, frameworkOf(e.frameworkId)));
        break;
      }
      default:
        break;
    }
  }
  return out;
}

function taskUpdated(t: TaskRecord, fw: FrameworkRecord | undefined): OperatorEvent {
  const status = t.status ?? { task_id: { value: t.taskId }, state: t.state };
  return {
    event: { type: "TASK_UPDATED", task_updated: { framework_id: { value: t.frameworkId }, status, state: t.state } },
    task: t,
    ...(fw ? { framework: fw } : {}),
  };
}

/** Whether a subscriber whose principal `filter` describes may see `e` (Mesos filters events the same way as reads). */
export function mayView(filter: ReadFilter, e: OperatorEvent): boolean {
  if (filter.all) return true;
  if (e.framework && !filter.framework(e.framework)) return false;
  if (e.task && !filter.task(e.task, e.framework)) return false;
  if (e.agent && !filter.agent(e.agent)) return false;
  return true;
}
