/**
 * A point-in-time picture of the cluster for the read endpoints and read calls, filtered for one
 * principal. Taking it copies references only (records are replaced, never edited), in one pass
 * over the tasks, so it costs milliseconds even at 100,000 tasks; turning it into JSON can then
 * happen bit by bit (state-stream.ts) while the master goes on working: later changes replace
 * records in the master's maps and never touch the ones held here.
 */
import type { Offer, Resource } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import { add } from "../../../sdk/src/resources.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../records.ts";
import type { MasterView } from "../view.ts";
import { type ReadFilter, VIEW_ALL } from "./read-filter.ts";

/** Which list of GET_TASKS a task belongs to. */
export type TaskList = "tasks" | "completed_tasks" | "unreachable_tasks";

/** A task's list: terminal → completed, TASK_UNREACHABLE → unreachable, else live. */
export const taskListOf = (t: TaskRecord): TaskList =>
  t.state === "TASK_UNREACHABLE" ? "unreachable_tasks" : isTerminal(t.state) ? "completed_tasks" : "tasks";

/** One framework with what belongs to it. */
export interface FrameworkEntry {
  record: FrameworkRecord;
  connected: boolean;
  tasks: TaskRecord[];
  completed: TaskRecord[];
  unreachable: TaskRecord[];
  offers: Offer[];
}

/** One agent with the resources its live tasks and its offers use. */
export interface AgentEntry {
  record: AgentRecord;
  active: boolean;
  /** Resources of the agent's live tasks (not yet summed: `sumResources` does it when needed). */
  taskResources: Resource[][];
  offerResources: Resource[][];
}

/** The picture; see the file comment. */
export interface ReadSnapshot {
  agents: AgentEntry[];
  /** Frameworks not torn down. */
  frameworks: FrameworkEntry[];
  /** Frameworks torn down (Mesos' `completed_frameworks`). */
  completedFrameworks: FrameworkEntry[];
  /** Every visible task, by list; orphans are tasks whose framework the master does not know. */
  tasks: Record<TaskList, TaskRecord[]>;
  orphans: TaskRecord[];
  offers: Offer[];
}

/** The read-only part of the master a snapshot is taken from. */
export type SnapshotView = Pick<MasterView, "agents" | "frameworks" | "tasks" | "offers" | "agentConnected" | "frameworkConnected">;

/** Sums resource lists (the allocated or offered resources of an agent or framework). */
export function sumResources(lists: readonly (readonly Resource[])[]): Resource[] {
  let out: Resource[] = [];
  for (const l of lists) out = add(out, l);
  return out;
}

/** Takes the snapshot `filter` lets its principal see. */
export function takeSnapshot(view: SnapshotView, filter: ReadFilter = VIEW_ALL): ReadSnapshot {
  const agents = new Map<string, AgentEntry>();
  for (const a of view.agents.values()) {
    if (filter.all || filter.agent(a)) agents.set(a.id, { record: a, active: view.agentConnected(a.id), taskResources: [], offerResources: [] });
  }
  const frameworks = new Map<string, FrameworkEntry>();
  const visibleFramework = new Map<string, boolean>();
  for (const f of view.frameworks.values()) {
    const visible = filter.all || filter.framework(f);
    visibleFramework.set(f.id, visible);
    if (visible) frameworks.set(f.id, { record: f, connected: view.frameworkConnected(f.id), tasks: [], completed: [], unreachable: [], offers: [] });
  }
  const tasks: Record<TaskList, TaskRecord[]> = { tasks: [], completed_tasks: [], unreachable_tasks: [] };
  const orphans: TaskRecord[] = [];
  for (const t of view.tasks.values()) {
    const list = taskListOf(t);
    // Resources in use count on the agent whoever may see the task (as Mesos' used_resources).
    if (list === "tasks") agents.get(t.agentId)?.taskResources.push(t.info.resources);
    const fw = view.frameworks.get(t.frameworkId);
    if (!filter.all && (fw ? !visibleFramework.get(fw.id) : false)) continue;
    if (!filter.all && !filter.task(t, fw)) continue;
    tasks[list].push(t);
    if (!fw) { orphans.push(t); continue; }
    const entry = frameworks.get(fw.id);
    if (entry) (list === "tasks" ? entry.tasks : list === "completed_tasks" ? entry.completed : entry.unreachable).push(t);
  }
  const offers: Offer[] = [];
  for (const { offer } of view.offers.values()) {
    agents.get(offer.agent_id.value)?.offerResources.push(offer.resources);
    const entry = frameworks.get(offer.framework_id.value);
    if (!entry) continue;
    entry.offers.push(offer);
    offers.push(offer);
  }
  const all = [...frameworks.values()];
  return {
    agents: [...agents.values()],
    frameworks: all.filter((f) => !f.record.removed),
    completedFrameworks: all.filter((f) => f.record.removed),
    tasks, orphans, offers,
  };
}
