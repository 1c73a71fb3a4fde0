/**
 * A task the process containerizer (process-containerizer.ts) started or re-attached to, as a
 * `Container`: its end (the exit status its executor recorded, an OOM kill, what is left of
 * its output), its kill (SIGTERM to the group, SIGKILL to all but the executor after the grace
 * period), and the OOM watch that destroys the whole task when the kernel kills inside it.
 */
import { join } from "node:path";
import type { TaskCgroup } from "../isolation/cgroup-task.ts";
import { tail } from "../sandbox/stdout-tail.ts";
import { errorText, type Logger } from "../system/log.ts";
import { groupMembers, killGroup, processRunning } from "../system/proc.ts";
import type { Container, ContainerExit, ContainerIdentity } from "./containerizer.ts";
import { exitFromStatus, readExitStatus } from "./executor.ts";

/** How often a running task's cgroup is checked for an OOM kill. */
const OOM_CHECK_MS = 250;

/** How often a re-attached task's executor is checked for having ended (it is not our child). */
export const REATTACHED_POLL_MS = 500;

/** How the executor process itself ended, when this agent is its parent. */
export interface ExecutorEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves once `pid` (started at `start`) has ended, checking every `REATTACHED_POLL_MS`. */
export function whenEnded(pid: number, start: string | undefined): Promise<undefined> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (processRunning(pid, start)) return;
      clearInterval(timer);
      resolve(undefined);
    }, REATTACHED_POLL_MS);
  });
}

/**
 * A task run by its executor (`pid` is the executor's: the leader of the task's process group).
 * `ended` resolves when the executor has ended: with its exit when this agent started it, with
 * undefined when it was re-attached after an agent restart.
 */
export class ProcessContainer implements Container {
  readonly exited: Promise<ContainerExit>;
  private done = false;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private oomSeen = false;
  /** The executor's pid; undefined for a task that ended before its pid was checkpointed. */
  private readonly pid: number | undefined;

  constructor(
    readonly identity: ContainerIdentity,
    ended: Promise<ExecutorEnd | undefined>,
    private readonly cgroup: TaskCgroup | undefined,
    sandbox: string,
    log: Logger,
  ) {
    this.pid = identity.pid;
    // As Mesos does on a memory limitation, an OOM kill anywhere in the task's cgroup destroys
    // the whole task: the shell around a killed process must not carry on.
    const oomWatch =
      cgroup &&
      setInterval(() => {
        if (this.done || !cgroup.oomKilled(true)) return;
        this.oomSeen = true;
        this.killTaskProcesses("SIGKILL");
      }, OOM_CHECK_MS);
    this.exited = ended.then(async (own) => {
      this.done = true;
      clearTimeout(this.graceTimer);
      if (oomWatch) clearInterval(oomWatch);
      // The executor is gone: whatever the task left in its group or cgroup goes too. (A pid
      // in use as a process group id is never given to a new process; with the group empty
      // the pid may be reused by now, and then it is left alone.)
      if (this.pid !== undefined && !processRunning(this.pid, undefined)) killGroup(this.pid, "SIGKILL");
      const oomKilled = this.oomSeen || (cgroup?.oomKilled() ?? false);
      const status = readExitStatus(sandbox);
      const how = status !== undefined ? exitFromStatus(status) : { code: null, signal: null, lost: lostReason(own) };
      if (cgroup) await cgroup.destroy().catch((e) => log.warn("cannot remove task cgroup", { cgroup: cgroup.name, error: errorText(e) }));
      return { ...how, oomKilled, stdoutTail: tail(join(sandbox, "stdout")) };
    });
  }

  kill(graceMs: number): void {
    if (this.done || this.graceTimer || this.pid === undefined || !processRunning(this.pid, this.identity.pid_start)) return;
    killGroup(this.pid, "SIGTERM"); // the executor ignores it; the task's processes get it
    this.graceTimer = setTimeout(() => {
      if (!this.done) this.killTaskProcesses("SIGKILL");
    }, graceMs);
  }

  /** Signals every process of the task's group and cgroup except the executor, which then records the status. */
  private killTaskProcesses(signal: NodeJS.Signals): void {
    const pids = new Set([...(this.pid !== undefined ? groupMembers(this.pid) : []), ...(this.cgroup?.pids() ?? [])]);
    if (this.pid !== undefined) pids.delete(this.pid);
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    }
  }
}

/** Why a task's exit status is unknown: its executor ended without recording it. */
function lostReason(own: ExecutorEnd | undefined): string {
  const how = !own ? "" : own.signal ? ` with signal ${own.signal}` : ` with status ${own.code}`;
  return `the task's executor ended${how} without recording the task's exit status`;
}
