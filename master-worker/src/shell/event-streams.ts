/**
 * The frameworks' open event streams (scheduler SUBSCRIBE): one RecordIO stream per framework,
 * what is written to it, when it is closed, and when its reader is taken to be gone. It is
 * bookkeeping of the Durable Object's own connections, apart from the object class so that the
 * class stays a thin shell; the core reaches it only through its `Outbox` (send, close).
 */
import type { SchedulerEvent } from "../../../schemas/index.ts";
import { RecordStream } from "../read/record-stream.ts";

/** What the event streams need from the object around them. */
export interface EventStreamsOptions {
  /** The heartbeat interval: a reader that took nothing for three of them is gone. */
  heartbeatIntervalMs: number;
  /** A stream broke (its reader left or stopped reading): the framework is disconnected. */
  broken(frameworkId: string, streamId: string): void;
}

/** A framework's open event stream. */
interface EventStream {
  streamId: string;
  stream: RecordStream;
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
    // A disconnected client does not always cancel the stream (proxies keep reading or hold it):
    // a reader that has taken nothing for three heartbeat intervals is gone.
    const stream = new RecordStream(Date.now, { stallMs: 3 * this.options.heartbeatIntervalMs }, () => this.broken(frameworkId, streamId), now);
    this.writers.set(frameworkId, { streamId, stream });
    const left = () => {
      if (this.writers.get(frameworkId)?.stream !== stream) return;
      this.broken(frameworkId, streamId);
      stream.end("the client went away");
    };
    if (signal?.aborted) queueMicrotask(left);
    else signal?.addEventListener("abort", left, { once: true });
    for (const e of events) this.write(frameworkId, e);
    return stream.readable;
  }

  /** Writes `event` as one RecordIO record to the framework's stream, if it has one open. */
  write(frameworkId: string, event: SchedulerEvent): void {
    const s = this.writers.get(frameworkId);
    if (!s || s.stream.write(event)) return;
    this.broken(frameworkId, s.streamId);
    s.stream.end("reader stopped reading");
  }

  /** Closes the framework's stream, after writing `last` when given. */
  close(frameworkId: string, last?: SchedulerEvent): void {
    const s = this.writers.get(frameworkId);
    if (!s) return;
    if (last) this.write(frameworkId, last);
    this.writers.delete(frameworkId);
    s.stream.close();
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
