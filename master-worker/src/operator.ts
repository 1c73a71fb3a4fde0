/**
 * Mesos v1 Operator API (`POST /api/v1`): the read calls so far. Unknown or unsupported call
 * types are rejected by name.
 */
import { isTerminal } from "../../schemas/index.ts";
import { badRequest } from "./http-error.ts";
import type { MasterCore } from "./master-core.ts";
import { STRATA_VERSION as VERSION } from "../../sdk/src/version.ts";

/** Answers one operator call; `body` was checked to have a string `type` by the Worker. */
export function operatorCall(core: MasterCore, body: unknown) {
  const type = (body as { type: string }).type;
  const frameworks = [...core.frameworks.values()].filter((f) => !f.removed).map((f) => ({
    framework_info: f.info, active: core.frameworkConnected(f.id), connected: core.frameworkConnected(f.id),
    registered_time: { nanoseconds: f.registeredAt * 1e6 },
  }));
  const agents = [...core.agents.values()].map((a) => ({
    agent_info: { id: { value: a.id }, hostname: a.hostname, port: a.port, resources: a.resources, attributes: a.attributes },
    active: core.agentConnected(a.id), version: a.version, total_resources: a.resources,
  }));
  const tasks = [...core.tasks.values()];
  const taskJson = (t: (typeof tasks)[number]) => ({
    name: t.info.name, task_id: { value: t.taskId }, framework_id: { value: t.frameworkId }, agent_id: { value: t.agentId },
    state: t.state, resources: t.info.resources, statuses: t.status ? [t.status] : [],
  });
  const getTasks = {
    tasks: tasks.filter((t) => !isTerminal(t.state)).map(taskJson),
    completed_tasks: tasks.filter((t) => isTerminal(t.state)).map(taskJson),
  };
  switch (type) {
    case "GET_HEALTH": return { type, get_health: { healthy: true } };
    case "GET_VERSION": return { type, get_version: { version_info: { version: VERSION } } };
    case "GET_FRAMEWORKS": return { type, get_frameworks: { frameworks } };
    case "GET_AGENTS": return { type, get_agents: { agents } };
    case "GET_TASKS": return { type, get_tasks: getTasks };
    case "GET_MASTER": return { type, get_master: { master_info: core.masterInfo } };
    case "GET_STATE": return { type, get_state: { get_frameworks: { frameworks }, get_agents: { agents }, get_tasks: getTasks } };
    default: throw badRequest(`type: operator call '${type}' is not supported yet`);
  }
}
