/**
 * What a task status update does to the services framework's state, decided purely: the
 * instance's new state (its start time on the first TASK_RUNNING), and when the task ended, the
 * instance gone and, unless it was being stopped or was killed (other than by its failed health
 * checks), a failure: the app's launch delay
 * grows (launch-backoff.ts, Marathon's RateLimiter) and `lastTaskFailure` is set. An update for a
 * task the framework does not know (a launch it never recorded, an app deleted long ago) that is
 * still alive is to be killed. An update's `healthy` is the instance's health (task-health.ts).
 * TASK_UNKNOWN (the master's answer to the reconciliation of a task it never heard of, for a
 * partition-aware framework) ends the instance as TASK_LOST did: Marathon counts it a failure
 * (core/condition/Condition.scala). TASK_UNREACHABLE keeps the instance and records since when
 * (unreachable.ts); a task of an inactive instance that comes back has the app stop its surplus.
 */
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import type { TaskStatus } from "../../schemas/mesos.ts";
import { isTerminal } from "../../schemas/task-states.ts";
import { delayAfterFailure, delayInForce } from "../shared/launch-backoff.ts";
import { deploymentOfApp } from "./deployments.ts";
import { instancesToStop } from "./scale-planner.ts";
import { type AppRecord, type InstanceRecord, instancesOf, type ServicesState } from "./service-records.ts";
import { healthAfter } from "./task-health.ts";
import { unreachableSince } from "./unreachable.ts";

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
  /** Other instances of the app to stop: the surplus once an inactive instance came back. */
  stops?: InstanceRecord[];
}

/** The outcome of `status` at `nowMs`. */
export function applyStatus(state: ServicesState, status: TaskStatus, nowMs: number): StatusOutcome {
  const taskId = status.task_id.value;
  const instance = state.instances.get(taskId);
  const ended = isTerminal(status.state) || status.state === "TASK_UNKNOWN";
  if (!instance) {
    return ended ? {} : { killUnknown: { taskId, ...(status.agent_id ? { agentId: status.agent_id.value } : {}) } };
  }
  if (!ended) {
    const startedAt = instance.startedAt ?? (status.state === "TASK_RUNNING" ? nowMs : undefined);
    const health = status.healthy === undefined ? instance.health : healthAfter(instance.health, status.healthy, nowMs, status.message);
    const { unreachableSince: _since, inactive: _inactive, ...reachable } = instance;
    const unreachable = status.state === "TASK_UNREACHABLE";
    const updated: InstanceRecord = {
      ...reachable,
      state: status.state,
      ...(startedAt !== undefined ? { startedAt } : {}),
      ...(health ? { health } : {}),
      ...(unreachable ? { unreachableSince: unreachableSince(instance, status, nowMs), ...(instance.inactive ? { inactive: true as const } : {}) } : {}),
    };
    if (!instance.inactive || unreachable) return { instance: updated };
    return surplusAfterReturn(state, updated, nowMs);
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

/**
 * An inactive instance's task came back (`back`, no longer inactive): the app counts it again and
 * stops what it has over `instances`, in `killSelection` order (Marathon's DecommissionInstance
 * after an instance became reachable again), which may be `back` itself. During a deployment of
 * the app the deployment decides instead.
 */
function surplusAfterReturn(state: ServicesState, back: InstanceRecord, nowMs: number): StatusOutcome {
  const record = state.apps.get(back.appId);
  if (!record || deploymentOfApp(state, back.appId)) return { instance: back };
  const instances = instancesOf(state, back.appId).map((i) => (i.taskId === back.taskId ? back : i));
  const doomed = new Set(instancesToStop(record, instances));
  const stop = (i: InstanceRecord): InstanceRecord => ({ ...i, goal: "stopped", killAskedAt: nowMs });
  const stops = instances.filter((i) => i.taskId !== back.taskId && doomed.has(i.taskId)).map(stop);
  return { instance: doomed.has(back.taskId) ? stop(back) : back, ...(stops.length > 0 ? { stops } : {}) };
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
