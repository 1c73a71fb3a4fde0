/**
 * Which instances an app stops when it has more than its `instances`: Marathon's scaling
 * proposition (scaling-proposition.ts: condition, then `killSelection`, GROUP_BY-aware), over the
 * instances meant to keep running.
 */

import { constraintsOf } from "./offer-planner.ts";
import type { InstanceCondition, ScalingInstance } from "./scaling-proposition.ts";
import { proposeScaling } from "./scaling-proposition.ts";
import type { AppRecord, InstanceRecord } from "./service-records.ts";

const CONDITIONS: Record<string, InstanceCondition> = {
  TASK_STAGING: "Staging",
  TASK_STARTING: "Starting",
  TASK_RUNNING: "Running",
  TASK_UNREACHABLE: "Unreachable",
};

/** An instance as the scaling proposition sees it. */
function scalingInstance(i: InstanceRecord): ScalingInstance {
  const condition = i.inactive ? "UnreachableInactive" : (CONDITIONS[i.state] ?? i.state);
  const sinceMs = condition === "Running" ? i.startedAt : i.stagedAt;
  return {
    id: i.taskId,
    condition,
    goalRunning: i.goal === "running",
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    placement: { hostname: i.host, attributes: [] },
  };
}

/** The task ids of `instances` (the app's) to stop so that `record`'s app runs its `instances`. */
export function instancesToStop(record: AppRecord, instances: readonly InstanceRecord[]): string[] {
  const { app } = record;
  return proposeScaling(instances.map(scalingInstance), [], app.instances, app.killSelection, constraintsOf(app)).toKill;
}
