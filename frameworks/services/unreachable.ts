/**
 * Marathon's unreachable strategy, decided purely from the state and the time. The services
 * framework subscribes PARTITION_AWARE, so a task whose agent the master stops hearing from is
 * reported TASK_UNREACHABLE (not TASK_LOST): it may still be running. As in Marathon (sources in
 * mesosphere/marathon: state/UnreachableStrategy.scala; core/instance/Instance.scala
 * `shouldBecomeInactive`; core/task/Task.scala `isUnreachableExpired`;
 * core/task/jobs/impl/ExpungeOverdueLostTasksActor.scala `shouldExpunge`;
 * core/task/update/impl/steps/ScaleAppUpdateStepImpl.scala):
 *
 * - The instance is unreachable from the `unreachable_time` the master put on the update (else
 *   the update's timestamp). It still counts as one of the app's instances (Marathon's
 *   `Unreachable` condition is active).
 * - Once it has been unreachable for longer than `inactiveAfterSeconds` it is inactive
 *   (Marathon's `UnreachableInactive`): it no longer counts, so a replacement launches; its task
 *   is not killed.
 * - Once it has been unreachable for longer than `expungeAfterSeconds` it is expunged: the
 *   framework forgets it, and kills its task should it ever come back (an unknown task).
 * - An inactive instance whose task comes back (any state but TASK_UNREACHABLE) counts again:
 *   the app, now over its `instances`, stops the surplus in `killSelection` order
 *   (scale-planner.ts), unless a deployment of the app is in progress (it decides then).
 * - `"disabled"`: never inactive, never expunged; the framework waits for the task to come back.
 */
import type { TaskStatus } from "../../schemas/mesos.ts";
import { type AppRecord, type InstanceRecord, type ServicesState, unreachableInstances } from "./service-records.ts";

/** When the task of `instance`, reported TASK_UNREACHABLE by `status`, became unreachable (ms). */
export function unreachableSince(instance: InstanceRecord, status: TaskStatus, nowMs: number): number {
  const ns = status.unreachable_time?.nanoseconds;
  if (ns !== undefined) return Math.round(Number(ns) / 1e6);
  if (instance.state === "TASK_UNREACHABLE" && instance.unreachableSince !== undefined) return instance.unreachableSince;
  return status.timestamp !== undefined ? Math.round(status.timestamp * 1000) : nowMs;
}

/** Whether `instance` has been unreachable for longer than `seconds` at `nowMs` (Marathon's `isUnreachableExpired`). */
const unreachableFor = (instance: InstanceRecord, seconds: number, nowMs: number): boolean =>
  instance.state === "TASK_UNREACHABLE" && instance.unreachableSince !== undefined && nowMs - instance.unreachableSince > seconds * 1000;

/** Whether `record`'s strategy makes the unreachable `instance` inactive (to be replaced) at `nowMs`. */
export function becomesInactive(record: AppRecord, instance: InstanceRecord, nowMs: number): boolean {
  const strategy = record.app.unreachableStrategy;
  return strategy !== "disabled" && unreachableFor(instance, strategy.inactiveAfterSeconds, nowMs);
}

/** Whether `record`'s strategy expunges the unreachable `instance` at `nowMs`. */
export function expungeDue(record: AppRecord, instance: InstanceRecord, nowMs: number): boolean {
  const strategy = record.app.unreachableStrategy;
  return strategy !== "disabled" && unreachableFor(instance, strategy.expungeAfterSeconds, nowMs);
}

/** What the unreachable strategy asks for at `nowMs`: instances that become inactive, instances expunged. */
export interface UnreachableSteps {
  inactive: InstanceRecord[];
  expunged: string[];
}

/**
 * The unreachable instances whose time has come at `nowMs`: expunged (past `expungeAfterSeconds`)
 * or made inactive (past `inactiveAfterSeconds`). An instance of an app that no longer exists is
 * left alone (deleting the app stopped it already).
 */
export function unreachableSteps(state: Pick<ServicesState, "apps" | "instances">, nowMs: number): UnreachableSteps {
  const inactive: InstanceRecord[] = [];
  const expunged: string[] = [];
  for (const i of unreachableInstances(state)) {
    const record = state.apps.get(i.appId);
    if (!record) continue;
    if (expungeDue(record, i, nowMs)) expunged.push(i.taskId);
    else if (!i.inactive && becomesInactive(record, i, nowMs)) inactive.push({ ...i, inactive: true });
  }
  return { inactive, expunged };
}

/** Whether `instance` counts toward its app's `instances`: meant to keep running and not given up on as unreachable. */
export const countsTowardInstances = (instance: InstanceRecord): boolean => instance.goal === "running" && !instance.inactive;
