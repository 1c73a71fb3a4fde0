/**
 * Numbers of the agent protocol both sides use. Plain values with no zod at run time, so that
 * the agent's light entry point (agent-wire.ts) and agent.ts share them.
 */

/** The longest the master holds a poll that has nothing to answer (seconds). */
export const MAX_POLL_HOLD_SECONDS = 25;

/**
 * Bytes of a command task's stdout (its tail) the agent puts, base64, in the terminal
 * update's `data`.
 */
export const TASK_OUTPUT_TAIL_BYTES = 4096;
