/**
 * A re-armable timer: the scheduler client arms it on every event it receives and treats
 * the connection as dead when it fires (Mesos: ~3 missed heartbeats).
 */
export class Watchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly onExpire: () => void) {}

  /** (Re)starts the countdown. */
  arm(ms: number): void {
    this.clear();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onExpire();
    }, ms);
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
