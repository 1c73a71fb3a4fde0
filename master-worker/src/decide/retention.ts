/**
 * How much history the master keeps: at most `maxCompletedTasksPerFramework` terminal tasks per
 * framework and `maxCompletedFrameworks` torn-down frameworks (with their tasks), the oldest
 * forgotten first — Mesos' `--max_completed_tasks_per_framework` and `--max_completed_frameworks`.
 * Without it every task ever run stays in the object's memory and SQLite, and a Durable Object
 * is reset at 128 MB (the soak benchmark, bench/soak.ts, measured ~1.7 MB more heap per 1,000
 * tasks before). A terminal task whose status updates are still kept (not yet acknowledged, or
 * the agent not yet told) is not forgotten yet: its updates still name it. A forgotten task is
 * unknown to reconciliation and `/master/state` afterwards, as in Mesos once it leaves the
 * completed-tasks buffer; a forgotten framework's id could subscribe again.
 */
import { isTerminal } from "../../../schemas/index.ts";
import type { FrameworkRecord, TaskRecord } from "../store/records.ts";
import type { Effect } from "./effects.ts";
import type { MasterView } from "./view.ts";

/** The forgetting effects that bring the view within its retention bounds (none when it is). */
export function decideRetention(view: MasterView): Effect[] {
  const { maxCompletedTasksPerFramework: perFramework, maxCompletedFrameworks } = view.config;
  const completed = new Map<string, TaskRecord[]>();
  const live = new Set<string>(); // frameworks with a task that is not over yet
  for (const t of view.tasks.values()) {
    if (!isTerminal(t.state) || view.updates.countForTask(t.frameworkId, t.taskId) > 0) {
      live.add(t.frameworkId);
      continue;
    }
    let list = completed.get(t.frameworkId);
    if (!list) completed.set(t.frameworkId, (list = []));
    list.push(t);
  }
  const effects: Effect[] = [];
  const forgotten = new Set<string>();
  // Torn-down frameworks, oldest first; one with a task not over yet is kept whatever its age.
  const removed: FrameworkRecord[] = [];
  for (const f of view.frameworks.values()) if (f.removed && !live.has(f.id)) removed.push(f);
  removed.sort((a, b) => a.registeredAt - b.registeredAt || (a.id < b.id ? -1 : 1));
  for (const f of removed.slice(0, Math.max(0, removed.length - maxCompletedFrameworks))) {
    forgotten.add(f.id);
    for (const t of completed.get(f.id) ?? []) effects.push({ kind: "forgetTask", frameworkId: t.frameworkId, taskId: t.taskId });
    effects.push({ kind: "forgetFramework", frameworkId: f.id });
  }
  for (const [fid, list] of completed) {
    if (forgotten.has(fid) || list.length <= perFramework) continue;
    list.sort((a, b) => a.updatedAt - b.updatedAt || (a.taskId < b.taskId ? -1 : 1));
    for (const t of list.slice(0, list.length - perFramework)) effects.push({ kind: "forgetTask", frameworkId: fid, taskId: t.taskId });
  }
  return effects;
}
