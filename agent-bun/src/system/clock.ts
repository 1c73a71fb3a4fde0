/**
 * Time as an injected dependency: the agent core never reads the system clock or sets timers
 * directly, so tests drive retries and backoff with a fake clock.
 */

/** Wall-clock time and abortable sleeping. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
    }),
};

/**
 * Resolves after the rest of the current turn: every callback and promise chain already due
 * runs first. Not a timer (no time passes, fake clocks need not advance): work created together,
 * such as a task's TASK_STARTING and TASK_RUNNING, is then handled together.
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
