/**
 * Command handling: LAUNCH, KILL and SHUTDOWN_FRAMEWORK from the master, applied once each in
 * seq order, their effect checkpointed before the seq is acknowledged; and each task's life
 * (STARTING → RUNNING → terminal) turned into status updates.
 */
import type { AgentCommand, AgentTaskReport } from "../../../schemas/agent.ts";
import { isTerminal } from "../../../schemas/task-states.ts";
import type { Resource, TaskInfo, TaskState, TaskStatus } from "../../../schemas/mesos.ts";
import { taskKey } from "../../../sdk/src/ids.ts";
import type { PendingUpdate, StateStore, TaskRecord } from "../state/checkpoint.ts";
import { LaunchError, type Container, type ContainerExit, type Containerizer } from "../containerizers/containerizer.ts";
import type { HealthListener } from "../health/health-checker.ts";
import { TaskHealthChecks, type HealthDeps } from "../health/health-checks.ts";
import type { TaskFetcher } from "../fetcher/fetcher.ts";
import { errorText, type Logger } from "../system/log.ts";
import { sandboxPath } from "../sandbox/paths.ts";
import type { StatusUpdateManager } from "./status-updates.ts";
import { taskLimits } from "../containerizers/task-env.ts";
import { attachVolumes, destroyVolumes, volumesOf } from "../sandbox/volumes.ts";
import { sandboxDiskLimitMB, type DiskWatch } from "../isolation/disk-watch.ts";

/**
 * What a starting agent does with the tasks its previous run left (Mesos' `--recover`):
 * `reconnect` re-attaches to those still running (and reports those that ended meanwhile),
 * `cleanup` kills them and reports them failed.
 */
export const RECOVER_MODES = ["reconnect", "cleanup"] as const;
export type RecoverMode = (typeof RECOVER_MODES)[number];

/** Grace period between SIGTERM and SIGKILL when no kill policy says otherwise (Mesos: 3 s). */
export const DEFAULT_GRACE_MS = 3_000;

/** Message of the TASK_FAILED sent for tasks of the previous run that cannot be re-attached. */
export const RESTART_LOST_MESSAGE = "agent restarted; task process lost";

/** Message of the TASK_FAILED sent for tasks of the previous run killed by `--recover=cleanup`. */
export const RESTART_CLEANUP_MESSAGE = "agent restarted with --recover=cleanup; task killed";

/** What the task manager works with. */
export interface TaskManagerDeps {
  store: StateStore;
  updates: StatusUpdateManager;
  containerizer: Containerizer;
  log: Logger;
  workDir: string;
  /** Health checks of running tasks (health-checks.ts); none are run when absent. */
  health?: HealthDeps;
  /** Fetches `command.uris` into the sandbox while the task is STARTING (fetcher.ts); URIs are ignored without one (hollow agents). */
  fetcher?: TaskFetcher;
  /** `--recover`: re-attach to the previous run's tasks (default) or kill them. */
  recover?: RecoverMode;
  /** Watches the sandboxes of tasks with a disk resource (disk-watch.ts); none without it. */
  diskWatch?: DiskWatch;
  /** A terminal task was forgotten (its updates acknowledged): its sandbox may be garbage collected (sandbox-gc.ts). */
  onForgotten?: (sandbox: string) => void;
}

/** The optional fields of a status update the agent fills in (it never speaks for the master). */
type Extra = Pick<TaskStatus, "message" | "reason" | "data" | "healthy"> & { source?: Exclude<TaskStatus["source"], "SOURCE_MASTER"> };

/** Owns `state.tasks` and `state.last_seq`. */
export class TaskManager {
  private readonly containers = new Map<string, Container>();
  private readonly infos = new Map<string, TaskInfo>();
  /** Tasks whose framework declared TASK_KILLING_STATE: only they are told TASK_KILLING. */
  private readonly killingState = new Set<string>();
  private readonly work = new Set<Promise<void>>();
  /** Health checks of the running tasks that have one. */
  readonly health: TaskHealthChecks;
  /** Tasks fetching their URIs: a kill cancels the fetch. */
  private readonly fetching = new Map<string, AbortController>();
  /** Tasks killed for using more disk than their disk resource: the TASK_FAILED message. */
  private readonly diskExceeded = new Map<string, string>();

  constructor(private readonly deps: TaskManagerDeps) {
    this.health = new TaskHealthChecks(deps.health, deps.log);
  }

  /** Applies one command (call in seq order); a duplicate (seq ≤ last) is ignored. */
  handle(cmd: AgentCommand): void {
    const { store, log } = this.deps;
    const st = store.state;
    if (cmd.seq <= st.last_seq) {
      log.debug("ignoring command already processed", { seq: cmd.seq, last_seq: st.last_seq });
      return;
    }
    if (cmd.type === "DESTROY_VOLUMES") {
      this.destroyVolumes(cmd.volumes);
      st.last_seq = cmd.seq;
      store.changed();
      return;
    }
    const fid = cmd.framework_id.value;
    const kills: Array<[string, number | undefined]> = [];
    if (cmd.type === "LAUNCH") {
      const key = taskKey(fid, cmd.task.task_id.value);
      if (st.tasks[key]) {
        log.warn("ignoring LAUNCH of a task this agent already knows", { framework_id: fid, task_id: cmd.task.task_id.value });
      } else {
        st.tasks[key] = { framework_id: fid, task_id: cmd.task.task_id.value, state: "TASK_STAGING", sandbox: sandboxPath(this.deps.workDir, fid, cmd.task.task_id.value), info: cmd.task };
        this.infos.set(key, cmd.task);
        if (cmd.framework_info?.capabilities?.some((c) => c.type === "TASK_KILLING_STATE")) this.killingState.add(key);
        this.track(this.run(key, cmd.task, cmd.framework_info?.user));
      }
    } else if (cmd.type === "KILL") {
      const key = taskKey(fid, cmd.task_id.value);
      const record = st.tasks[key];
      if (!record || isTerminal(record.state)) {
        log.info("ignoring KILL of a task that is unknown or already over", { framework_id: fid, task_id: cmd.task_id.value });
      } else {
        record.kill_requested = true;
        if (cmd.preemption) record.preempted = cmd.preemption.state;
        kills.push([key, graceMs(cmd.kill_policy?.grace_period?.nanoseconds)]);
      }
    } else {
      for (const [key, record] of Object.entries(st.tasks)) {
        if (record.framework_id !== fid || isTerminal(record.state)) continue;
        record.kill_requested = true;
        kills.push([key, undefined]);
      }
      log.info("shutting down framework", { framework_id: fid, tasks: kills.length });
    }
    st.last_seq = cmd.seq;
    store.changed(); // on disk before the next poll reports last_seq as ack_seq
    for (const [key, grace] of kills) this.kill(key, grace);
  }

  /** DESTROY_VOLUMES: removes the volumes' directories, except those a live task uses. */
  private destroyVolumes(volumes: readonly Resource[]): void {
    const { workDir, store, log } = this.deps;
    const inUse = new Set<string>();
    for (const [key, info] of this.infos) {
      const record = store.state.tasks[key];
      if (record && !isTerminal(record.state)) for (const v of volumesOf(workDir, info.resources)) inUse.add(v.dir);
    }
    const refused = destroyVolumes(workDir, volumes, inUse);
    if (refused.length) log.warn("not destroying volumes that running tasks use", { persistence_ids: refused });
  }

  /** The tasks running now, with their TaskInfo when this process launched them (what usage reports measure). */
  running(): Array<{ record: TaskRecord; info: TaskInfo | undefined }> {
    const out: Array<{ record: TaskRecord; info: TaskInfo | undefined }> = [];
    for (const [key, record] of Object.entries(this.deps.store.state.tasks)) {
      if (record.state === "TASK_RUNNING") out.push({ record, info: this.infos.get(key) });
    }
    return out;
  }

  /** Tasks to report when (re-)registering: every task not yet forgotten. */
  reports(): AgentTaskReport[] {
    return Object.values(this.deps.store.state.tasks).map((r) => ({
      framework_id: { value: r.framework_id }, task_id: { value: r.task_id }, state: r.state,
    }));
  }

  /**
   * After an agent restart: with `--recover=reconnect` (the default) each non-terminal task is
   * re-attached through the containerizer (still running: watched and killable as before;
   * ended meanwhile: its terminal update is sent now). A task that cannot be re-attached, and
   * every task with `--recover=cleanup`, is killed (if still alive) and reported TASK_FAILED.
   */
  async recover(): Promise<void> {
    const { store, containerizer, log } = this.deps;
    const cleanup = this.deps.recover === "cleanup";
    for (const [key, record] of Object.entries(store.state.tasks)) {
      if (isTerminal(record.state)) {
        if (!store.state.updates.some((u) => u.framework_id === record.framework_id && u.status.task_id.value === record.task_id)) {
          delete store.state.tasks[key];
          store.changed();
        }
        continue;
      }
      if (!cleanup && await this.reattach(key, record)) continue;
      try {
        await containerizer.destroyOrphan(record);
      } catch (e) {
        log.warn("cannot clean up a task of the previous agent run", { task_id: record.task_id, error: errorText(e) });
      }
      log.warn(cleanup ? "task of the previous agent run killed (--recover=cleanup)" : "task of the previous agent run lost",
        { framework_id: record.framework_id, task_id: record.task_id, state: record.state });
      this.transition(record, "TASK_FAILED", { source: "SOURCE_AGENT", reason: "REASON_EXECUTOR_TERMINATED", message: cleanup ? RESTART_CLEANUP_MESSAGE : RESTART_LOST_MESSAGE });
    }
  }

  /** Re-attaches one task of the previous run; false when the containerizer cannot. */
  private async reattach(key: string, record: TaskRecord): Promise<boolean> {
    const { containerizer, log } = this.deps;
    let container: Container | undefined;
    try {
      container = await containerizer.recover?.(record);
    } catch (e) {
      log.warn("cannot re-attach a task of the previous agent run", { task_id: record.task_id, error: errorText(e) });
    }
    if (!container) return false;
    Object.assign(record, container.identity); // found by its sandbox when its pid was never checkpointed
    this.deps.store.changed();
    if (record.info) this.infos.set(key, record.info);
    this.containers.set(key, container);
    log.info("re-attached a task of the previous agent run", { framework_id: record.framework_id, task_id: record.task_id, pid: record.pid });
    // Its launch was under way when the agent stopped: it did start.
    if (record.state === "TASK_STAGING" || record.state === "TASK_STARTING") this.transition(record, "TASK_RUNNING", { source: "SOURCE_EXECUTOR" });
    const c = container;
    const stopDiskWatch = record.info && this.watchDisk(key, record, record.info, c);
    this.track((async () => {
      try {
        this.terminal(record, record.info, await c.exited);
      } finally {
        stopDiskWatch?.();
        this.containers.delete(key);
        this.health.stop(key);
      }
    })());
    if (record.kill_requested) this.kill(key, undefined); // a kill was under way: see it through
    else if (record.info && record.sandbox) {
      // Health checks start afresh (their counts were the previous run's, in memory only).
      const spec = { frameworkId: record.framework_id, agentId: this.deps.store.state.agent_id ?? "", task: record.info, sandbox: record.sandbox };
      this.health.start(key, spec, record.cgroup, this.healthListener(key, record));
    }
    return true;
  }

  /** Watches the sandbox of a command task with a disk resource (disk-watch.ts); the returned function stops it. */
  private watchDisk(key: string, record: TaskRecord, task: TaskInfo, container: Container): (() => void) | undefined {
    const limitMB = this.deps.diskWatch && task.container?.type !== "DOCKER" && record.sandbox ? sandboxDiskLimitMB(task.resources) : 0;
    if (limitMB <= 0) return undefined;
    return this.deps.diskWatch!.watch(record.sandbox!, limitMB, record.task_id, (message) => {
      if (isTerminal(record.state) || record.kill_requested) return;
      this.diskExceeded.set(key, message);
      this.health.stop(key);
      container.kill(0); // as Mesos: a container over its limit is destroyed, not asked to stop
    });
  }

  /** An update was acknowledged: once a terminal task has nothing pending, forget it. */
  onAcknowledged(update: PendingUpdate): void {
    const { store } = this.deps;
    const key = taskKey(update.framework_id, update.status.task_id.value);
    const record = store.state.tasks[key];
    if (!record || !isTerminal(record.state)) return;
    if (store.state.updates.some((u) => taskKey(u.framework_id, u.status.task_id.value) === key)) return;
    delete store.state.tasks[key];
    this.infos.delete(key);
    this.killingState.delete(key);
    this.health.forget(key);
    store.changed();
    if (record.sandbox) this.deps.onForgotten?.(record.sandbox);
  }

  /** Resolves when every task started so far has ended and been reported (tests). */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.all([...this.work]);
  }

  private track(p: Promise<void>): void {
    this.work.add(p);
    void p.finally(() => this.work.delete(p));
  }

  private kill(key: string, grace: number | undefined): void {
    const container = this.containers.get(key);
    const policy = this.infos.get(key)?.kill_policy?.grace_period?.nanoseconds;
    // Not started yet: `run` sees kill_requested and reports TASK_KILLED without starting it.
    // A running task of a framework that understands TASK_KILLING hears of the kill first (Mesos'
    // TASK_KILLING_STATE capability); other frameworks would not expect that state.
    const record = this.deps.store.state.tasks[key];
    this.health.stop(key); // as Mesos: a task being killed is no longer health checked
    if (container && record?.state === "TASK_RUNNING" && this.killingState.has(key)) {
      this.transition(record, "TASK_KILLING", { source: "SOURCE_EXECUTOR" });
    }
    this.fetching.get(key)?.abort();
    container?.kill(grace ?? graceMs(policy) ?? DEFAULT_GRACE_MS);
  }

  private async run(key: string, task: TaskInfo, frameworkUser?: string): Promise<void> {
    const record = this.deps.store.state.tasks[key]!;
    try {
      await this.launchAndWait(key, record, task, frameworkUser);
    } catch (e) {
      this.deps.log.error("task failed inside the agent", { task_id: record.task_id, error: errorText(e) });
      if (!isTerminal(record.state)) this.transition(record, "TASK_FAILED", { source: "SOURCE_AGENT", reason: "REASON_CONTAINER_LAUNCH_FAILED", message: `agent error: ${errorText(e)}` });
    } finally {
      this.containers.delete(key);
      this.health.stop(key);
    }
  }

  private async launchAndWait(key: string, record: TaskRecord, task: TaskInfo, frameworkUser?: string): Promise<void> {
    const { containerizer, store } = this.deps;
    const fail = (message: string, reason = "REASON_CONTAINER_LAUNCH_FAILED") =>
      this.transition(record, "TASK_FAILED", { source: "SOURCE_AGENT", reason, message });
    if (task.container?.type === "DOCKER" && !containerizer.runsDocker) return fail("Docker containers are not enabled on this agent (start it with --containerizers=mesos,docker)");
    if (!task.command && task.container?.type !== "DOCKER") return fail("task has no command (custom executors are not supported; set command)");
    const spec = { frameworkId: record.framework_id, agentId: store.state.agent_id ?? "", task, sandbox: record.sandbox!, ...(frameworkUser ? { frameworkUser } : {}) };
    try {
      await containerizer.prepare(spec);
      attachVolumes(this.deps.workDir, spec.sandbox, task.resources);
    } catch (e) {
      return fail(`cannot prepare the sandbox: ${errorText(e)}`);
    }
    if (record.kill_requested) return this.killed(record, { source: "SOURCE_AGENT", message: "Killed before the command started" });
    this.transition(record, "TASK_STARTING", { source: "SOURCE_EXECUTOR" });
    const uris = task.command?.uris;
    if (this.deps.fetcher && uris?.length) {
      const fetching = new AbortController();
      this.fetching.set(key, fetching);
      try {
        await this.deps.fetcher.fetchAll(spec.sandbox, uris, task.command?.user, fetching.signal);
      } catch (e) {
        if (!record.kill_requested) return fail(errorText(e));
      } finally {
        this.fetching.delete(key);
      }
      if (record.kill_requested) return this.killed(record, { source: "SOURCE_AGENT", message: "Killed while fetching its URIs" });
    }
    let container: Container;
    try {
      container = await containerizer.launch(spec);
    } catch (e) {
      return fail(errorText(e), e instanceof LaunchError ? e.reason : undefined);
    }
    Object.assign(record, container.identity);
    this.containers.set(key, container);
    this.transition(record, "TASK_RUNNING", { source: "SOURCE_EXECUTOR" });
    if (record.kill_requested) this.kill(key, undefined);
    else this.health.start(key, spec, record.cgroup, this.healthListener(key, record));
    const stopDiskWatch = this.watchDisk(key, record, task, container);
    const exit = await container.exited;
    stopDiskWatch?.();
    this.containers.delete(key);
    this.health.stop(key);
    this.terminal(record, task, exit);
  }

  private terminal(record: TaskRecord, task: TaskInfo | undefined, exit: ContainerExit): void {
    const data = exit.stdoutTail ? { data: exit.stdoutTail } : {};
    const message = exit.lost ? `Command status unknown: ${exit.lost}`
      : exit.signal !== null ? `Command terminated with signal ${exit.signal}` : `Command exited with status ${exit.code}`;
    const healthKill = record.kill_requested && !record.preempted ? this.health.killMessage(taskKey(record.framework_id, record.task_id)) : undefined;
    const diskMessage = this.diskExceeded.get(taskKey(record.framework_id, record.task_id));
    this.diskExceeded.delete(taskKey(record.framework_id, record.task_id));
    if (diskMessage && !record.kill_requested) {
      this.transition(record, "TASK_FAILED", { source: "SOURCE_AGENT", reason: "REASON_CONTAINER_LIMITATION_DISK", ...data, message: `${diskMessage} (${message})` });
    } else if (exit.oomKilled) {
      const mem = task && taskLimits(task.resources).memMB;
      this.transition(record, "TASK_FAILED", {
        source: "SOURCE_AGENT", reason: "REASON_CONTAINER_LIMITATION_MEMORY", ...data,
        message: `Memory limit exceeded: the task used more than its ${mem ?? "?"} MB and was killed by the OOM killer (${message})`,
      });
    } else if (healthKill) {
      // Mesos reports such a kill as TASK_KILLED with healthy: false; the reason tells it apart.
      this.transition(record, "TASK_KILLED", { source: "SOURCE_EXECUTOR", reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", healthy: false, ...data, message: `${healthKill} (${message})` });
    } else if (record.kill_requested) {
      this.killed(record, { source: "SOURCE_EXECUTOR", message, ...data });
    } else if (exit.lost) {
      this.transition(record, "TASK_FAILED", { source: "SOURCE_AGENT", reason: "REASON_EXECUTOR_TERMINATED", message, ...data });
    } else if (exit.code === 0) {
      this.transition(record, "TASK_FINISHED", { source: "SOURCE_EXECUTOR", message, ...data });
    } else {
      this.transition(record, "TASK_FAILED", { source: "SOURCE_EXECUTOR", reason: "REASON_COMMAND_EXECUTOR_FAILED", message, ...data });
    }
  }

  /**
   * A killed task's end: TASK_KILLED, or for a preemption the state the master asked for with
   * REASON_CONTAINER_PREEMPTED from the agent (as Mesos reports a QoS correction's kill).
   */
  private killed(record: TaskRecord, extra: Extra): void {
    if (!record.preempted) return this.transition(record, "TASK_KILLED", extra);
    this.transition(record, record.preempted, {
      ...extra, source: "SOURCE_AGENT", reason: "REASON_CONTAINER_PREEMPTED",
      message: `Preempted: its revocable resources are needed by regular tasks (${extra.message ?? "killed"})`,
    });
  }

  /**
   * What a task's health checks change: a TASK_RUNNING update with `healthy` each time the
   * health changes (REASON_TASK_HEALTH_CHECK_STATUS_UPDATED, as Mesos), and the kill after
   * too many failures in a row.
   */
  private healthListener(key: string, record: TaskRecord): HealthListener {
    return {
      healthChanged: (healthy, result) => {
        if (record.state !== "TASK_RUNNING" || record.kill_requested) return;
        this.transition(record, "TASK_RUNNING", {
          source: "SOURCE_EXECUTOR", reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", healthy,
          message: `Health check ${healthy ? "passed" : "failed"}: ${result.message}`,
        });
      },
      kill: () => {
        if (isTerminal(record.state) || record.kill_requested) return;
        record.kill_requested = true;
        this.deps.store.changed();
        this.kill(key, undefined);
      },
    };
  }

  /** Sets the task's state and records the update; one checkpoint covers both. */
  private transition(record: TaskRecord, state: TaskState, extra: Extra): void {
    record.state = state;
    this.deps.updates.enqueue(record.framework_id, {
      task_id: { value: record.task_id },
      state,
      ...(extra.message ? { message: extra.message } : {}),
      ...(extra.reason ? { reason: extra.reason } : {}),
      ...(extra.data ? { data: extra.data } : {}),
      ...(extra.healthy !== undefined ? { healthy: extra.healthy } : {}),
      source: extra.source ?? "SOURCE_EXECUTOR",
    });
  }
}

/** Nanoseconds (from a KillPolicy) to milliseconds; undefined when not given. */
function graceMs(nanos: number | undefined): number | undefined {
  return nanos === undefined ? undefined : Math.max(0, nanos / 1e6);
}
