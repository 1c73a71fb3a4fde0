/**
 * Reconnect delays: exponential with "equal jitter" (half fixed, half random), so a fleet
 * of frameworks that lost the same master does not reconnect in lockstep.
 */

/** Bounds of the reconnect delay, in milliseconds. */
export interface BackoffOptions {
  /** Delay cap of the first retry (default 500). */
  initialMs: number;
  /** Largest delay cap (default 30 000). */
  maxMs: number;
}

/** 500 ms doubling up to 30 s: quick after a blip, gentle on a master that is down. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

/** Delay before retry number `attempt` (0-based): in [cap/2, cap], cap = min(max, initial·2^attempt). */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const cap = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/** `random` that always answers 1: no jitter, each delay is the full cap. */
const NO_JITTER = (): number => 1;

/**
 * Stateful form of `backoffDelay` for one retry loop: `next()` after each failure, `reset()`
 * after a success. Without `random` there is no jitter (initial, doubling, capped at max),
 * which is what the agent wants: one agent per host, and tests read exact delays.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = NO_JITTER,
  ) {}

  /** The delay to wait now; the following call returns up to twice as much (up to the cap). */
  next(): number {
    return backoffDelay(this.attempt++, { initialMs: this.initialMs, maxMs: this.maxMs }, this.random);
  }

  /** Back to the initial delay (after a success). */
  reset(): void {
    this.attempt = 0;
  }
}
