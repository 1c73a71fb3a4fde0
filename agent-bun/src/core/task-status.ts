/**
 * What a task's status updates say: how its end is reported (which terminal state, reason and
 * message for a disk-limit kill, an OOM kill, a health-check kill, a kill or a preemption, a lost
 * exit status, the command's own exit). Pure: the task runner (task-runner.ts) sends them.
 */
import type { TaskInfo, TaskState, TaskStatus } from "../../../schemas/mesos.ts";
import type { ContainerExit } from "../containerizers/containerizer.ts";
import { taskLimits } from "../containerizers/task-env.ts";
import type { TaskRecord } from "../state/checkpoint.ts";

/** The optional fields of a status update the agent fills in (it never speaks for the master). */
export type StatusExtra = Pick<TaskStatus, "message" | "reason" | "data" | "healthy"> & { source?: Exclude<TaskStatus["source"], "SOURCE_MASTER"> };

/** A task's next state and the fields its update carries. */
export interface StatusChange {
  state: TaskState;
  extra: StatusExtra;
}

/**
 * The end of a task whose container exited: `healthKill` is the message of the health check
 * that had it killed, `diskMessage` that of the disk watch, when one did.
 */
export function terminalStatus(
  record: TaskRecord,
  task: TaskInfo | undefined,
  exit: ContainerExit,
  healthKill: string | undefined,
  diskMessage: string | undefined,
): StatusChange {
  const data = exit.stdoutTail ? { data: exit.stdoutTail } : {};
  const message = exit.lost
    ? `Command status unknown: ${exit.lost}`
    : exit.signal !== null
      ? `Command terminated with signal ${exit.signal}`
      : `Command exited with status ${exit.code}`;
  if (diskMessage && !record.kill_requested) {
    return {
      state: "TASK_FAILED",
      extra: { source: "SOURCE_AGENT", reason: "REASON_CONTAINER_LIMITATION_DISK", ...data, message: `${diskMessage} (${message})` },
    };
  }
  if (exit.oomKilled) {
    const mem = task && taskLimits(task.resources).memMB;
    return {
      state: "TASK_FAILED",
      extra: {
        source: "SOURCE_AGENT",
        reason: "REASON_CONTAINER_LIMITATION_MEMORY",
        ...data,
        message: `Memory limit exceeded: the task used more than its ${mem ?? "?"} MB and was killed by the OOM killer (${message})`,
      },
    };
  }
  if (healthKill) {
    // Mesos reports such a kill as TASK_KILLED with healthy: false; the reason tells it apart.
    return {
      state: "TASK_KILLED",
      extra: { source: "SOURCE_EXECUTOR", reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", healthy: false, ...data, message: `${healthKill} (${message})` },
    };
  }
  if (record.kill_requested) return killedStatus(record, { source: "SOURCE_EXECUTOR", message, ...data });
  if (exit.lost) return { state: "TASK_FAILED", extra: { source: "SOURCE_AGENT", reason: "REASON_EXECUTOR_TERMINATED", message, ...data } };
  if (exit.code === 0) return { state: "TASK_FINISHED", extra: { source: "SOURCE_EXECUTOR", message, ...data } };
  return { state: "TASK_FAILED", extra: { source: "SOURCE_EXECUTOR", reason: "REASON_COMMAND_EXECUTOR_FAILED", message, ...data } };
}

/**
 * A killed task's end: TASK_KILLED, or for a preemption the state the master asked for with
 * REASON_CONTAINER_PREEMPTED from the agent (as Mesos reports a QoS correction's kill).
 */
export function killedStatus(record: TaskRecord, extra: StatusExtra): StatusChange {
  if (!record.preempted) return { state: "TASK_KILLED", extra };
  return {
    state: record.preempted,
    extra: {
      ...extra,
      source: "SOURCE_AGENT",
      reason: "REASON_CONTAINER_PREEMPTED",
      message: `Preempted: its revocable resources are needed by regular tasks (${extra.message ?? "killed"})`,
    },
  };
}
