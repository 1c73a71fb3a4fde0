/**
 * Operator API read calls about agents, frameworks and tasks (GET_STATE and its parts), and
 * GET_HEALTH / GET_VERSION / GET_MASTER.
 */
import { isTerminal } from "../../../schemas/index.ts";
import { STRATA_VERSION as VERSION } from "../../../sdk/src/version.ts";
import type { MasterCore } from "../master-core.ts";
import type { OperatorHandlers } from "./types.ts";

function frameworksOf(core: MasterCore) {
  return [...core.frameworks.values()].filter((f) => !f.removed).map((f) => ({
    framework_info: f.info, active: core.frameworkConnected(f.id), connected: core.frameworkConnected(f.id),
    registered_time: { nanoseconds: f.registeredAt * 1e6 },
  }));
}

function agentsOf(core: MasterCore) {
  return [...core.agents.values()].map((a) => ({
    agent_info: { id: { value: a.id }, hostname: a.hostname, port: a.port, resources: a.resources, attributes: a.attributes },
    active: core.agentConnected(a.id), version: a.version, total_resources: a.resources,
  }));
}

function tasksOf(core: MasterCore) {
  const tasks = [...core.tasks.values()];
  const taskJson = (t: (typeof tasks)[number]) => ({
    name: t.info.name, task_id: { value: t.taskId }, framework_id: { value: t.frameworkId }, agent_id: { value: t.agentId },
    state: t.state, resources: t.info.resources, statuses: t.status ? [t.status] : [],
  });
  return {
    tasks: tasks.filter((t) => !isTerminal(t.state)).map(taskJson),
    completed_tasks: tasks.filter((t) => isTerminal(t.state)).map(taskJson),
  };
}

/** The read calls; each answers `{ type, <get_x>: … }` as Mesos' JSON does. */
export const readCalls: OperatorHandlers = {
  GET_HEALTH: () => ({ type: "GET_HEALTH", get_health: { healthy: true } }),
  GET_VERSION: () => ({ type: "GET_VERSION", get_version: { version_info: { version: VERSION } } }),
  GET_FRAMEWORKS: (core) => ({ type: "GET_FRAMEWORKS", get_frameworks: { frameworks: frameworksOf(core) } }),
  GET_AGENTS: (core) => ({ type: "GET_AGENTS", get_agents: { agents: agentsOf(core) } }),
  GET_TASKS: (core) => ({ type: "GET_TASKS", get_tasks: tasksOf(core) }),
  GET_MASTER: (core) => ({ type: "GET_MASTER", get_master: { master_info: core.masterInfo } }),
  GET_STATE: (core) => ({
    type: "GET_STATE",
    get_state: { get_frameworks: { frameworks: frameworksOf(core) }, get_agents: { agents: agentsOf(core) }, get_tasks: tasksOf(core) },
  }),
};
