/**
 * What the agent core asks of a containerizer: prepare a sandbox, start a task's command,
 * stop it, and clean up after processes of an earlier agent run. `ProcessContainerizer` runs
 * real processes; tests of the core use a fake.
 */
import type { TaskInfo } from "../../../schemas/mesos.ts";
import type { GpuAssignment } from "../gpu/gpu-assignment.ts";
import type { TaskRecord } from "../state/checkpoint.ts";

/** Everything needed to start one task. */
export interface LaunchSpec {
  frameworkId: string;
  agentId: string;
  task: TaskInfo;
  /** The task's sandbox directory (cwd, stdout and stderr files). */
  sandbox: string;
  /** The task's GPUs and the machine's others, on an agent with GPUs (gpu-assignment.ts). */
  gpus?: GpuAssignment;
  /** `FrameworkInfo.user` of the task's framework: whom the task runs as when `CommandInfo.user` is unset (task-user.ts). */
  frameworkUser?: string;
}

/** How a task's process ended. */
export interface ContainerExit {
  /** Exit status when it exited normally. */
  code: number | null;
  /** Signal name when it was terminated by a signal. */
  signal: string | null;
  /** The kernel's OOM killer struck inside the task's memory limit. */
  oomKilled: boolean;
  /** The last (up to 4 KiB) bytes of the task's stdout, base64. */
  stdoutTail?: string;
  /**
   * Set when the task's exit status is unknown (its executor ended without recording one):
   * why, for the TASK_FAILED message. `code` and `signal` are then null.
   */
  lost?: string;
}

/** What identifies a running task's process across agent restarts (checkpointed). */
export type ContainerIdentity = Pick<TaskRecord, "pid" | "boot_id" | "pid_start" | "cgroup" | "docker_container" | "gpus">;

/** A started task. */
export interface Container {
  readonly identity: ContainerIdentity;
  /** Resolves once the process has ended and its cgroup is gone. */
  readonly exited: Promise<ContainerExit>;
  /** SIGTERM to the process group, SIGKILL after `graceMs`. */
  kill(graceMs: number): void;
}

/** A task could not be started; `message` goes into TASK_FAILED. */
export class LaunchError extends Error {
  constructor(
    message: string,
    readonly reason = "REASON_CONTAINER_LAUNCH_FAILED",
  ) {
    super(message);
    this.name = "LaunchError";
  }
}

/** Runs tasks. */
export interface Containerizer {
  /** Creates the sandbox (before TASK_STARTING). */
  prepare(spec: LaunchSpec): Promise<void>;
  /** Starts the command (TASK_RUNNING once it resolves); throws `LaunchError`. */
  launch(spec: LaunchSpec): Promise<Container>;
  /** Kills what is left of a task started by an earlier agent process and removes its cgroup. */
  destroyOrphan(record: TaskRecord): Promise<void>;
  /** True when it runs tasks with a DOCKER ContainerInfo (composing-containerizer.ts); others fail them. */
  readonly runsDocker?: boolean;
  /**
   * Re-attaches to a task started by an earlier agent process (`--recover=reconnect`): a
   * container whose `exited` resolves when the task ends (at once when it ended while the
   * agent was down and its exit status was kept), whose `kill` works as for a task launched
   * by this process. Undefined when nothing can be re-attached (the task is lost; the caller
   * then calls `destroyOrphan`). Containerizers without it lose every task on restart.
   */
  recover?(record: TaskRecord): Promise<Container | undefined>;
  /** One line on how tasks are isolated (logged at start). */
  readonly description: string;
}
