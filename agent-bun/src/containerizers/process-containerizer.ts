/**
 * Runs CommandInfo tasks as real processes, each under its executor (executor.ts: a small sh
 * in a new session that outlives the agent and records the exit status), in the executor's
 * process group (so a kill reaches the task's children) and, when available, its own cgroup
 * with memory and cpu limits. With a cgroup the executor waits on a pipe until the agent has
 * put it into the cgroup before it runs the command: the command never runs unconstrained.
 * After an agent restart `recover` re-attaches to the executors still running.
 */
import type { ChildProcess } from "node:child_process";
import { closeSync, existsSync, lchownSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { gpuDeviceDenials } from "../gpu/gpu-assignment.ts";
import type { TaskCgroup, TaskLimits } from "../isolation/cgroup-task.ts";
import type { Cgroups } from "../isolation/cgroups.ts";
import { setprivPrefix, type TaskUser, TaskUserError, type TaskUserPolicy, taskUser, userEnvironment } from "../isolation/task-user.ts";
import { taskCgroupName } from "../sandbox/paths.ts";
import type { TaskRecord } from "../state/checkpoint.ts";
import { errorText, type Logger } from "../system/log.ts";
import { bootId, killGroup, processRunning, processStartTime } from "../system/proc.ts";
import { type Container, type ContainerIdentity, type Containerizer, LaunchError, type LaunchSpec } from "./containerizer.ts";
import { EXECUTOR_ARGV0, EXIT_FILE, executorArgs, findExecutor, isExecutor, readExitStatus } from "./executor.ts";
import { type ExecutorEnd, ProcessContainer, whenEnded } from "./process-container.ts";
import { taskEnvironment, taskLimits } from "./task-env.ts";

/** How the process containerizer isolates tasks beyond cgroup cpu/memory (issue "Isolation"; README "Isolation"). */
export interface ProcessIsolation {
  /** Whom tasks run as (`--switch-user`, `--allow-root-tasks`); default: switch, root allowed (as Mesos). */
  users?: TaskUserPolicy;
  /** pids.max of each task's cgroup (`--task-pids-limit`); 0 or absent: no limit. */
  pidsLimit?: number;
  /** `--cgroups-enable-cfs`: cpus are a hard CFS quota as well as a weight (default true). */
  cfsQuota?: boolean;
  /** `setpriv` to start commands as their user with; found in the usual places when absent; null: never (tests of the fallback). */
  setpriv?: string | null;
}

/** Where `setpriv` (util-linux) may be installed: it starts a task with its supplementary groups. */
const SETPRIV_PATHS = ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv", "/sbin/setpriv"];

/** A wrapper for /bin/sh: wait for the go-ahead on fd 3, close it, exec the command; starts COMMAND health checks inside a task's cgroup (health-probes.ts). */
export const SH_WRAPPER = 'IFS= read -r _ <&3 || exit 111; exec 3<&-; exec "$@"';

/** Sets argv0 for a command without a shell: bash's `exec -a` (plain sh cannot). */
const ARGV0_WRAPPER = 'exec -a "$0" "$@"';

/**
 * CPU added to a task's CFS quota for its executor, which runs in the task's cgroup (Mesos adds
 * 0.1 cpus for its command executor too). Without it a small task (`cpus: 0.01`, a 1 ms quota
 * per 100 ms) is throttled for a few periods while the executor forks, records the exit status
 * and exits: `true` took ~280 ms to report FINISHED instead of ~5 ms.
 */
export const EXECUTOR_CPUS = 0.1;

/** The task's limits with the executor's CPU added to a cpu limit (memory is left as asked: the executor's own is ~110 KB). */
function withExecutorCpu(limits: TaskLimits): TaskLimits {
  return limits.cpus === undefined ? limits : { ...limits, cpus: limits.cpus + EXECUTOR_CPUS };
}

/** The devices cgroup denials of a task on an agent with GPUs: the machine's GPUs not its own. */
function gpuDenials(spec: LaunchSpec): Pick<TaskLimits, "devicesDeny"> {
  const deny = gpuDeviceDenials(spec.gpus);
  return deny.length ? { devicesDeny: deny } : {};
}

/** The real containerizer. */
export class ProcessContainerizer implements Containerizer {
  readonly description: string;
  private readonly bash = existsSync("/bin/bash");
  private readonly setpriv: string | undefined;
  private readonly users: TaskUserPolicy;

  constructor(
    private readonly cgroups: Cgroups,
    private readonly log: Logger,
    private readonly isolation: ProcessIsolation = {},
  ) {
    this.description = cgroups.enabled ? `processes in cgroups (${cgroups.description})` : `processes without resource limits: ${cgroups.description}`;
    this.users = isolation.users ?? { switchUser: true, allowRoot: true };
    this.setpriv = isolation.setpriv === null ? undefined : (isolation.setpriv ?? SETPRIV_PATHS.find((p) => existsSync(p)));
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
    const argv0 = shell ? "sh" : (command.arguments?.[0] ?? command.value);
    // The executor runs `argv`; a custom argv0 needs bash's `exec -a` in between.
    const argv = argv0 !== file && !shell && this.bash ? ["/bin/bash", "-c", ARGV0_WRAPPER, argv0, file, ...args] : [file, ...args];
    // The executor's shell would only exit 127; a missing absolute path is worth a clear launch error.
    if (!shell && file.includes("/") && !existsSync(file)) throw new LaunchError(`failed to start the command: ${file} does not exist (ENOENT)`);
    let user: TaskUser | undefined;
    try {
      user = taskUser(command.user ?? spec.frameworkUser, this.users);
    } catch (e) {
      throw e instanceof TaskUserError ? new LaunchError(e.message) : e;
    }
    // With setpriv the executor stays root and the command runs as the user with its groups;
    // without it the executor itself is started as the user (primary group only).
    const asUser = user ? setprivPrefix(user, this.setpriv) : undefined;
    if (asUser) argv.unshift(...asUser);

    // Loaded at the first launch: an idle agent need not hold node:child_process.
    const { spawn } = await import("node:child_process");
    let cgroup: TaskCgroup | undefined;
    const cgroupName = taskCgroupName(spec.frameworkId, spec.task.task_id.value);
    try {
      const pids = this.isolation.pidsLimit ? { pids: this.isolation.pidsLimit } : {};
      if (this.isolation.cfsQuota === false) Object.assign(pids, { cpuQuota: false });
      cgroup = await this.cgroups.create(cgroupName, { ...withExecutorCpu(taskLimits(spec.task.resources)), ...gpuDenials(spec), ...pids });
    } catch (e) {
      throw new LaunchError(`cannot create cgroup for the task: ${errorText(e)}`);
    }

    rmSync(join(spec.sandbox, EXIT_FILE), { force: true }); // a relaunched task id's old status
    const out = openSync(join(spec.sandbox, "stdout"), "a");
    const err = openSync(join(spec.sandbox, "stderr"), "a");
    let child: ChildProcess;
    try {
      if (user) chownTree(spec.sandbox, user);
      // detached: a new session, so the executor and its task outlive the agent.
      child = spawn("/bin/sh", executorArgs(spec.sandbox, cgroup !== undefined, argv), {
        cwd: spec.sandbox,
        env: { ...userEnvironment(user), ...taskEnvironment(spec) },
        detached: true,
        argv0: EXECUTOR_ARGV0,
        ...(user && !asUser ? { uid: user.uid, gid: user.gid } : {}),
        stdio: cgroup ? ["ignore", out, err, "pipe"] : ["ignore", out, err],
      });
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
      go.on("error", () => {}); // the executor died first: its exit is reported as usual
      go.end("go\n");
    }
    const identity = { pid, boot_id: bootId(), pid_start: processStartTime(pid), cgroup: cgroup?.name };
    const ended = new Promise<ExecutorEnd>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    return new ProcessContainer(identity, ended, cgroup, spec.sandbox, this.log);
  }

  async recover(record: TaskRecord): Promise<Container | undefined> {
    if (!record.sandbox) return undefined;
    const pid = this.liveExecutor(record);
    if (pid === undefined && readExitStatus(record.sandbox) === undefined) return undefined;
    const cgroupName = this.cgroupOf(record);
    const identity: ContainerIdentity =
      pid !== undefined
        ? { pid, boot_id: bootId(), pid_start: processStartTime(pid), cgroup: cgroupName }
        : { pid: record.pid, boot_id: record.boot_id, pid_start: record.pid_start, cgroup: cgroupName };
    const ended = pid !== undefined ? whenEnded(pid, identity.pid_start) : Promise.resolve(undefined);
    return new ProcessContainer(identity, ended, cgroupName ? this.cgroups.attach(cgroupName) : undefined, record.sandbox, this.log);
  }

  async destroyOrphan(record: TaskRecord): Promise<void> {
    const pid =
      record.pid === undefined
        ? record.sandbox
          ? findExecutor(record.sandbox)
          : undefined
        : record.boot_id === bootId() && processStartTime(record.pid) !== undefined && (!record.pid_start || record.pid_start === processStartTime(record.pid))
          ? record.pid
          : undefined;
    if (pid !== undefined && killGroup(pid, "SIGKILL")) this.log.info("killed task process left by the previous agent", { task_id: record.task_id, pid });
    const cgroup = this.cgroupOf(record);
    if (cgroup) await this.cgroups.destroy(cgroup);
  }

  /** The running executor of a task of the previous run (found by its sandbox when its pid was not checkpointed). */
  private liveExecutor(record: TaskRecord): number | undefined {
    if (record.pid === undefined) return findExecutor(record.sandbox!);
    return record.boot_id === bootId() && processRunning(record.pid, record.pid_start) && isExecutor(record.pid) ? record.pid : undefined;
  }

  /** The task's cgroup: as checkpointed, or by its name when the agent died before checkpointing it. */
  private cgroupOf(record: TaskRecord): string | undefined {
    return record.cgroup ?? (record.pid === undefined && this.cgroups.enabled ? taskCgroupName(record.framework_id, record.task_id) : undefined);
  }
}

/** Hands `dir` and everything under it (fetched files, stdout, stderr) to the task's user; symlinks themselves, not their targets. */
function chownTree(dir: string, user: TaskUser): void {
  lchownSync(dir, user.uid, user.gid);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (lstatSync(path).isDirectory()) chownTree(path, user);
    else lchownSync(path, user.uid, user.gid);
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
