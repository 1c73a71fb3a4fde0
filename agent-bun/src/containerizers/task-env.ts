/** A task's environment and resource limits, derived from its TaskInfo. */
import type { Resource } from "../../../schemas/mesos.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { gpuEnvironment } from "../gpu/gpu-assignment.ts";
import type { TaskLimits } from "../isolation/cgroup-task.ts";
import type { LaunchSpec } from "./containerizer.ts";

/** PATH given to tasks that set none. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The task's environment: PATH and HOME defaults, then `command.environment.variables`, then
 * the MESOS_* variables the agent owns (MESOS_SANDBOX, MESOS_DIRECTORY, MESOS_TASK_ID,
 * MESOS_FRAMEWORK_ID, MESOS_AGENT_ID) and, on an agent with GPUs, the visible-devices ones
 * (gpu-assignment.ts `gpuEnvironment`). The agent's own environment is not passed on.
 */
export function taskEnvironment(spec: LaunchSpec): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOME: spec.sandbox };
  for (const v of spec.task.command?.environment?.variables ?? []) {
    if (v.value !== undefined) env[v.name] = v.value;
  }
  return {
    ...env,
    ...gpuEnvironment(spec.gpus, false),
    MESOS_SANDBOX: spec.sandbox,
    MESOS_DIRECTORY: spec.sandbox,
    MESOS_TASK_ID: spec.task.task_id.value,
    MESOS_FRAMEWORK_ID: spec.frameworkId,
    MESOS_AGENT_ID: spec.agentId,
  };
}

/** cgroup limits from the task's `cpus` and `mem` (MB); absent when the task asks for none. */
export function taskLimits(resources: readonly Resource[]): TaskLimits {
  const cpus = scalarOf(resources, "cpus");
  const memMB = scalarOf(resources, "mem");
  return { ...(cpus > 0 ? { cpus } : {}), ...(memMB > 0 ? { memMB } : {}) };
}
