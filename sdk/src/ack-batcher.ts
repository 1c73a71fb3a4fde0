/**
 * Coalesces a framework's automatic acknowledgements: one request in flight at a time, and the
 * acknowledgements that arrive meanwhile go together in the next one. A lone update is
 * acknowledged at once, as before; a burst of thousands costs a few requests instead of one
 * each. Used with a master that takes `ACKNOWLEDGE_BATCH` (a Strata extension).
 */
import { ACKNOWLEDGE_BATCH_MAX, type Acknowledgement } from "../../schemas/scheduler.ts";

interface Queued {
  ack: Acknowledgement;
  settle: (error?: unknown) => void;
}

export class AckBatcher {
  private queue: Queued[] = [];
  private pumping = false;

  /** `send` carries one batch (1 to `max` acknowledgements) and resolves when it is answered. */
  constructor(
    private readonly send: (acks: Acknowledgement[]) => Promise<void>,
    private readonly max = ACKNOWLEDGE_BATCH_MAX,
  ) {}

  /** Acknowledgements waiting for the next request. */
  get queued(): number {
    return this.queue.length;
  }

  /** Queues `ack`; resolves when the request carrying it is answered, rejects when it fails. */
  add(ack: Acknowledgement): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.queue.push({ ack, settle: (error) => (error === undefined ? resolve() : reject(error)) });
    });
    if (!this.pumping) {
      this.pumping = true;
      // Updates handled in this same turn go out together.
      queueMicrotask(() => void this.pump());
    }
    return done;
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.max);
        let error: unknown;
        try {
          await this.send(batch.map((q) => q.ack));
        } catch (e) {
          error = e ?? new Error("acknowledgement failed");
        }
        for (const q of batch) q.settle(error);
      }
    } finally {
      this.pumping = false;
    }
  }
}
