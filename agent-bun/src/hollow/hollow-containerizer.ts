/**
 * The containerizer of hollow agents (`--hollow`): tasks are timers, not processes. Nothing is
 * written, spawned or put in a cgroup; the agent core around it is the real one, so a hollow
 * task goes through the same STARTING → RUNNING → FINISHED / KILLED updates as a real task.
 * One instance can serve every hollow agent of a process; it counts what its tasks did.
 */

import type { Container, ContainerExit, Containerizer, LaunchSpec } from "../containerizers/containerizer.ts";
import type { TaskRecord } from "../state/checkpoint.ts";
import type { Clock } from "../system/clock.ts";

/** What the hollow containerizer's tasks have done so far (for the fleet's summary). */
export interface HollowTaskCounts {
  launched: number;
  running: number;
  finished: number;
  killed: number;
}

/** A "task" that runs for `taskMs` and exits 0, or ends at once when killed. */
export class HollowContainerizer implements Containerizer {
  readonly description: string;
  readonly counts: HollowTaskCounts = { launched: 0, running: 0, finished: 0, killed: 0 };

  constructor(
    private readonly taskMs: number,
    private readonly clock: Clock,
  ) {
    this.description = `hollow: no processes, each task exits 0 after ${taskMs} ms`;
  }

  /** No sandbox: nothing is written. */
  async prepare(_spec: LaunchSpec): Promise<void> {}

  /** Starts the task's timer; resolves at once, so the core reports RUNNING straight away. */
  async launch(_spec: LaunchSpec): Promise<Container> {
    const killed = new AbortController();
    this.counts.launched++;
    this.counts.running++;
    const exited = this.clock.sleep(this.taskMs, killed.signal).then((): ContainerExit => {
      this.counts.running--;
      if (killed.signal.aborted) {
        this.counts.killed++;
        return { code: null, signal: "SIGTERM", oomKilled: false };
      }
      this.counts.finished++;
      return { code: 0, signal: null, oomKilled: false };
    });
    return {
      identity: {},
      exited,
      // No grace period to honour: a hollow task "exits on SIGTERM" at once.
      kill: (_graceMs: number) => killed.abort(),
    };
  }

  /** Hollow agents never restart in place, so there is never an orphan; nothing to do. */
  async destroyOrphan(_record: TaskRecord): Promise<void> {}
}
