/**
 * The operator API's JSON shapes (`include/mesos/v1/master/master.proto`, Response.Get* and the
 * `Task` message), built from a `ReadSnapshot`. Shared by the read calls, GET_STATE and the
 * operator event stream, so a task or framework looks the same wherever it appears.
 */

import type { MasterInfo } from "../../../schemas/index.ts";
import { frameworkRole } from "../allocator/index.ts";
import { agentDrainInfo } from "../decide/agent-drain.ts";
import { agentPid } from "../model/agent-address.ts";
import { timeInfo } from "../model/time-info.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../store/records.ts";
import { type AgentEntry, type FrameworkEntry, type ReadSnapshot, sumResources, taskListOf } from "./read-snapshot.ts";
import { jsonParts, mapLazily, objectOfParts } from "./state-stream.ts";

/** A `Task` message. */
export function v1Task(t: TaskRecord, framework?: FrameworkRecord) {
  const user = t.info.command?.user ?? framework?.info.user;
  return {
    name: t.info.name,
    task_id: { value: t.taskId },
    framework_id: { value: t.frameworkId },
    agent_id: { value: t.agentId },
    state: t.state,
    resources: t.info.resources,
    statuses: t.status ? [t.status] : [],
    ...(t.status?.uuid ? { status_update_state: t.status.state, status_update_uuid: t.status.uuid } : {}),
    ...(t.info.labels ? { labels: t.info.labels } : {}),
    ...(t.info.container ? { container: t.info.container } : {}),
    ...(t.info.health_check ? { health_check: t.info.health_check } : {}),
    ...(t.info.kill_policy ? { kill_policy: t.info.kill_policy } : {}),
    ...(user !== undefined ? { user } : {}),
  };
}

/** The AgentInfo part of an agent record. */
export const v1AgentInfo = (a: AgentRecord) => ({ id: { value: a.id }, hostname: a.hostname, port: a.port, resources: a.resources, attributes: a.attributes });

/** `Response.GetAgents.Agent`. */
export function v1Agent(e: AgentEntry) {
  const a = e.record;
  return {
    agent_info: v1AgentInfo(a),
    active: e.active,
    ...agentDrainInfo(a),
    ...(a.version !== undefined ? { version: a.version } : {}),
    pid: agentPid(a),
    registered_time: timeInfo(a.registeredAt),
    total_resources: a.resources,
    allocated_resources: sumResources(e.taskResources),
    offered_resources: sumResources(e.offerResources),
  };
}

/** `Response.GetFrameworks.Framework`. */
export function v1Framework(e: FrameworkEntry) {
  const f = e.record;
  return {
    framework_info: { ...f.info, id: { value: f.id }, ...(f.info.roles ? {} : { role: frameworkRole(f.info) }) },
    active: e.connected && !f.removed,
    connected: e.connected,
    recovered: false,
    registered_time: timeInfo(f.registeredAt),
    offers: e.offers,
    allocated_resources: sumResources(e.tasks.map((t) => t.info.resources)),
    offered_resources: sumResources(e.offers.map((o) => o.resources)),
  };
}

const frameworkOf = (s: ReadSnapshot) => {
  const byId = new Map<string, FrameworkRecord>();
  for (const f of s.frameworks) byId.set(f.record.id, f.record);
  for (const f of s.completedFrameworks) byId.set(f.record.id, f.record);
  return (id: string) => byId.get(id);
};

/** `Response.GetAgents`. */
export const getAgents = (s: ReadSnapshot) => ({ agents: s.agents.map(v1Agent), recovered_agents: [] });

/** `Response.GetFrameworks`. */
export const getFrameworks = (s: ReadSnapshot) => ({
  frameworks: s.frameworks.map(v1Framework),
  completed_frameworks: s.completedFrameworks.map(v1Framework),
});

/** GET_TASKS' lists of records (pending tasks: none, a launch is accepted or refused at once) and how a task is shown. */
function taskLists(s: ReadSnapshot) {
  const fw = frameworkOf(s);
  const orphans = new Set(s.orphans);
  const lists: Record<string, readonly TaskRecord[]> = {
    pending_tasks: [],
    tasks: s.tasks.tasks.filter((t) => !orphans.has(t)),
    unreachable_tasks: s.tasks.unreachable_tasks,
    completed_tasks: s.tasks.completed_tasks,
    orphan_tasks: s.orphans.filter((t) => taskListOf(t) === "tasks"),
  };
  return { lists, show: (t: TaskRecord) => v1Task(t, fw(t.frameworkId)) };
}

/** `Response.GetTasks`. */
export function getTasks(s: ReadSnapshot) {
  const { lists, show } = taskLists(s);
  return Object.fromEntries(Object.entries(lists).map(([k, ts]) => [k, ts.map(show)]));
}

/** `Response.GetState` (Strata has no executors apart from its tasks' own). */
export const getState = (s: ReadSnapshot) => ({
  get_tasks: getTasks(s),
  get_executors: NO_EXECUTORS,
  get_frameworks: getFrameworks(s),
  get_agents: getAgents(s),
});

const NO_EXECUTORS = { executors: [], orphan_executors: [] };

/** The same documents as parts for `partsStream` (what a large cluster's reads are served as). */
export const v1Parts = {
  getAgents: (s: ReadSnapshot) => jsonParts({}, { agents: mapLazily(s.agents, v1Agent), recovered_agents: [] }),
  getFrameworks: (s: ReadSnapshot) =>
    jsonParts({}, { frameworks: mapLazily(s.frameworks, v1Framework), completed_frameworks: mapLazily(s.completedFrameworks, v1Framework) }),
  getTasks(s: ReadSnapshot) {
    const { lists, show } = taskLists(s);
    return jsonParts({}, Object.fromEntries(Object.entries(lists).map(([k, ts]) => [k, mapLazily(ts, show)])));
  },
  getState: (s: ReadSnapshot) =>
    objectOfParts({
      get_tasks: v1Parts.getTasks(s),
      get_executors: [JSON.stringify(NO_EXECUTORS)],
      get_frameworks: v1Parts.getFrameworks(s),
      get_agents: v1Parts.getAgents(s),
    }),
};

/** `Response.GetMaster`. */
export const getMaster = (masterInfo: MasterInfo, startedAt: number) => ({
  master_info: masterInfo,
  start_time: startedAt / 1000,
  elected_time: startedAt / 1000,
});
