/**
 * Command handling: LAUNCH, KILL, SHUTDOWN_FRAMEWORK and DESTROY_VOLUMES from the master,
 * applied once each in seq order, their effect checkpointed before the seq is acknowledged;
 * what to do with the previous run's tasks after a restart; forgetting a task once its updates
 * are acknowledged. Each task's life itself is the task runner's (task-runner.ts).
 */
import type { AgentCommand, AgentTaskReport } from "../../../schemas/agent.ts";
import type { Resource, TaskInfo } from "../../../schemas/mesos.ts";
import { isTerminal } from "../../../schemas/task-states.ts";
import { taskKey } from "../../../sdk/src/ids.ts";
import type { TaskHealthChecks } from "../health/health-checks.ts";
import { sandboxPath } from "../sandbox/paths.ts";
import { destroyVolumes, volumesOf } from "../sandbox/volumes.ts";
import type { PendingUpdate, TaskRecord } from "../state/checkpoint.ts";
import { errorText } from "../system/log.ts";
import { graceMs, TaskRunner, type TaskRunnerDeps } from "./task-runner.ts";

/**
 * What a starting agent does with the tasks its previous run left (Mesos' `--recover`):
 * `reconnect` re-attaches to those still running (and reports those that ended meanwhile),
 * `cleanup` kills them and reports them failed.
 */
export const RECOVER_MODES = ["reconnect", "cleanup"] as const;
export type RecoverMode = (typeof RECOVER_MODES)[number];

/** Message of the TASK_FAILED sent for tasks of the previous run that cannot be re-attached. */
export const RESTART_LOST_MESSAGE = "agent restarted; task process lost";

/** Message of the TASK_FAILED sent for tasks of the previous run killed by `--recover=cleanup`. */
export const RESTART_CLEANUP_MESSAGE = "agent restarted with --recover=cleanup; task killed";

/** What the task manager works with. */
export interface TaskManagerDeps extends TaskRunnerDeps {
  /** `--recover`: re-attach to the previous run's tasks (default) or kill them. */
  recover?: RecoverMode;
  /** A terminal task was forgotten (its updates acknowledged): its sandbox may be garbage collected (sandbox-gc.ts). */
  onForgotten?: (sandbox: string) => void;
}

/** Owns `state.tasks` and `state.last_seq`. */
export class TaskManager {
  private readonly runner: TaskRunner;
  /** Health checks of the running tasks that have one. */
  readonly health: TaskHealthChecks;

  constructor(private readonly deps: TaskManagerDeps) {
    this.runner = new TaskRunner(deps);
    this.health = this.runner.health;
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
        st.tasks[key] = {
          framework_id: fid,
          task_id: cmd.task.task_id.value,
          state: "TASK_STAGING",
          sandbox: sandboxPath(this.deps.workDir, fid, cmd.task.task_id.value),
          info: cmd.task,
        };
        const killingState = cmd.framework_info?.capabilities?.some((c) => c.type === "TASK_KILLING_STATE") ?? false;
        this.runner.launch(key, cmd.task, cmd.framework_info?.user, killingState);
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
    for (const [key, grace] of kills) this.runner.kill(key, grace);
  }

  /** DESTROY_VOLUMES: removes the volumes' directories, except those a live task uses. */
  private destroyVolumes(volumes: readonly Resource[]): void {
    const { workDir, store, log } = this.deps;
    const inUse = new Set<string>();
    for (const [key, info] of this.runner.infos) {
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
      if (record.state === "TASK_RUNNING") out.push({ record, info: this.runner.infos.get(key) });
    }
    return out;
  }

  /** Tasks to report when (re-)registering: every task not yet forgotten. */
  reports(): AgentTaskReport[] {
    return Object.values(this.deps.store.state.tasks).map((r) => ({
      framework_id: { value: r.framework_id },
      task_id: { value: r.task_id },
      state: r.state,
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
      if (!cleanup && (await this.runner.reattach(key, record))) continue;
      try {
        await containerizer.destroyOrphan(record);
      } catch (e) {
        log.warn("cannot clean up a task of the previous agent run", { task_id: record.task_id, error: errorText(e) });
      }
      log.warn(cleanup ? "task of the previous agent run killed (--recover=cleanup)" : "task of the previous agent run lost", {
        framework_id: record.framework_id,
        task_id: record.task_id,
        state: record.state,
      });
      this.runner.transition(record, "TASK_FAILED", {
        source: "SOURCE_AGENT",
        reason: "REASON_EXECUTOR_TERMINATED",
        message: cleanup ? RESTART_CLEANUP_MESSAGE : RESTART_LOST_MESSAGE,
      });
    }
  }

  /** An update was acknowledged: once a terminal task has nothing pending, forget it. */
  onAcknowledged(update: PendingUpdate): void {
    const { store } = this.deps;
    const key = taskKey(update.framework_id, update.status.task_id.value);
    const record = store.state.tasks[key];
    if (!record || !isTerminal(record.state)) return;
    if (store.state.updates.some((u) => taskKey(u.framework_id, u.status.task_id.value) === key)) return;
    delete store.state.tasks[key];
    this.runner.forget(key);
    store.changed();
    if (record.sandbox) this.deps.onForgotten?.(record.sandbox);
  }

  /** Resolves when every task started so far has ended and been reported (tests). */
  idle(): Promise<void> {
    return this.runner.idle();
  }
}
