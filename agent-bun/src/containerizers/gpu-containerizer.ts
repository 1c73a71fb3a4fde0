/**
 * Gives each task the specific GPUs it was allocated, as Mesos' `gpu/nvidia` isolator: a task
 * asking for `gpus: N` gets N free devices of the agent, chosen here (the master counts GPUs,
 * the agent picks which). The choice travels in `LaunchSpec.gpus` to the containerizers
 * (visible-devices variables, devices cgroup, Docker device requests) and is checkpointed in
 * the task's record (`TaskRecord.gpus`, through the container identity), so an agent that
 * re-attaches to its tasks after a restart knows which devices are still in use.
 */

import { taskKey } from "../../../sdk/src/ids.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import type { GpuAssignment } from "../gpu/gpu-assignment.ts";
import type { GpuDevice } from "../gpu/gpus.ts";
import type { TaskRecord } from "../state/checkpoint.ts";
import { type Container, type Containerizer, LaunchError, type LaunchSpec } from "./containerizer.ts";

/** Which of the agent's GPUs are in use, by whom (a task's key). */
export class GpuAllocator {
  private readonly owners = new Map<number, string>();

  /** `managed`: the GPUs this agent offers; `machine`: every NVIDIA GPU present (a superset). */
  constructor(
    readonly managed: readonly GpuDevice[],
    readonly machine: readonly GpuDevice[] = managed,
  ) {}

  /** The GPUs not in use, lowest index first. */
  free(): GpuDevice[] {
    return this.managed.filter((g) => !this.owners.has(g.minor));
  }

  /** N free GPUs for `owner`; throws `LaunchError` when fewer are free. */
  allocate(owner: string, count: number): GpuDevice[] {
    if (!Number.isInteger(count) || count < 0) throw new LaunchError(`gpus must be a whole number, got ${count}`);
    const free = this.free();
    if (count > free.length) {
      throw new LaunchError(`task asks for ${count} GPUs but this agent has ${free.length} free (of ${this.managed.length})`);
    }
    const chosen = free.slice(0, count);
    for (const g of chosen) this.owners.set(g.minor, owner);
    return chosen;
  }

  /** Marks the GPUs with these minors as `owner`'s again (recovery); unknown minors are ignored. */
  claim(owner: string, minors: readonly number[]): void {
    for (const m of minors) if (this.managed.some((g) => g.minor === m)) this.owners.set(m, owner);
  }

  /** Frees every GPU `owner` holds. */
  release(owner: string): void {
    for (const [minor, who] of this.owners) if (who === owner) this.owners.delete(minor);
  }

  /** What `devices` means for a task: its own and the machine's other GPUs. */
  assignment(devices: readonly GpuDevice[]): GpuAssignment {
    return { devices: [...devices], others: this.machine.filter((g) => !devices.some((d) => d.minor === g.minor)) };
  }
}

/**
 * Wraps the agent's containerizer on a machine with GPUs: picks each task's GPUs before the
 * launch (every task gets an assignment, those without GPUs an empty one, so that it is denied
 * the machine's GPUs), puts their minors into the container identity (checkpointed), frees them
 * when the task has ended, and claims them back for tasks re-attached after a restart.
 */
export class GpuContainerizer implements Containerizer {
  readonly description: string;
  readonly runsDocker?: boolean;

  constructor(
    private readonly inner: Containerizer,
    readonly allocator: GpuAllocator,
  ) {
    this.description = `${inner.description}; ${allocator.managed.length} NVIDIA GPUs`;
    if (inner.runsDocker) this.runsDocker = true;
  }

  prepare(spec: LaunchSpec): Promise<void> {
    return this.inner.prepare(spec);
  }

  async launch(spec: LaunchSpec): Promise<Container> {
    const owner = taskKey(spec.frameworkId, spec.task.task_id.value);
    const devices = this.allocator.allocate(owner, scalarOf(spec.task.resources, "gpus"));
    let container: Container;
    try {
      container = await this.inner.launch({ ...spec, gpus: this.allocator.assignment(devices) });
    } catch (e) {
      this.allocator.release(owner);
      throw e;
    }
    return this.tracked(
      owner,
      container,
      devices.map((g) => g.minor),
    );
  }

  destroyOrphan(record: TaskRecord): Promise<void> {
    return this.inner.destroyOrphan(record);
  }

  async recover(record: TaskRecord): Promise<Container | undefined> {
    const container = await this.inner.recover?.(record);
    if (!container) return undefined;
    const owner = taskKey(record.framework_id, record.task_id);
    const minors = record.gpus ?? [];
    this.allocator.claim(owner, minors);
    return this.tracked(owner, container, minors);
  }

  /** `container` with its GPUs in its identity, freeing them once it has ended. */
  private tracked(owner: string, container: Container, minors: number[]): Container {
    const exited = container.exited.finally(() => this.allocator.release(owner));
    return {
      identity: { ...container.identity, ...(minors.length ? { gpus: minors } : {}) },
      exited,
      kill: (graceMs) => container.kill(graceMs),
    };
  }
}
