/**
 * One RecordIO event stream to a client (a framework's scheduler SUBSCRIBE, an operator's
 * SUBSCRIBE): the records written to it, how far its reader keeps up, and ending it at once.
 * Both kinds of stream tell a client gone unnoticed the same way, so they share this.
 */
import { encodeRecord } from "../../../sdk/src/recordio.ts";

/** When a reader is taken to have stopped reading. */
export interface StallLimits {
  /** It has taken nothing for this long while a write waited. */
  stallMs: number;
  /** It has left this many writes untaken (no bound when absent). */
  maxUnread?: number;
}

const encoder = new TextEncoder();

/** See the file comment. */
export class RecordStream {
  /** The response body. */
  readonly readable: ReadableStream<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  /**
   * Errors both sides at once. Not `writer.abort`: with a write in flight that the reader never
   * takes (a client gone unnoticed), an abort waits for that write for ever, and the stream keeps
   * every queued event alive while its connection lingers.
   */
  private readonly control: TransformStreamDefaultController<Uint8Array>;
  /** Writes not yet taken by the reader. */
  private pending = 0;
  /** Last time the reader took a write (or had nothing to take). */
  private progressAt: number;

  /**
   * `clock`: the time now (ms); `openedAt`: when the stream opened (by default `clock()`).
   * `broken`: called when the reader side goes away or a write fails (it may be called more than
   * once, and after `end`).
   */
  constructor(
    private readonly clock: () => number,
    private readonly limits: StallLimits,
    private readonly broken: () => void,
    openedAt = clock(),
  ) {
    let control!: TransformStreamDefaultController<Uint8Array>;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>({
      start: (c) => {
        control = c;
      },
    });
    this.readable = readable;
    this.control = control;
    this.writer = writable.getWriter();
    this.progressAt = openedAt;
    this.writer.closed.catch(() => broken());
  }

  /**
   * Writes `event` (an object, or its JSON text) as one record; false, writing nothing, when the
   * reader has stopped reading (see `StallLimits`): the caller lets the stream go and `end`s it.
   */
  write(event: object | string): boolean {
    const now = this.clock();
    const stalled = this.pending > 0 && now - this.progressAt > this.limits.stallMs;
    if (stalled || this.pending >= (this.limits.maxUnread ?? Number.POSITIVE_INFINITY)) return false;
    if (this.pending === 0) this.progressAt = now;
    this.pending++;
    this.writer.write(encoder.encode(encodeRecord(event))).then(
      () => {
        this.pending--;
        this.progressAt = this.clock();
      },
      () => this.broken(),
    );
    return true;
  }

  /** Ends the stream with an error at once, both sides' queues let go. */
  end(reason: string): void {
    try {
      this.control.error(new Error(reason));
    } catch {
      /* already ended */
    }
  }

  /** Closes the stream once what was written is taken. */
  close(): void {
    this.writer.close().catch(() => undefined);
  }
}
