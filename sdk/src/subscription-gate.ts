/**
 * Where calls wait while the scheduler client is between subscriptions: `wait()` resolves
 * at once when open, else when the gate next opens, and rejects when it is closed for good
 * or after the caller's timeout.
 */
import { SchedulerError } from "./scheduler-errors.ts";

type Waiter = { resolve: () => void; reject: (e: SchedulerError) => void; timer: ReturnType<typeof setTimeout> };

/** A gate that calls queue at until the client is subscribed. */
export class SubscriptionGate {
  private waiters = new Set<Waiter>();
  private isOpen = false;

  get open(): boolean {
    return this.isOpen;
  }

  /** Subscribed: releases every waiting call. */
  openGate(): void {
    this.isOpen = true;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve();
    }
    this.waiters.clear();
  }

  /** Disconnected: later calls wait. */
  closeGate(): void {
    this.isOpen = false;
  }

  /** Stopped or failed: rejects every waiting call with `error`. */
  fail(error: SchedulerError): void {
    this.isOpen = false;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(error);
    }
    this.waiters.clear();
  }

  /** Resolves when open; rejects with `not-subscribed` after `timeoutMs`. */
  wait(what: string, timeoutMs: number): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new SchedulerError(`${what}: not subscribed to the master after ${timeoutMs} ms`, "not-subscribed"));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }
}
