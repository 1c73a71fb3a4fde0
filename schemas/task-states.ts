/**
 * The task states (Mesos `TaskState`) and which of them are terminal. Plain values with no zod
 * at run time, so that the agent's light entry point (agent-wire.ts) and mesos.ts share the one
 * list.
 */

/** Every task state, in Mesos' order (mesos.ts builds its `TaskState` schema from it). */
export const TASK_STATES = [
  "TASK_STAGING",
  "TASK_STARTING",
  "TASK_RUNNING",
  "TASK_KILLING",
  "TASK_FINISHED",
  "TASK_FAILED",
  "TASK_KILLED",
  "TASK_ERROR",
  "TASK_LOST",
  "TASK_DROPPED",
  "TASK_UNREACHABLE",
  "TASK_GONE",
  "TASK_GONE_BY_OPERATOR",
  "TASK_UNKNOWN",
] as const;

/** A task state's name. */
type TaskState = (typeof TASK_STATES)[number];

/** States after which a task holds no resources and gets no further update. */
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  "TASK_FINISHED",
  "TASK_FAILED",
  "TASK_KILLED",
  "TASK_ERROR",
  "TASK_LOST",
  "TASK_DROPPED",
  "TASK_GONE",
  "TASK_GONE_BY_OPERATOR",
]);
export const isTerminal = (s: TaskState): boolean => TERMINAL_STATES.has(s);
