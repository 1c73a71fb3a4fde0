/**
 * Which task states are terminal. Plain values with no zod at run time, so that the agent's
 * light entry point (agent-wire.ts) and mesos.ts share the one list.
 */
import type { TaskState } from "./mesos.ts";

/** States after which a task holds no resources and gets no further update. */
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST",
  "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR",
]);
export const isTerminal = (s: TaskState): boolean => TERMINAL_STATES.has(s);
