/** Exponential backoff delays: `initial`, doubling on each failure, capped at `max`. */
export class Backoff {
  private current: number;

  constructor(private readonly initialMs: number, private readonly maxMs: number) {
    this.current = initialMs;
  }

  /** The delay to wait now; the following call returns twice as much (up to the cap). */
  next(): number {
    const delay = this.current;
    this.current = Math.min(this.current * 2, this.maxMs);
    return delay;
  }

  /** Back to the initial delay (after a success). */
  reset(): void {
    this.current = this.initialMs;
  }
}
