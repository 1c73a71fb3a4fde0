/**
 * A Mesos-style timer metric (`allocator/mesos/allocation_run_ms`): the last value, plus count,
 * min, max and percentiles over the most recent samples, kept in a fixed ring so the cost stays
 * bounded however long the master runs. Memory only.
 */

/** Samples kept for the percentiles (Mesos keeps a time window; a count is simpler to bound). */
export const TIMER_WINDOW = 1000;

/** See the file comment. */
export class TimerStats {
  private readonly ring: number[] = [];
  private next = 0;
  /** Samples recorded since the master started. */
  total = 0;
  last: number | undefined;

  record(ms: number): void {
    this.total++;
    this.last = ms;
    if (this.ring.length < TIMER_WINDOW) this.ring.push(ms);
    else {
      this.ring[this.next] = ms;
      this.next = (this.next + 1) % TIMER_WINDOW;
    }
  }

  /** `name` (last), `name/count`, `/min`, `/max`, `/p50`, `/p90`, `/p95`, `/p99`, `/p999`, `/p9999`; empty before the first sample. */
  metrics(name: string): Record<string, number> {
    if (this.last === undefined) return {};
    const sorted = [...this.ring].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return {
      [name]: this.last,
      [`${name}/count`]: this.total,
      [`${name}/min`]: sorted[0]!,
      [`${name}/max`]: sorted[sorted.length - 1]!,
      [`${name}/p50`]: at(0.5),
      [`${name}/p90`]: at(0.9),
      [`${name}/p95`]: at(0.95),
      [`${name}/p99`]: at(0.99),
      [`${name}/p999`]: at(0.999),
      [`${name}/p9999`]: at(0.9999),
    };
  }
}
