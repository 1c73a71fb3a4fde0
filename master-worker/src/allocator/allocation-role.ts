/**
 * Tasks count against the role their resources are allocated to (Mesos: `Resource.allocation_info`).
 * A framework may launch a task with resources that name no role (single-role frameworks
 * usually do; Mesos' master fills it in for them); the task then takes the role of the offer it
 * was launched from, so the allocator counts it where the offer was counted.
 */
import type { Offer, TaskInfo } from "../../../schemas/index.ts";

/** `task` with every resource that names no allocation role marked with the offer's; the same task when nothing needs marking. */
export function withAllocationRole(task: TaskInfo, allocation: Offer["allocation_info"]): TaskInfo {
  const role = allocation?.role;
  if (role === undefined || task.resources.every((r) => r.allocation_info?.role !== undefined)) return task;
  return { ...task, resources: task.resources.map((r) => (r.allocation_info?.role !== undefined ? r : { ...r, allocation_info: { role } })) };
}
