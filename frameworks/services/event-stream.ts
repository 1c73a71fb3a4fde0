/**
 * The services framework's `/v2/events`: Marathon's event bus as server-sent events, served by
 * the services object itself. Each client gets a stream that answers at once (200,
 * `text/event-stream`), then one frame per event: an `event: <type>` line and one one-line
 * `data: <json>` line. `event_type` (repeatable) keeps only the types named; `plan-format=light`
 * sends deployment events without their plans' `original` and `target` (event-json.ts `lightEvent`).
 * A client that reads
 * too slowly is never dropped silently: its queue holds at most `EVENT_QUEUE_FRAMES` frames; on
 * overflow a final SSE comment saying so is queued, the stream is closed (after what is queued
 * is read) and the closing is logged.
 */
import { lightEvent, type MarathonEvent } from "./event-json.ts";

/** How many frames a client may have unread before its stream is closed. */
export const EVENT_QUEUE_FRAMES = 1_000;

/** One event as an SSE frame. */
export const sseFrame = (e: MarathonEvent): string => `event: ${e.eventType}\ndata: ${JSON.stringify(e)}\n\n`;

interface Subscriber {
  types: ReadonlySet<string>;
  light: boolean;
  controller: ReadableStreamDefaultController<Uint8Array>;
  remoteAddress: string;
}

/** The clients attached to `/v2/events` and the publishing to them. */
export class EventHub {
  private readonly subscribers = new Set<Subscriber>();
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly onDetach: (remoteAddress: string) => void,
    private readonly queueFrames = EVENT_QUEUE_FRAMES,
  ) {}

  /** How many clients are attached. */
  get size(): number {
    return this.subscribers.size;
  }

  /** A new client's response; `types` empty means every type; `light`: `plan-format=light`. */
  attach(types: readonly string[], remoteAddress: string, light = false): Response {
    let sub: Subscriber | undefined;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          sub = { types: new Set(types), light, controller, remoteAddress };
          this.subscribers.add(sub);
          controller.enqueue(this.encoder.encode(": attached\n\n"));
        },
        cancel: () => {
          if (sub && this.subscribers.delete(sub)) this.onDetach(remoteAddress);
        },
      },
      new CountQueuingStrategy({ highWaterMark: this.queueFrames }),
    );
    return new Response(stream, {
      status: 200,
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache, no-store", "x-accel-buffering": "no" },
    });
  }

  /** Ends every client's stream (after what is queued is read), as a Marathon that gives up leadership does. */
  closeAll(): void {
    for (const sub of [...this.subscribers]) {
      this.subscribers.delete(sub);
      try {
        sub.controller.close();
      } catch {
        // already closed by the client
      }
    }
  }

  /** Sends `e` to every client that wants its type; closes (and reports) those whose queue is full. */
  publish(e: MarathonEvent): void {
    let heavy: Uint8Array | undefined;
    let light: Uint8Array | undefined;
    const frameFor = (sub: Subscriber): Uint8Array =>
      sub.light ? (light ??= this.encoder.encode(sseFrame(lightEvent(e)))) : (heavy ??= this.encoder.encode(sseFrame(e)));
    for (const sub of [...this.subscribers]) {
      if (sub.types.size > 0 && !sub.types.has(e.eventType)) continue;
      try {
        if ((sub.controller.desiredSize ?? 0) <= 0) {
          sub.controller.enqueue(this.encoder.encode(`: closed: more than ${this.queueFrames} events unread (a slow client); reconnect to go on\n\n`));
          sub.controller.close();
          this.subscribers.delete(sub);
          console.warn(`/v2/events: closed the stream of ${sub.remoteAddress}: more than ${this.queueFrames} events unread`);
          this.onDetach(sub.remoteAddress);
          continue;
        }
        sub.controller.enqueue(frameFor(sub));
      } catch {
        this.subscribers.delete(sub);
      }
    }
  }
}
