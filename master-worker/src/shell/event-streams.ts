/**
 * The frameworks' open event streams (scheduler SUBSCRIBE): one RecordIO stream per framework,
 * what is written to it, when it is closed, and when its reader is taken to be gone. It is
 * bookkeeping of the Durable Object's own connections, apart from the object class so that the
 * class stays a thin shell; the core reaches it only through its `Outbox` (send, close).
 */
import type { SchedulerEvent } from "../../../schemas/index.ts";
import { encodeRecord } from "../../../sdk/src/recordio.ts";

/** What the event streams need from the object around them. */
export interface EventStreamsOptions {
  /** The heartbeat interval: a reader that took nothing for three of them is gone. */
  heartbeatIntervalMs: number;
  /** A stream broke (its reader left or stopped reading): the framework is disconnected. */
  broken(frameworkId: string, streamId: string): void;
}

/** A framework's open event stream and how far its reader keeps up. */
interface EventStream {
  streamId: string;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  /**
   * Errors both sides at once: `writer.abort` waits for ever for a write the reader never takes
   * (a client gone unnoticed), keeping every queued event alive while the connection lingers.
   */
  control: TransformStreamDefaultController<Uint8Array>;
  /** Writes not yet taken by the reader. */
  pending: number;
  /** Last time the reader took a write (or had nothing to take). */
  progressAt: number;
}

const encoder = new TextEncoder();

/** Ends a stream with an error at once, both sides' queues let go (see `EventStream.control`). */
function end(control: TransformStreamDefaultController<Uint8Array>, reason: string): void {
  try {
    control.error(new Error(reason));
  } catch {
    /* already ended */
  }
}

/** See the file comment. */
export class EventStreams {
  private readonly writers = new Map<string, EventStream>();

  constructor(private readonly options: EventStreamsOptions) {}

  /**
   * Opens `frameworkId`'s stream `streamId` (replacing an older one) with `events` written first;
   * the readable side is the body of SUBSCRIBE's answer. `signal` (the request's) aborts when the
   * client goes away: the stream is broken at that moment, not at the next write that fails.
   */
  open(frameworkId: string, streamId: string, events: readonly SchedulerEvent[], now: number, signal?: AbortSignal): ReadableStream<Uint8Array> {
    let control!: TransformStreamDefaultController<Uint8Array>;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>({
      start: (c) => {
        control = c;
      },
    });
    const writer = writable.getWriter();
    this.writers.set(frameworkId, { streamId, writer, control, pending: 0, progressAt: now });
    writer.closed.catch(() => this.broken(frameworkId, streamId));
    const left = () => {
      if (this.writers.get(frameworkId)?.writer !== writer) return;
      this.broken(frameworkId, streamId);
      end(control, "the client went away");
    };
    if (signal?.aborted) queueMicrotask(left);
    else signal?.addEventListener("abort", left, { once: true });
    for (const e of events) this.write(frameworkId, e);
    return readable;
  }

  /** Writes `event` as one RecordIO record to the framework's stream, if it has one open. */
  write(frameworkId: string, event: SchedulerEvent): void {
    const s = this.writers.get(frameworkId);
    if (!s) return;
    const now = Date.now();
    // A disconnected client does not always cancel the stream (proxies keep reading or hold it):
    // a reader that has taken nothing for three heartbeat intervals is gone.
    if (s.pending > 0 && now - s.progressAt > 3 * this.options.heartbeatIntervalMs) {
      this.broken(frameworkId, s.streamId);
      end(s.control, "reader stopped reading");
      return;
    }
    if (s.pending === 0) s.progressAt = now;
    s.pending++;
    s.writer.write(encoder.encode(encodeRecord(event))).then(
      () => {
        s.pending--;
        s.progressAt = Date.now();
      },
      () => this.broken(frameworkId, s.streamId),
    );
  }

  /** Closes the framework's stream, after writing `last` when given. */
  close(frameworkId: string, last?: SchedulerEvent): void {
    const s = this.writers.get(frameworkId);
    if (!s) return;
    if (last) this.write(frameworkId, last);
    this.writers.delete(frameworkId);
    s.writer.close().catch(() => undefined);
  }

  /**
   * Reports the framework's stream `streamId` broken, once: a stream already closed, replaced or
   * reported broken is no longer the framework's, so the core has nothing to hear of it.
   */
  private broken(frameworkId: string, streamId: string): void {
    if (this.writers.get(frameworkId)?.streamId !== streamId) return;
    this.writers.delete(frameworkId);
    this.options.broken(frameworkId, streamId);
  }
}
