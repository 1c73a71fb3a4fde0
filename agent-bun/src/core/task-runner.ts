/**
 * Each task's life on this agent: sandbox and volumes, fetching its URIs (STARTING), the launch
 * (RUNNING), its health checks and disk watch while it runs, and its end turned into the terminal
 * update (task-status.ts); kills; re-attaching one task of the previous agent run. The task
 * manager (task-manager.ts) decides what to start, kill and recover; this carries it out.
 */
import type { TaskInfo, TaskState } from "../../../schemas/mesos.ts";
import { isTerminal } from "../../../schemas/task-states.ts";
import { taskKey } from "../../../sdk/src/ids.ts";
import { type Container, type ContainerExit, type Containerizer, LaunchError } from "../containerizers/containerizer.ts";
import type { TaskFetcher } from "../fetcher/fetcher.ts";
import type { HealthListener } from "../health/health-checker.ts";
import { type HealthDeps, TaskHealthChecks } from "../health/health-checks.ts";
import { type DiskWatch, sandboxDiskLimitMB } from "../isolation/disk-watch.ts";
import { attachVolumes } from "../sandbox/volumes.ts";
import type { StateStore, TaskRecord } from "../state/checkpoint.ts";
import { errorText, type Logger } from "../system/log.ts";
import type { StatusUpdateManager } from "./status-updates.ts";
import { killedStatus, type StatusChange, type StatusExtra, terminalStatus } from "./task-status.ts";

/** Grace period between SIGTERM and SIGKILL when no kill policy says otherwise (Mesos: 3 s). */
export const DEFAULT_GRACE_MS = 3_000;

/** What the task runner works with. */
export interface TaskRunnerDeps {
  store: StateStore;
  updates: StatusUpdateManager;
  containerizer: Containerizer;
  log: Logger;
  workDir: string;
  /** Health checks of running tasks (health-checks.ts); none are run when absent. */
  health?: HealthDeps;
  /** Fetches `command.uris` into the sandbox while the task is STARTING (fetcher.ts); URIs are ignored without one (hollow agents). */
  fetcher?: TaskFetcher;
  /** Watches the sandboxes of tasks with a disk resource (disk-watch.ts); none without it. */
  diskWatch?: DiskWatch;
}

/** Runs the tasks in `state.tasks`, by task key; sets their state through status updates. */
export class TaskRunner {
  private readonly containers = new Map<string, Container>();
  private readonly taskInfos = new Map<string, TaskInfo>();
  /** Tasks whose framework declared TASK_KILLING_STATE: only they are told TASK_KILLING. */
  private readonly killingState = new Set<string>();
  private readonly work = new Set<Promise<void>>();
  /** Health checks of the running tasks that have one. */
  readonly health: TaskHealthChecks;
  /** Tasks fetching their URIs: a kill cancels the fetch. */
  private readonly fetching = new Map<string, AbortController>();
  /** Tasks killed for using more disk than their disk resource: the TASK_FAILED message. */
  private readonly diskExceeded = new Map<string, string>();

  constructor(private readonly deps: TaskRunnerDeps) {
    this.health = new TaskHealthChecks(deps.health, deps.log);
  }

  /** The TaskInfo of each task this process launched or re-attached and has not forgotten, by task key. */
  get infos(): ReadonlyMap<string, TaskInfo> {
    return this.taskInfos;
  }

  /**
   * Starts the task just recorded (TASK_STAGING) under `key`: `frameworkUser` runs it when its
   * command names no user; `killingState`: its framework understands TASK_KILLING.
   */
  launch(key: string, task: TaskInfo, frameworkUser: string | undefined, killingState: boolean): void {
    this.taskInfos.set(key, task);
    if (killingState) this.killingState.add(key);
    this.track(this.run(key, task, frameworkUser));
  }

  /** Drops what is kept of a task that is over and forgotten. */
  forget(key: string): void {
    this.taskInfos.delete(key);
    this.killingState.delete(key);
    this.health.forget(key);
  }

  /** Re-attaches one task of the previous run; false when the containerizer cannot. */
  async reattach(key: string, record: TaskRecord): Promise<boolean> {
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
    if (record.info) this.taskInfos.set(key, record.info);
    this.containers.set(key, container);
    log.info("re-attached a task of the previous agent run", { framework_id: record.framework_id, task_id: record.task_id, pid: record.pid });
    // Its launch was under way when the agent stopped: it did start.
    if (record.state === "TASK_STAGING" || record.state === "TASK_STARTING") this.transition(record, "TASK_RUNNING", { source: "SOURCE_EXECUTOR" });
    const c = container;
    const stopDiskWatch = record.info && this.watchDisk(key, record, record.info, c);
    this.track(
      (async () => {
        try {
          this.terminal(record, record.info, await c.exited);
        } finally {
          stopDiskWatch?.();
          this.containers.delete(key);
          this.health.stop(key);
        }
      })(),
    );
    if (record.kill_requested)
      this.kill(key, undefined); // a kill was under way: see it through
    else if (record.info && record.sandbox) {
      // Health checks start afresh (their counts were the previous run's, in memory only).
      const spec = { frameworkId: record.framework_id, agentId: this.deps.store.state.agent_id ?? "", task: record.info, sandbox: record.sandbox };
      this.health.start(key, spec, record.cgroup, this.healthListener(key, record));
    }
    return true;
  }

  /** Resolves when every task started so far has ended and been reported (tests). */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.all([...this.work]);
  }

  /** Kills the task under `key` after `grace` ms (else its kill policy's, else `DEFAULT_GRACE_MS`). */
  kill(key: string, grace: number | undefined): void {
    const container = this.containers.get(key);
    const policy = this.taskInfos.get(key)?.kill_policy?.grace_period?.nanoseconds;
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

  /** Sets the task's state and records the update; one checkpoint covers both. */
  transition(record: TaskRecord, state: TaskState, extra: StatusExtra): void {
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

  private track(p: Promise<void>): void {
    this.work.add(p);
    void p.finally(() => this.work.delete(p));
  }

  private async run(key: string, task: TaskInfo, frameworkUser?: string): Promise<void> {
    const record = this.deps.store.state.tasks[key]!;
    try {
      await this.launchAndWait(key, record, task, frameworkUser);
    } catch (e) {
      this.deps.log.error("task failed inside the agent", { task_id: record.task_id, error: errorText(e) });
      if (!isTerminal(record.state))
        this.transition(record, "TASK_FAILED", { source: "SOURCE_AGENT", reason: "REASON_CONTAINER_LAUNCH_FAILED", message: `agent error: ${errorText(e)}` });
    } finally {
      this.containers.delete(key);
      this.health.stop(key);
    }
  }

  private async launchAndWait(key: string, record: TaskRecord, task: TaskInfo, frameworkUser?: string): Promise<void> {
    const { containerizer, store } = this.deps;
    const fail = (message: string, reason = "REASON_CONTAINER_LAUNCH_FAILED") =>
      this.transition(record, "TASK_FAILED", { source: "SOURCE_AGENT", reason, message });
    if (task.container?.type === "DOCKER" && !containerizer.runsDocker)
      return fail("Docker containers are not enabled on this agent (start it with --containerizers=mesos,docker)");
    if (!task.command && task.container?.type !== "DOCKER") return fail("task has no command (custom executors are not supported; set command)");
    const spec = {
      frameworkId: record.framework_id,
      agentId: store.state.agent_id ?? "",
      task,
      sandbox: record.sandbox!,
      ...(frameworkUser ? { frameworkUser } : {}),
    };
    try {
      await containerizer.prepare(spec);
      attachVolumes(this.deps.workDir, spec.sandbox, task.resources);
    } catch (e) {
      return fail(`cannot prepare the sandbox: ${errorText(e)}`);
    }
    if (record.kill_requested) return this.report(record, killedStatus(record, { source: "SOURCE_AGENT", message: "Killed before the command started" }));
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
      if (record.kill_requested) return this.report(record, killedStatus(record, { source: "SOURCE_AGENT", message: "Killed while fetching its URIs" }));
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

  /** Reports the task's end (task-status.ts `terminalStatus`). */
  private terminal(record: TaskRecord, task: TaskInfo | undefined, exit: ContainerExit): void {
    const key = taskKey(record.framework_id, record.task_id);
    const healthKill = record.kill_requested && !record.preempted ? this.health.killMessage(key) : undefined;
    const diskMessage = this.diskExceeded.get(key);
    this.diskExceeded.delete(key);
    this.report(record, terminalStatus(record, task, exit, healthKill, diskMessage));
  }

  private report(record: TaskRecord, change: StatusChange): void {
    this.transition(record, change.state, change.extra);
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
          source: "SOURCE_EXECUTOR",
          reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
          healthy,
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
}

/** Nanoseconds (from a KillPolicy) to milliseconds; undefined when not given. */
export function graceMs(nanos: number | undefined): number | undefined {
  return nanos === undefined ? undefined : Math.max(0, nanos / 1e6);
}
