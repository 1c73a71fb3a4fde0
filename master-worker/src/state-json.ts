/**
 * The classic `/master/state` document (a subset of Mesos' fields), built from the view.
 */
import { isTerminal } from "../../schemas/index.ts";
import { add, unallocated } from "../../sdk/src/resources.ts";
import { STRATA_VERSION as VERSION } from "../../sdk/src/version.ts";
import { frameworkRole } from "./allocation-step.ts";
import type { MasterCore } from "./master-core.ts";
import type { TaskRecord } from "./records.ts";


const taskJson = (t: TaskRecord) => ({
  id: t.taskId, name: t.info.name, framework_id: t.frameworkId, agent_id: t.agentId, slave_id: t.agentId,
  state: t.state, resources: t.info.resources, statuses: t.status ? [t.status] : [],
});

/** `/master/state`: agents, frameworks with their tasks, outstanding offers. */
export function stateJson(core: MasterCore) {
  const tasks = [...core.tasks.values()];
  return {
    version: VERSION,
    id: core.masterInfo.id,
    hostname: core.masterInfo.hostname,
    cluster: core.config.clusterName,
    activated_slaves: [...core.agents.keys()].filter((id) => core.agentConnected(id)).length,
    deactivated_slaves: [...core.agents.keys()].filter((id) => !core.agentConnected(id)).length,
    slaves: [...core.agents.values()].map((a) => {
      const used = tasks.filter((t) => t.agentId === a.id && !isTerminal(t.state)).reduce((s, t) => add(s, unallocated(t.info.resources)), [] as ReturnType<typeof add>);
      return { id: a.id, hostname: a.hostname, port: a.port, resources: a.resources, used_resources: used, attributes: a.attributes, active: core.agentConnected(a.id), registered_time: a.registeredAt / 1000, version: a.version };
    }),
    frameworks: [...core.frameworks.values()].filter((f) => !f.removed).map((f) => ({
      id: f.id, name: f.info.name, user: f.info.user, principal: f.principal, role: frameworkRole(f.info),
      active: core.frameworkConnected(f.id), connected: core.frameworkConnected(f.id), registered_time: f.registeredAt / 1000,
      tasks: tasks.filter((t) => t.frameworkId === f.id && !isTerminal(t.state)).map(taskJson),
      completed_tasks: tasks.filter((t) => t.frameworkId === f.id && isTerminal(t.state)).map(taskJson),
      offers: [...core.offers.values()].filter((o) => o.offer.framework_id.value === f.id).map((o) => o.offer),
      unacknowledged_updates: [...core.updates.values()].filter((u) => u.frameworkId === f.id && !u.acked).length,
    })),
    completed_frameworks: [...core.frameworks.values()].filter((f) => f.removed).map((f) => ({ id: f.id, name: f.info.name })),
  };
}

/**
 * Requests served since the master instance started: a total, one counter per API, and one per
 * scheduler call type (`master/scheduler_calls_acknowledge`…).
 */
export function requestMetrics(byRoute: ReadonlyMap<string, number>, schedulerCalls: ReadonlyMap<string, number> = new Map()): Record<string, number> {
  const out: Record<string, number> = { "master/http_requests": [...byRoute.values()].reduce((a, b) => a + b, 0) };
  for (const [route, n] of byRoute) out[`master/http_requests${route.replace(/\//g, "_")}`] = n;
  for (const [type, n] of schedulerCalls) out[`master/scheduler_calls_${type.toLowerCase()}`] = n;
  return out;
}

/** `/metrics/snapshot`: counters in Mesos' naming. */
export function metricsJson(core: MasterCore) {
  const tasks = [...core.tasks.values()];
  const count = (s: string) => tasks.filter((t) => t.state === s).length;
  return {
    "master/elected": 1,
    "master/slaves_active": [...core.agents.keys()].filter((id) => core.agentConnected(id)).length,
    "master/slaves_inactive": [...core.agents.keys()].filter((id) => !core.agentConnected(id)).length,
    "master/frameworks_active": core.streams.size,
    "master/outstanding_offers": core.offers.size,
    "master/tasks_staging": count("TASK_STAGING"), "master/tasks_starting": count("TASK_STARTING"),
    "master/tasks_running": count("TASK_RUNNING"), "master/tasks_finished": count("TASK_FINISHED"),
    "master/tasks_failed": count("TASK_FAILED"), "master/tasks_killed": count("TASK_KILLED"),
    "master/tasks_lost": count("TASK_LOST"), "master/tasks_error": count("TASK_ERROR"),
    "master/unacknowledged_updates": [...core.updates.values()].filter((u) => !u.acked).length,
    "master/queued_agent_commands": [...core.commands.values()].reduce((s, q) => s + q.length, 0),
  };
}
