/**
 * One running task's health checking, as Mesos' built-in executors do it
 * (docs/health-checks.md): after `delay_seconds` a check every `interval_seconds` (counted from
 * the end of the previous one), each given `timeout_seconds`; failures within
 * `grace_period_seconds` of the launch are ignored until a check first succeeds; the task is
 * declared healthy or unhealthy when that changes; after `consecutive_failures` failures in a
 * row it is to be killed. Time comes from the injected Clock and the check itself from a
 * `Probe`, so tests drive both.
 */
import { describeHealthCheck, HEALTH_CHECK_DEFAULTS } from "../../../schemas/health-check.ts";
import type { HealthCheck } from "../../../schemas/mesos.ts";
import type { Clock } from "../system/clock.ts";
import { errorText } from "../system/log.ts";

/** One check's outcome; `message` says what was seen ("exit status 1", "HTTP 503"). */
export interface ProbeResult {
  ok: boolean;
  message: string;
}

/** Runs the check once; gives up (and cleans up) when `signal` aborts. May throw: a failure. */
export type Probe = (signal: AbortSignal) => Promise<ProbeResult>;

/** What the checker tells its task's owner. */
export interface HealthListener {
  /** The task's health changed (or is known for the first time). */
  healthChanged(healthy: boolean, result: ProbeResult): void;
  /** Too many failures in a row: kill the task; `message` names the check and its last result. */
  kill(message: string): void;
}

/**
 * Shortest pause between checks: an `interval_seconds` of 0 (which Mesos accepts) would
 * otherwise run a failing check in a tight loop.
 */
export const MIN_INTERVAL_MS = 100;

/** The timing of a check in ms, Mesos' defaults filled in. A `timeout_seconds` of 0 means no time limit. */
export function healthTiming(check: HealthCheck) {
  const d = HEALTH_CHECK_DEFAULTS;
  return {
    delayMs: (check.delay_seconds ?? d.delay_seconds) * 1000,
    intervalMs: Math.max(MIN_INTERVAL_MS, (check.interval_seconds ?? d.interval_seconds) * 1000),
    timeoutMs: (check.timeout_seconds ?? d.timeout_seconds) * 1000,
    graceMs: (check.grace_period_seconds ?? d.grace_period_seconds) * 1000,
    // Mesos kills at the first failure when this is 0: no count below 1 makes sense.
    maxFailures: Math.max(1, check.consecutive_failures ?? d.consecutive_failures),
  };
}

/** Checks one task until `stop()` or until it asks for the kill. */
export class HealthChecker {
  /** Resolves when the checking loop has ended. */
  readonly done: Promise<void>;
  private readonly stopping = new AbortController();
  private readonly timing: ReturnType<typeof healthTiming>;
  private readonly startedAt: number;
  private healthy: boolean | undefined;
  private succeededOnce = false;
  private failures = 0;

  constructor(
    private readonly check: HealthCheck,
    private readonly probe: Probe,
    private readonly clock: Clock,
    private readonly listener: HealthListener,
  ) {
    this.timing = healthTiming(check);
    this.startedAt = clock.now();
    this.done = this.loop();
  }

  /** Ends the checking: no further probe starts, one under way is aborted, nothing more is reported. */
  stop(): void {
    this.stopping.abort();
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    if (this.timing.delayMs > 0) await this.clock.sleep(this.timing.delayMs, signal);
    while (!signal.aborted) {
      const result = await this.runOnce();
      if (signal.aborted) return;
      if (this.record(result)) return;
      await this.clock.sleep(this.timing.intervalMs, signal);
    }
  }

  /** One check, bounded by the timeout. */
  private async runOnce(): Promise<ProbeResult> {
    const attempt = new AbortController();
    const stop = () => attempt.abort();
    this.stopping.signal.addEventListener("abort", stop, { once: true });
    const { timeoutMs } = this.timing;
    try {
      const checked = this.probe(attempt.signal).catch((e): ProbeResult => ({ ok: false, message: errorText(e) }));
      if (timeoutMs <= 0) return await checked;
      const timedOut = this.clock.sleep(timeoutMs, attempt.signal).then((): ProbeResult => ({ ok: false, message: `timed out after ${timeoutMs / 1000} s` }));
      return await Promise.race([checked, timedOut]);
    } finally {
      attempt.abort(); // ends the timeout's sleep, or the probe that timed out
      this.stopping.signal.removeEventListener("abort", stop);
    }
  }

  /** Counts one result; true when the task is to be killed (the loop ends). */
  private record(result: ProbeResult): boolean {
    if (result.ok) {
      this.succeededOnce = true;
      this.failures = 0;
      if (this.healthy !== true) {
        this.healthy = true;
        this.listener.healthChanged(true, result);
      }
      return false;
    }
    if (!this.succeededOnce && this.clock.now() - this.startedAt < this.timing.graceMs) return false;
    this.failures++;
    if (this.healthy !== false) {
      this.healthy = false;
      this.listener.healthChanged(false, result);
    }
    if (this.failures < this.timing.maxFailures) return false;
    this.listener.kill(`Task killed after ${this.failures} consecutive failed health checks (${describeHealthCheck(this.check)}): ${result.message}`);
    return true;
  }
}
