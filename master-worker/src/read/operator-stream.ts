/**
 * The operator API's SUBSCRIBE (`POST /api/v1 {"type":"SUBSCRIBE"}`): a RecordIO stream, framed
 * as the scheduler stream (`encodeRecord`), that opens with SUBSCRIBED (the GET_STATE the
 * subscriber may view, and the heartbeat interval) and then carries every event
 * `operatorEvents` derives from committed changes, filtered by the subscriber's view ACLs,
 * with a HEARTBEAT every interval. One instance per master; it becomes the master's commit
 * observer while it has subscribers. A subscriber whose reader has taken nothing for three
 * heartbeat intervals is dropped, as a framework's stream is (shell/event-streams.ts): a client
 * that went away is not always reported by the request's signal (the memory soak, bench/soak.ts,
 * found such streams kept, each queueing every event up to MAX_UNREAD_EVENTS, ~20 MB/min).
 */
import type { MasterCore } from "../core/master-core.ts";
import type { Effect } from "../decide/effects.ts";
import type { MasterView } from "../decide/view.ts";
import { serviceCounters } from "./metrics-snapshot.ts";
import { mayView, type OperatorEvent, operatorEvents } from "./operator-events.ts";
import { type ReadFilter, readFilter } from "./read-filter.ts";
import { finishGradually, type ReadSnapshot, snapshotSteps } from "./read-snapshot.ts";
import { RecordStream } from "./record-stream.ts";
import { yieldToEventLoop } from "./state-stream.ts";
import { v1Parts } from "./v1-json.ts";

/** A subscriber that has left this many writes untaken is dropped (it stopped reading). */
export const MAX_UNREAD_EVENTS = 10_000;

interface Subscriber {
  stream: RecordStream;
  filter: ReadFilter;
  /** Events committed while SUBSCRIBED is still being written out; sent right after it. */
  backlog: object[] | undefined;
}

/** Parts of SUBSCRIBED joined between two yields to the event loop. */
const PARTS_PER_STEP = 2_000;

/** See the file comment. */
export class OperatorStreams {
  private readonly subscribers = new Set<Subscriber>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  /** `clock`: the time now (ms), for telling a reader that stopped reading. */
  constructor(
    private readonly core: MasterCore,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Subscribers connected now (`master/operator_event_stream_subscribers`). */
  get size(): number {
    return this.subscribers.size;
  }

  /**
   * Opens a stream for `principal`; the response body is the stream. `signal` (the request's)
   * aborts when the client goes away: the subscriber is dropped at that moment.
   */
  open(principal: string | undefined, signal?: AbortSignal): Response {
    const stream = new RecordStream(this.clock, { stallMs: 3 * this.core.config.heartbeatIntervalMs, maxUnread: MAX_UNREAD_EVENTS }, () => this.drop(sub));
    const sub: Subscriber = { stream, filter: readFilter(this.core.authorizer, principal), backlog: [] };
    this.subscribers.add(sub);
    serviceCounters(this.core).operatorSubscribers = this.subscribers.size;
    const left = () => {
      if (!this.subscribers.has(sub)) return;
      this.drop(sub);
      stream.end("the client went away");
    };
    if (signal?.aborted) queueMicrotask(left);
    else signal?.addEventListener("abort", left, { once: true });
    this.core.observer = this.observe;
    // The state is of this moment (the snapshot's first step runs now); writing it out may take
    // a while for a large cluster, in steps, with what happens meanwhile queued behind it.
    const snapshot = finishGradually(snapshotSteps(this.core, sub.filter), yieldToEventLoop);
    void snapshot
      .then((snap) => this.writeSubscribed(sub, snap))
      .catch((err) => {
        console.error("operator event stream:", err instanceof Error ? err.message : String(err));
        this.drop(sub);
        stream.end("could not write the state");
      });
    this.heartbeat ??= setInterval(() => this.broadcast([{ event: { type: "HEARTBEAT" } }]), this.core.config.heartbeatIntervalMs);
    return new Response(stream.readable, {
      status: 200,
      headers: { "Content-Type": "application/json", "Cache-Control": "no-cache, no-transform", "Content-Encoding": "identity" },
    });
  }

  /** Writes SUBSCRIBED (joining its parts in steps), then the events queued meanwhile. */
  private async writeSubscribed(sub: Subscriber, snap: ReadSnapshot): Promise<void> {
    let text = '{"type":"SUBSCRIBED","subscribed":{"get_state":';
    let n = 0;
    for (const part of v1Parts.getState(snap)) {
      text += part;
      if (++n % PARTS_PER_STEP === 0) await yieldToEventLoop();
    }
    text += `,"heartbeat_interval_seconds":${this.core.config.heartbeatIntervalMs / 1000}}}`;
    const backlog = sub.backlog ?? [];
    sub.backlog = undefined;
    this.write(sub, text);
    for (const e of backlog) this.write(sub, e);
  }

  /** The master's commit observer while anyone is subscribed. */
  readonly observe = (view: MasterView, effects: readonly Effect[]): void => {
    if (this.subscribers.size === 0) return;
    try {
      const events = operatorEvents(view, effects);
      if (events.length) this.broadcast(events);
    } catch (err) {
      // The commit is done whatever happens here: an event lost is logged, never a failed commit.
      console.error("operator event stream:", err instanceof Error ? err.message : String(err));
    }
  };

  private broadcast(events: readonly OperatorEvent[]): void {
    for (const sub of this.subscribers) for (const e of events) if (mayView(sub.filter, e)) this.write(sub, e.event);
  }

  /** Writes one event (an object, or its JSON text) as a RecordIO record. */
  private write(sub: Subscriber, event: object | string): void {
    if (!this.subscribers.has(sub)) return;
    if (sub.backlog && typeof event === "object") {
      sub.backlog.push(event);
      return;
    }
    if (sub.stream.write(event)) return;
    this.drop(sub);
    sub.stream.end("reader stopped reading");
  }

  private drop(sub: Subscriber): void {
    this.subscribers.delete(sub);
    serviceCounters(this.core).operatorSubscribers = this.subscribers.size;
    if (this.subscribers.size > 0) return;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.core.observer === this.observe) this.core.observer = undefined;
  }

  /** Ends every stream (tests, shutdown). */
  closeAll(): void {
    for (const sub of [...this.subscribers]) {
      this.drop(sub);
      sub.stream.close();
    }
  }
}
