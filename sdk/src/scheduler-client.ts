/**
 * A typed client of the Mesos v1 Scheduler HTTP API. It SUBSCRIBEs, keeps the RecordIO
 * event stream alive across master restarts (reconnecting with backoff and the same
 * framework id), dispatches typed events to handlers in order, acknowledges updates,
 * and sends calls with the stream id. Runtime-neutral: fetch, streams and timers only.
 * The connection itself (SUBSCRIBE, heartbeats, reconnecting) is a `SubscriptionLoop`.
 *
 * Calls made while disconnected wait for the next SUBSCRIBED (up to `callTimeoutMs`,
 * then reject with code `not-subscribed`); calls are never retried by the client,
 * because a call the master may have applied is not safe to repeat blindly.
 */
import type { FrameworkID } from "../../schemas/mesos.ts";
import { parseMessage } from "../../schemas/parse.ts";
import { type EventOf, SchedulerCall, type SchedulerEvent } from "../../schemas/scheduler.ts";
import { AckBatcher } from "./ack-batcher.ts";
import { authorizationHeader } from "./auth.ts";
import { DEFAULT_BACKOFF } from "./backoff.ts";
import { EventDispatcher } from "./event-dispatcher.ts";
import { type OutgoingCall, SchedulerCalls } from "./scheduler-calls.ts";
import { describeError, SchedulerError } from "./scheduler-errors.ts";
import type { FetchLike, Logger, SchedulerClientEvent, SchedulerClientOptions, SchedulerEventHandlers, Subscribed } from "./scheduler-types.ts";
import { SubscriptionGate } from "./subscription-gate.ts";
import { SubscriptionLoop } from "./subscription-loop.ts";

type State = "idle" | "running" | "stopped" | "failed";

const defaultLogger: Logger = {
  warn: (m, d) => console.warn(`[strata-sdk] ${m}`, ...(d === undefined ? [] : [d])),
  error: (m, d) => console.error(`[strata-sdk] ${m}`, ...(d === undefined ? [] : [d])),
};

/** Long-lived connection of one framework to the master. Register handlers, then `start()`. */
export class SchedulerClient extends SchedulerCalls {
  /** Resolves when the client ends: with the fatal error, or undefined after `stop()`. */
  readonly closed: Promise<SchedulerError | undefined>;
  private readonly url: string;
  private readonly fetch: FetchLike;
  private readonly log: Logger;
  private readonly dispatcher: EventDispatcher;
  private readonly subscription: SubscriptionLoop;
  private state: State = "idle";
  private fwId: string | undefined;
  private stream: string | undefined;
  private readonly gate = new SubscriptionGate();
  private everSubscribed = false;
  private tearingDown = false;
  private acks = new Set<Promise<unknown>>();
  /** Whether the current stream's master takes ACKNOWLEDGE_BATCH. */
  private batchAcks = false;
  private readonly ackBatcher = new AckBatcher((acknowledgements) => this.send({ type: "ACKNOWLEDGE_BATCH", acknowledge_batch: { acknowledgements } }));
  private loop: Promise<void> | undefined;
  private started: Promise<Subscribed> | undefined;
  private settleStart: { resolve: (s: Subscribed) => void; reject: (e: unknown) => void } | undefined;
  private resolveClosed!: (e: SchedulerError | undefined) => void;

  constructor(private readonly options: SchedulerClientOptions) {
    super();
    this.url = `${options.master.replace(/\/+$/, "")}/api/v1/scheduler`;
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.log = options.logger ?? defaultLogger;
    this.fwId = options.frameworkInfo.id?.value;
    this.dispatcher = new EventDispatcher((event, error) => this.log.error?.(`"${event}" handler threw`, error));
    this.subscription = new SubscriptionLoop(this.url, this.fetch, this.log, { ...DEFAULT_BACKOFF, ...options.backoff }, options, {
      running: () => this.state === "running",
      tearingDown: () => this.tearingDown,
      frameworkId: () => this.fwId,
      headers: () => this.headers(),
      receive: (event, streamId, extensions) => this.receive(event, streamId, extensions),
      connectionClosed: () => this.gate.closeGate(),
      disconnected: (info) => void this.dispatcher.dispatch("disconnected", info),
      fail: (error) => this.fail(error),
    });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Adds a handler; returns a function removing it. Register before `start()` to miss nothing. */
  on<K extends SchedulerClientEvent>(event: K, handler: SchedulerEventHandlers[K]): () => void {
    return this.dispatcher.on(event, handler);
  }

  off<K extends SchedulerClientEvent>(event: K, handler: SchedulerEventHandlers[K]): void {
    this.dispatcher.off(event, handler);
  }

  /** The framework id once known (from `frameworkInfo.id` or the first SUBSCRIBED). */
  get frameworkId(): FrameworkID | undefined {
    return this.fwId ? { value: this.fwId } : undefined;
  }

  /** The `Mesos-Stream-Id` of the current subscription. */
  get streamId(): string | undefined {
    return this.stream;
  }

  /** True while subscribed (calls go out immediately). */
  get subscribed(): boolean {
    return this.gate.open;
  }

  /**
   * Subscribes and keeps the subscription alive until `stop()`/`teardown()` or a fatal
   * error. Resolves with the first SUBSCRIBED payload; rejects if the master refuses the
   * subscription (400/401/403/415, ERROR event) or the client is stopped first.
   */
  start(): Promise<Subscribed> {
    if (this.started) return this.started;
    if (this.state !== "idle") return Promise.reject(new SchedulerError("client already stopped", "stopped"));
    this.state = "running";
    this.started = new Promise((resolve, reject) => (this.settleStart = { resolve, reject }));
    this.loop = this.subscription.run();
    return this.started;
  }

  /** Closes the stream, rejects waiting calls and stops reconnecting. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === "running" || this.state === "idle") {
      this.state = "stopped";
      this.shutdown(new SchedulerError("scheduler client stopped", "stopped"));
      this.resolveClosed(undefined);
    }
    await this.loop;
  }

  /**
   * Resolves once every event received so far has been handled and its automatic
   * ACKNOWLEDGE answered (or failed): call it before exiting so no acknowledgement is lost.
   */
  async drain(): Promise<void> {
    await this.dispatcher.idle();
    await Promise.allSettled([...this.acks]);
  }

  /** TEARDOWN: the master kills every task of the framework and forgets it; then `stop()`. */
  async teardown(): Promise<void> {
    this.tearingDown = true; // the master ends the stream: that is no disconnection
    try {
      await this.send({ type: "TEARDOWN" });
    } finally {
      await this.stop();
    }
  }

  /**
   * Sends any non-SUBSCRIBE call with the framework id and stream id, waiting for a
   * subscription first. Rejects with a `SchedulerError` (`http` carries the status).
   */
  async send(call: OutgoingCall): Promise<void> {
    parseMessage(SchedulerCall, { ...call, framework_id: { value: this.fwId ?? "pending" } }, "call");
    await this.waitForSubscription(call.type);
    const framework_id = { value: this.fwId! };
    // UPDATE_FRAMEWORK names the framework in its info too: the id known once subscribed.
    const body =
      call.type === "UPDATE_FRAMEWORK"
        ? {
            ...call,
            framework_id,
            update_framework: { ...call.update_framework, framework_info: { ...call.update_framework.framework_info, id: framework_id } },
          }
        : { ...call, framework_id };
    const headers = this.headers();
    if (this.stream) headers["Mesos-Stream-Id"] = this.stream;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.requestTimeoutMs ?? 30_000);
    let response: Response;
    try {
      response = await this.fetch(this.url, { method: "POST", headers, body: JSON.stringify(body), signal: controller.signal });
    } catch (error) {
      throw new SchedulerError(`${call.type} failed: ${describeError(error)}`, "network", undefined, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) throw await SchedulerError.fromResponse(call.type, response);
    await response.text().catch(() => "");
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
    const auth = authorizationHeader(this.options.credentials);
    if (auth) headers.Authorization = auth;
    return headers;
  }

  private waitForSubscription(what: string): Promise<void> {
    if (this.state === "idle") return Promise.reject(new SchedulerError(`${what}: call start() first`, "not-subscribed"));
    if (this.state !== "running") return Promise.reject(new SchedulerError(`${what}: scheduler client is ${this.state}`, "stopped"));
    return this.gate.wait(what, this.options.callTimeoutMs ?? 30_000);
  }

  /** Handles one event: state changes happen now, handlers run in the dispatcher's order. */
  private receive(event: SchedulerEvent, streamId: string | undefined, extensions: ReadonlySet<string>): void {
    if (event.type !== "UPDATE") this.flushUpdates(); // gathered updates go before any later event
    switch (event.type) {
      case "SUBSCRIBED":
        this.batchAcks = extensions.has("ACKNOWLEDGE_BATCH") && this.options.batchAcknowledgements !== false;
        this.onSubscribed(event.subscribed, streamId);
        return;
      case "OFFERS":
        void this.dispatcher.dispatch("offers", event.offers.offers);
        return;
      case "RESCIND":
        void this.dispatcher.dispatch("rescind", event.rescind.offer_id);
        return;
      case "INVERSE_OFFERS":
        void this.dispatcher.dispatch("inverseOffers", event.inverse_offers.inverse_offers);
        return;
      case "RESCIND_INVERSE_OFFER":
        void this.dispatcher.dispatch("rescindInverseOffer", event.rescind_inverse_offer.inverse_offer_id);
        return;
      case "UPDATE":
        this.onUpdate(event.update.status);
        return;
      case "HEARTBEAT":
        void this.dispatcher.dispatch("heartbeat");
        return;
      case "FAILURE":
        void this.dispatcher.dispatch("failure", event.failure);
        return;
      case "ERROR":
        this.fail(new SchedulerError(`master reported an error: ${event.error.message}`, "master"));
        return;
    }
  }

  private onSubscribed(subscribed: Subscribed, streamId: string | undefined): void {
    this.fwId = subscribed.framework_id.value;
    this.stream = streamId;
    const resubscribed = this.everSubscribed;
    this.everSubscribed = true;
    this.log.info?.(`${resubscribed ? "resubscribed" : "subscribed"} as framework ${this.fwId}`);
    this.gate.openGate();
    this.settleStart?.resolve(subscribed);
    this.settleStart = undefined;
    void this.dispatcher.dispatch("subscribed", subscribed, { streamId, resubscribed });
  }

  /** UPDATE events gathered for one "updates" dispatch (only while a handler for it is registered). */
  private pendingUpdates: Array<EventOf<"UPDATE">["update"]["status"]> = [];

  private onUpdate(status: EventOf<"UPDATE">["update"]["status"]): void {
    if (!this.dispatcher.has("updates")) {
      void this.dispatcher.dispatch("update", status).then((ok) => this.acknowledgeUpdate(status, ok));
      return;
    }
    // Gathered until the next turn of the event loop (or the next other event): one "updates" dispatch.
    this.pendingUpdates.push(status);
    if (this.pendingUpdates.length === 1) setTimeout(() => this.flushUpdates(), 0);
  }

  /** Dispatches the gathered updates: the "updates" handlers with all of them, then "update" for each; acknowledges each once its handlers succeeded. */
  private flushUpdates(): void {
    const batch = this.pendingUpdates;
    if (batch.length === 0) return;
    this.pendingUpdates = [];
    const together = this.dispatcher.dispatch("updates", batch);
    for (const status of batch) {
      const single = this.dispatcher.dispatch("update", status);
      void Promise.all([together, single]).then(([a, b]) => this.acknowledgeUpdate(status, a && b));
    }
  }

  private acknowledgeUpdate(status: EventOf<"UPDATE">["update"]["status"], ok: boolean): void {
    if (!ok || this.options.autoAcknowledge === false || !status.uuid) return;
    if (!status.agent_id) {
      this.log.warn?.(`cannot acknowledge update of ${status.task_id.value}: no agent_id`);
      return;
    }
    const ack = (
      this.batchAcks
        ? this.ackBatcher.add({ agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid })
        : this.acknowledge(status.agent_id, status.task_id, status.uuid)
    ).catch((error) => {
      // The master re-sends unacknowledged updates, so a lost ACKNOWLEDGE only costs a repeat.
      this.log.debug?.(`ACKNOWLEDGE of ${status.task_id.value} failed: ${describeError(error)}`);
    });
    this.acks.add(ack);
    void ack.finally(() => this.acks.delete(ack));
  }

  private fail(error: SchedulerError): void {
    if (this.state !== "running") return;
    this.state = "failed";
    this.log.error?.(error.message);
    this.shutdown(error);
    void this.dispatcher.dispatch("error", error);
    this.resolveClosed(error);
  }

  private shutdown(error: SchedulerError): void {
    this.gate.fail(error);
    this.subscription.interrupt();
    this.settleStart?.reject(error);
    this.settleStart = undefined;
  }
}
