/**
 * What a task status update does to the services framework's state, decided purely: the
 * instance's new state (its start time on the first TASK_RUNNING), and when the task ended, the
 * instance gone and, unless it was being stopped or was killed (other than by its failed health
 * checks), a failure: the app's launch delay
 * grows (launch-backoff.ts, Marathon's RateLimiter) and `lastTaskFailure` is set. An update for a
 * task the framework does not know (a launch it never recorded, an app deleted long ago) that is
 * still alive is to be killed. An update's `healthy` is the instance's health (task-health.ts).
 */
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import type { TaskStatus } from "../../schemas/mesos.ts";
import { isTerminal } from "../../schemas/task-states.ts";
import { delayAfterFailure, delayInForce } from "../shared/launch-backoff.ts";
import type { AppRecord, InstanceRecord, ServicesState } from "./service-records.ts";
import { healthAfter } from "./task-health.ts";

/** The changes one update asks for; the object commits them in one transaction. */
export interface StatusOutcome {
  /** The instance as it is now (absent when it ended, or is unknown). */
  instance?: InstanceRecord;
  /** A task that ended: its instance row goes. */
  removed?: string;
  /** Its app with a longer launch delay and the failure recorded. */
  app?: AppRecord;
  /** An unknown task still alive: kill it (task id, agent id). */
  killUnknown?: { taskId: string; agentId?: string };
}

/** The outcome of `status` at `nowMs`. */
export function applyStatus(state: ServicesState, status: TaskStatus, nowMs: number): StatusOutcome {
  const taskId = status.task_id.value;
  const instance = state.instances.get(taskId);
  const ended = isTerminal(status.state);
  if (!instance) {
    return ended ? {} : { killUnknown: { taskId, ...(status.agent_id ? { agentId: status.agent_id.value } : {}) } };
  }
  if (!ended) {
    const startedAt = instance.startedAt ?? (status.state === "TASK_RUNNING" ? nowMs : undefined);
    const health = status.healthy === undefined ? instance.health : healthAfter(instance.health, status.healthy, nowMs, status.message);
    return { instance: { ...instance, state: status.state, ...(startedAt !== undefined ? { startedAt } : {}), ...(health ? { health } : {}) } };
  }
  const record = state.apps.get(instance.appId);
  // The agent kills a task whose health checks failed `maxConsecutiveFailures` times: a failure, as in Marathon.
  const healthKilled = status.reason === "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED";
  const failed = instance.goal === "running" && (status.state !== "TASK_KILLED" || healthKilled);
  if (!record || !failed) return { removed: taskId };
  const strategy = record.app;
  const app: AppRecord = {
    ...record,
    delay: delayAfterFailure(delayInForce(record.delay, strategy, nowMs), strategy, nowMs),
    lastTaskFailure: {
      appId: instance.appId,
      host: instance.host,
      message: status.message ?? "",
      state: status.state,
      taskId,
      timestamp: marathonTime(nowMs),
      version: marathonTime(instance.version),
      slaveId: instance.agentId,
    },
  };
  return { removed: taskId, app };
}

/** How long a launched task may go without any update before the framework asks the master about it. */
export const LAUNCH_QUIET_MS = 30_000;

/**
 * The instances launched more than `LAUNCH_QUIET_MS` ago that have heard nothing since (still
 * TASK_STAGING as the framework recorded them): their ACCEPT may never have reached the master.
 * An explicit RECONCILE settles it: the master answers the task's state, or TASK_LOST for a task
 * it does not know, which ends the instance and gets it replaced.
 */
export function quietLaunches(state: Pick<ServicesState, "instances">, nowMs: number): InstanceRecord[] {
  return [...state.instances.values()].filter((i) => i.state === "TASK_STAGING" && i.goal === "running" && nowMs - i.stagedAt > LAUNCH_QUIET_MS);
}
