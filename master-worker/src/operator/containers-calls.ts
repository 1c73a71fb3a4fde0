/**
 * Per-task resource statistics for operators, from the agents' usage reports
 * (task-statistics.ts): the Mesos v1 agent API's GET_CONTAINERS, answered by the master for the
 * whole cluster through `POST /api/v1`, and the classic `GET /monitor/statistics`
 * (read-routes.ts). Strata runs every task in its own executor and container, so both the
 * executor id and the container id are the task id (as Mesos' command executor names its
 * executor after its task); each entry also names its `agent_id` (Mesos asks each agent, so has
 * none). Only running tasks the caller may view (`view_frameworks` and `view_tasks`,
 * read-filter.ts) are listed; a task that ended is left out at once, though its agent's next
 * report may be a while off. `timestamp` is when the master received the measurement (seconds);
 * `cpus_limit` and `mem_limit_bytes` are the task's allocation.
 */

import { isTerminal } from "../../../schemas/index.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { MiB } from "../../../sdk/src/units.ts";
import type { MasterCore } from "../core/master-core.ts";
import { type ReadFilter, readFilter } from "../read/read-filter.ts";
import type { TaskRecord } from "../store/records.ts";
import type { OperatorHandlers } from "./types.ts";

/** Mesos' `ResourceStatistics`, the fields Strata measures. */
export interface ResourceStatistics {
  timestamp: number;
  cpus_user_time_secs?: number;
  cpus_system_time_secs?: number;
  cpus_limit: number;
  mem_rss_bytes: number;
  mem_limit_bytes: number;
}

/** One running task's statistics, with the records it belongs to. */
export interface TaskStatisticsEntry {
  agentId: string;
  task: TaskRecord;
  statistics: ResourceStatistics;
}

/** The statistics of every running task `filter` lets the caller view. */
export function visibleStatistics(core: MasterCore, filter: ReadFilter): TaskStatisticsEntry[] {
  const out: TaskStatisticsEntry[] = [];
  for (const [agentId, tasks] of core.statistics.entries()) {
    if (!core.agents.has(agentId)) {
      core.statistics.forget(agentId);
      continue;
    }
    for (const [key, { usage, at }] of tasks) {
      const task = core.tasks.get(key);
      if (!task || isTerminal(task.state) || task.agentId !== agentId) continue;
      const framework = core.frameworks.get(task.frameworkId);
      if (!filter.all && (!framework || !filter.framework(framework) || !filter.task(task, framework))) continue;
      const resources = task.info.resources;
      out.push({
        agentId,
        task,
        statistics: {
          timestamp: at / 1000,
          ...(usage.cpus_user_time_secs !== undefined ? { cpus_user_time_secs: usage.cpus_user_time_secs } : {}),
          ...(usage.cpus_system_time_secs !== undefined ? { cpus_system_time_secs: usage.cpus_system_time_secs } : {}),
          cpus_limit: scalarOf(resources, "cpus"),
          mem_rss_bytes: usage.mem_rss_bytes ?? usage.mem_mb * MiB,
          mem_limit_bytes: scalarOf(resources, "mem") * MiB,
        },
      });
    }
  }
  return out;
}

/** `GET /monitor/statistics`: Mesos' classic shape (ids as plain strings). */
export function monitorStatistics(core: MasterCore, filter: ReadFilter): object[] {
  return visibleStatistics(core, filter).map(({ task, statistics }) => ({
    framework_id: task.frameworkId,
    executor_id: task.taskId,
    executor_name: task.info.name,
    source: task.taskId,
    statistics,
  }));
}

/** GET_CONTAINERS; see the file comment. */
export const containersCalls: OperatorHandlers = {
  GET_CONTAINERS: (core, _call, ctx) => ({
    type: "GET_CONTAINERS",
    get_containers: {
      containers: visibleStatistics(core, readFilter(core.authorizer, ctx.principal)).map(({ agentId, task, statistics }) => ({
        framework_id: { value: task.frameworkId },
        executor_id: { value: task.taskId },
        executor_name: task.info.name,
        container_id: { value: task.taskId },
        agent_id: { value: agentId },
        container_status: { container_id: { value: task.taskId } },
        resource_statistics: statistics,
      })),
    },
  }),
};
