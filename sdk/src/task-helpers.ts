/**
 * Small helpers for the common case of frameworks: build a command task, and read what
 * the agent reports when it ends (stdout tail in `data`, exit status in `message`).
 */
import type { HealthCheck, Resource, TaskInfo, TaskStatus } from "../../schemas/mesos.ts";
import { utf8FromBase64 } from "./base64.ts";
import { type IdLike, toId } from "./ids.ts";

/** What `commandTask` needs; give exactly one of `shell` and `command`. */
export interface CommandTaskSpec {
  taskId: IdLike;
  agentId: IdLike;
  /** Defaults to the task id. */
  name?: string;
  resources: Resource[];
  /** A shell command line, run with `/bin/sh -c`. */
  shell?: string;
  /** An argv run directly, without a shell (`command[0]` is the executable). */
  command?: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** SIGTERM-to-SIGKILL delay when the task is killed (Mesos default 3 s). */
  killGracePeriodSeconds?: number;
  labels?: Readonly<Record<string, string>>;
  /** A Mesos health check (COMMAND, HTTP or TCP); the agent reports `healthy` and kills after `consecutive_failures`. */
  healthCheck?: HealthCheck;
}

/** A TaskInfo running a command on `agentId` with `resources`. */
export function commandTask(spec: CommandTaskSpec): TaskInfo {
  if ((spec.shell === undefined) === (spec.command === undefined)) {
    throw new Error("commandTask: give exactly one of 'shell' (a command line) and 'command' (an argv)");
  }
  if (spec.command && spec.command.length === 0) throw new Error("commandTask: 'command' needs at least the executable");
  const taskId = toId(spec.taskId);
  const variables = Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, type: "VALUE" as const, value }));
  const command: TaskInfo["command"] =
    spec.shell !== undefined ? { shell: true, value: spec.shell } : { shell: false, value: spec.command![0]!, arguments: [...spec.command!] };
  if (variables.length) command.environment = { variables };
  const task: TaskInfo = { name: spec.name ?? taskId.value, task_id: taskId, agent_id: toId(spec.agentId), resources: spec.resources, command };
  if (spec.killGracePeriodSeconds !== undefined) {
    task.kill_policy = { grace_period: { nanoseconds: Math.round(spec.killGracePeriodSeconds * 1e9) } };
  }
  if (spec.labels) task.labels = { labels: Object.entries(spec.labels).map(([key, value]) => ({ key, value })) };
  if (spec.healthCheck) task.health_check = spec.healthCheck;
  return task;
}

/** The task output the agent attached to `status` (the last ≤ 4 KiB of stdout), as text; "" when none. */
export function decodeTaskOutput(status: Pick<TaskStatus, "data">): string {
  if (!status.data) return "";
  try {
    return utf8FromBase64(status.data);
  } catch {
    return "";
  }
}

/**
 * The exit status in a terminal update's message (`Command exited with status 3` → 3);
 * undefined when the message carries none (killed by a signal, lost, never started).
 */
export function exitStatusOf(status: Pick<TaskStatus, "message">): number | undefined {
  const m = /exited with status (-?\d+)/i.exec(status.message ?? "");
  return m ? Number(m[1]) : undefined;
}
