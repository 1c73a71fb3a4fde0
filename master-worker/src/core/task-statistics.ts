/**
 * The latest resource statistics of each agent's running tasks, as its usage reports bring them
 * (docs/oversubscription.md), for operators to read (GET_CONTAINERS, `/monitor/statistics`;
 * operator/containers-calls.ts). Kept apart from the oversubscription pass, which drops reports
 * while oversubscription is off; like it, memory only: usage is chatter, not state, and a
 * restarted master shows none until the agents report again. A report replaces its agent's
 * previous one; readers skip tasks the master no longer knows as running.
 */
import type { TaskUsage, UsageReport } from "../../../schemas/index.ts";
import { taskKey } from "../store/records.ts";

/** One task's last reported usage and when the master received it (ms). */
export interface TaskStatistic {
  usage: TaskUsage;
  at: number;
}

/** agentId → its latest report, by task key (`taskKey`). */
export class TaskStatistics {
  private readonly byAgent = new Map<string, ReadonlyMap<string, TaskStatistic>>();

  /** Takes `report`, received at `now`, as the agent's statistics from now on. */
  record(agentId: string, report: UsageReport, now: number): void {
    const tasks = new Map<string, TaskStatistic>();
    for (const t of report.tasks) tasks.set(taskKey(t.framework_id.value, t.task_id.value), { usage: t, at: now });
    if (tasks.size === 0) this.byAgent.delete(agentId);
    else this.byAgent.set(agentId, tasks);
  }

  /** Every agent's statistics. */
  entries(): IterableIterator<[string, ReadonlyMap<string, TaskStatistic>]> {
    return this.byAgent.entries();
  }

  /** Forgets an agent's statistics (the agent is gone). */
  forget(agentId: string): void {
    this.byAgent.delete(agentId);
  }
}
