/**
 * A point-in-time picture of the cluster for the read endpoints and read calls, filtered for one
 * principal. Taking it copies references only (records are replaced, never edited), in one pass
 * over the tasks, so it costs milliseconds even at 100,000 tasks; turning it into JSON can then
 * happen bit by bit (state-stream.ts) while the master goes on working: later changes replace
 * records in the master's maps and never touch the ones held here.
 */

import type { Offer, Resource } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import { normalize } from "../../../sdk/src/resources.ts";
import { isReachable } from "../decide/partitions.ts";
import type { MasterView } from "../decide/view.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../store/records.ts";
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
  /** Agents marked unreachable (Mesos' `unreachable_slaves`); they and gone agents are not in `agents`. */
  unreachableAgents: number;
}

/** The read-only part of the master a snapshot is taken from. */
export type SnapshotView = Pick<MasterView, "agents" | "frameworks" | "tasks" | "offers" | "agentConnected" | "agentActive" | "frameworkConnected">;

/** Sums resource lists (the allocated or offered resources of an agent or framework). */
export function sumResources(lists: readonly (readonly Resource[])[]): Resource[] {
  if (lists.length === 0) return [];
  return lists.length === 1 ? normalize(lists[0]!) : normalize(lists.flat());
}

/** Tasks grouped per step of `snapshotSteps` (between two yields to the event loop). */
export const SNAPSHOT_STEP_TASKS = 10_000;

/**
 * Takes the snapshot in steps: the first copies references to every record and the liveness
 * flags (the moment the snapshot is of); the next ones group the copied tasks, a few thousand
 * per step, touching nothing of the master, so other work may run between steps. The
 * generator's return value is the snapshot.
 */
export function* snapshotSteps(view: SnapshotView, filter: ReadFilter = VIEW_ALL): Generator<void, ReadSnapshot> {
  const agents = new Map<string, AgentEntry>();
  let unreachableAgents = 0;
  for (const a of view.agents.values()) {
    if (!isReachable(a)) {
      if (a.goneAt === undefined && (filter.all || filter.agent(a))) unreachableAgents++;
      continue;
    }
    if (filter.all || filter.agent(a)) agents.set(a.id, { record: a, active: view.agentActive(a.id), taskResources: [], offerResources: [] });
  }
  const records = new Map<string, FrameworkRecord>();
  const frameworks = new Map<string, FrameworkEntry>();
  for (const f of view.frameworks.values()) {
    records.set(f.id, f);
    if (filter.all || filter.framework(f))
      frameworks.set(f.id, { record: f, connected: view.frameworkConnected(f.id), tasks: [], completed: [], unreachable: [], offers: [] });
  }
  const allTasks = [...view.tasks.values()];
  const allOffers = [...view.offers.values()];
  const tasks: Record<TaskList, TaskRecord[]> = { tasks: [], completed_tasks: [], unreachable_tasks: [] };
  const orphans: TaskRecord[] = [];
  for (let i = 0; i < allTasks.length; i++) {
    if (i > 0 && i % SNAPSHOT_STEP_TASKS === 0) yield;
    const t = allTasks[i]!;
    const list = taskListOf(t);
    // Resources in use count on the agent whoever may see the task (as Mesos' used_resources).
    if (list === "tasks") agents.get(t.agentId)?.taskResources.push(t.info.resources);
    const fw = records.get(t.frameworkId);
    const entry = fw ? frameworks.get(fw.id) : undefined;
    if (!filter.all && ((fw && !entry) || !filter.task(t, fw))) continue;
    tasks[list].push(t);
    if (!fw) {
      orphans.push(t);
      continue;
    }
    if (entry) (list === "tasks" ? entry.tasks : list === "completed_tasks" ? entry.completed : entry.unreachable).push(t);
  }
  const offers: Offer[] = [];
  for (const { offer } of allOffers) {
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
    tasks,
    orphans,
    offers,
    unreachableAgents,
  };
}

/** Takes the snapshot `filter` lets its principal see, at once. */
export function takeSnapshot(view: SnapshotView, filter: ReadFilter = VIEW_ALL): ReadSnapshot {
  const steps = snapshotSteps(view, filter);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs `steps` to the end, awaiting `pause` between steps; the first step runs before this returns. */
export function finishGradually(steps: Generator<void, ReadSnapshot>, pause: () => Promise<void>): Promise<ReadSnapshot> {
  let r = steps.next();
  if (r.done) return Promise.resolve(r.value);
  return (async () => {
    for (;;) {
      await pause();
      r = steps.next();
      if (r.done) return r.value;
    }
  })();
}
