/**
 * The agents' latest usage reports (what their running tasks actually use), as the master keeps
 * them: in memory only. Usage is chatter, not state (design rule 4): a report replaces the
 * previous one of its agent, nothing is written, and a restarted master knows no usage until
 * the agents report again, so it offers no revocable resources and evicts nothing meanwhile.
 */
import type { UsageReport } from "../../../schemas/index.ts";
import { taskKey } from "../store/records.ts";

/** What a task was measured to use: cores (average over the agent's interval) and MB. */
export interface MeasuredUsage {
  cpus: number;
  mem: number;
}

/** agentId → its latest report, by task key (`taskKey`). */
export class UsageReports {
  private readonly byAgent = new Map<string, ReadonlyMap<string, MeasuredUsage>>();

  /**
   * Takes `report` as the agent's usage from now on. An empty report is kept too: the agent runs
   * nothing, so there is no slack there (and revocable tasks placed there must go).
   */
  record(agentId: string, report: UsageReport): void {
    const tasks = new Map<string, MeasuredUsage>();
    for (const t of report.tasks) tasks.set(taskKey(t.framework_id.value, t.task_id.value), { cpus: t.cpus, mem: t.mem_mb });
    this.byAgent.set(agentId, tasks);
  }

  /** The agent's latest report by task key; undefined when it has none. */
  of(agentId: string): ReadonlyMap<string, MeasuredUsage> | undefined {
    return this.byAgent.get(agentId);
  }

  /** Forgets an agent's report (the agent is gone). */
  forget(agentId: string): void {
    this.byAgent.delete(agentId);
  }

  /** The agents with a report. */
  agents(): IterableIterator<string> {
    return this.byAgent.keys();
  }

  get size(): number {
    return this.byAgent.size;
  }
}
