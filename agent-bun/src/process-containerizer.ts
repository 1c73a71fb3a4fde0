/**
 * Runs CommandInfo tasks as real processes, each in its own process group (so a kill reaches
 * its children) and, when available, its own cgroup with memory and cpu limits. With a cgroup
 * the process is started as a tiny shell wrapper that waits on a pipe until the agent has put
 * it into the cgroup, then execs the task's command: the command never runs unconstrained.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, readSync, fstatSync } from "node:fs";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { TASK_OUTPUT_TAIL_BYTES } from "../../schemas/agent-limits.ts";
import type { TaskRecord } from "./checkpoint.ts";
import type { Cgroups, TaskCgroup } from "./cgroups.ts";
import { LaunchError, type Container, type ContainerExit, type Containerizer, type LaunchSpec } from "./containerizer.ts";
import { errorText, type Logger } from "./log.ts";
import { taskCgroupName } from "./paths.ts";
import { bootId, killGroup, processStartTime } from "./proc.ts";
import { taskEnvironment, taskLimits } from "./task-env.ts";

/** How often a running task's cgroup is checked for an OOM kill. */
const OOM_CHECK_MS = 250;

/** Bytes of stdout returned in the terminal update's `data` (the protocol's constant). */
export const STDOUT_TAIL_BYTES = TASK_OUTPUT_TAIL_BYTES;

/** The shell wrapper: wait for the go-ahead on fd 3, close it, exec the command. */
const BASH_WRAPPER = 'IFS= read -r _ <&3 || exit 111; exec 3<&-; exec -a "$0" "$@"';
/** The same for /bin/sh (no `exec -a`); also starts COMMAND health checks inside a task's cgroup (health-probes.ts). */
export const SH_WRAPPER = 'IFS= read -r _ <&3 || exit 111; exec 3<&-; exec "$@"';

/** The real containerizer. */
export class ProcessContainerizer implements Containerizer {
  readonly description: string;
  private readonly bash = existsSync("/bin/bash");

  constructor(private readonly cgroups: Cgroups, private readonly log: Logger) {
    this.description = cgroups.enabled ? `processes in cgroups (${cgroups.description})` : `processes without resource limits: ${cgroups.description}`;
  }

  async prepare(spec: LaunchSpec): Promise<void> {
    mkdirSync(spec.sandbox, { recursive: true });
  }

  async launch(spec: LaunchSpec): Promise<Container> {
    const command = spec.task.command;
    if (!command) throw new LaunchError("task has no command");
    const shell = command.shell ?? true;
    if (!command.value) throw new LaunchError(shell ? "command.value is empty" : "command.value (the executable) is empty");
    const file = shell ? "/bin/sh" : command.value;
    const args = shell ? ["-c", command.value] : (command.arguments ?? []).slice(1);
    const argv0 = shell ? "sh" : command.arguments?.[0] ?? command.value;

    // Loaded at the first launch: an idle agent need not hold node:child_process.
    const { spawn } = await import("node:child_process");
    let cgroup: TaskCgroup | undefined;
    const cgroupName = taskCgroupName(spec.frameworkId, spec.task.task_id.value);
    try {
      cgroup = await this.cgroups.create(cgroupName, taskLimits(spec.task.resources));
    } catch (e) {
      throw new LaunchError(`cannot create cgroup for the task: ${errorText(e)}`);
    }

    const out = openSync(join(spec.sandbox, "stdout"), "a");
    const err = openSync(join(spec.sandbox, "stderr"), "a");
    let child: ChildProcess;
    try {
      const options = { cwd: spec.sandbox, env: taskEnvironment(spec), detached: true };
      child = cgroup
        ? spawn(this.bash ? "/bin/bash" : "/bin/sh", ["-c", this.bash ? BASH_WRAPPER : SH_WRAPPER, argv0, file, ...args],
          { ...options, stdio: ["ignore", out, err, "pipe"] })
        : spawn(file, args, { ...options, argv0, stdio: ["ignore", out, err] });
      await spawned(child);
    } catch (e) {
      await cgroup?.destroy().catch(() => {});
      throw new LaunchError(`failed to start the command: ${errorText(e)}`);
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const pid = child.pid!;
    if (cgroup) {
      try {
        cgroup.addProcess(pid);
      } catch (e) {
        killGroup(pid, "SIGKILL");
        await cgroup.destroy().catch(() => {});
        throw new LaunchError(`cannot put the task into its cgroup: ${errorText(e)}`);
      }
      const go = child.stdio[3] as Writable;
      go.on("error", () => {}); // the wrapper died first: its exit is reported as usual
      go.end("go\n");
    }
    return new ProcessContainer(child, pid, cgroup, spec.sandbox, this.log);
  }

  async destroyOrphan(record: TaskRecord): Promise<void> {
    if (record.pid && record.boot_id && record.boot_id === bootId()
      && (!record.pid_start || record.pid_start === processStartTime(record.pid))) {
      if (killGroup(record.pid, "SIGKILL")) this.log.info("killed task process left by the previous agent", { task_id: record.task_id, pid: record.pid });
    }
    if (record.cgroup) await this.cgroups.destroy(record.cgroup);
  }
}

/** Resolves once the child has a pid, rejects with the spawn error (e.g. ENOENT). */
function spawned(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    if (child.pid !== undefined) {
      child.once("error", () => {}); // reported through 'exit'
      return resolve();
    }
    child.once("error", reject);
    child.once("spawn", resolve);
  });
}

class ProcessContainer implements Container {
  readonly identity: Container["identity"];
  readonly exited: Promise<ContainerExit>;
  private done = false;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private oomSeen = false;

  constructor(child: ChildProcess, private readonly pid: number, cgroup: TaskCgroup | undefined, sandbox: string, log: Logger) {
    this.identity = { pid, boot_id: bootId(), pid_start: processStartTime(pid), cgroup: cgroup?.name };
    // As Mesos does on a memory limitation, an OOM kill anywhere in the task's cgroup destroys
    // the whole task: the shell around a killed process must not carry on.
    const oomWatch = cgroup && setInterval(() => {
      if (this.done || !cgroup.oomKilled(true)) return;
      this.oomSeen = true;
      killGroup(pid, "SIGKILL");
    }, OOM_CHECK_MS);
    this.exited = new Promise<ContainerExit>((resolve) => {
      child.once("exit", (code, signal) => {
        this.done = true;
        clearTimeout(this.graceTimer);
        if (oomWatch) clearInterval(oomWatch);
        // The leader is gone: whatever it left in its group or cgroup goes too.
        killGroup(pid, "SIGKILL");
        const oomKilled = this.oomSeen || (cgroup?.oomKilled() ?? false);
        const finish = () => resolve({ code, signal, oomKilled, stdoutTail: tail(join(sandbox, "stdout")) });
        if (!cgroup) return finish();
        cgroup.destroy().catch((e) => log.warn("cannot remove task cgroup", { cgroup: cgroup.name, error: errorText(e) })).finally(finish);
      });
    });
  }

  kill(graceMs: number): void {
    if (this.done || this.graceTimer) return;
    killGroup(this.pid, "SIGTERM");
    this.graceTimer = setTimeout(() => { if (!this.done) killGroup(this.pid, "SIGKILL"); }, graceMs);
  }
}

/** The last `STDOUT_TAIL_BYTES` of `path`, base64 ("" when unreadable); the terminal update's `data`. */
export function tail(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const size = fstatSync(fd).size;
    const length = Math.min(size, STDOUT_TAIL_BYTES);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return buf.toString("base64");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
