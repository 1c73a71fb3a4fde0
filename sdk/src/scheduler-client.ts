/**
 * A typed client of the Mesos v1 Scheduler HTTP API. It SUBSCRIBEs, keeps the RecordIO
 * event stream alive across master restarts (reconnecting with backoff and the same
 * framework id), dispatches typed events to handlers in order, acknowledges updates,
 * and sends calls with the stream id. Runtime-neutral: fetch, streams and timers only.
 *
 * Calls made while disconnected wait for the next SUBSCRIBED (up to `callTimeoutMs`,
 * then reject with code `not-subscribed`); calls are never retried by the client,
 * because a call the master may have applied is not safe to repeat blindly.
 */
import type { FrameworkID } from "../../schemas/mesos.ts";
import { parseMessage } from "../../schemas/parse.ts";
import { SchedulerCall, type EventOf } from "../../schemas/scheduler.ts";
import { authorizationHeader } from "./auth.ts";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.ts";
import { EventDispatcher } from "./event-dispatcher.ts";
import { readRecords } from "./recordio.ts";
import { SchedulerCalls, type OutgoingCall } from "./scheduler-calls.ts";
import { describeError, FATAL_SUBSCRIBE_STATUSES, SchedulerError } from "./scheduler-errors.ts";
import type { FetchLike, Logger, SchedulerClientEvent, SchedulerClientOptions, SchedulerEventHandlers } from "./scheduler-types.ts";
import { parseSchedulerEvent } from "./scheduler-event-parse.ts";
import { SubscriptionGate } from "./subscription-gate.ts";
import { Watchdog } from "./watchdog.ts";

type Subscribed = EventOf<"SUBSCRIBED">["subscribed"];
type State = "idle" | "running" | "stopped" | "failed";

const DEFAULT_HEARTBEAT_SECONDS = 15;
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
  private readonly backoff: BackoffOptions;
  private readonly dispatcher: EventDispatcher;
  private state: State = "idle";
  private fwId: string | undefined;
  private stream: string | undefined;
  private heartbeatSeconds = DEFAULT_HEARTBEAT_SECONDS;
  private readonly gate = new SubscriptionGate();
  private everSubscribed = false;
  private everSubscribedOnThisConnection = false;
  private abort: AbortController | undefined;
  private abortReason: string | undefined;
  private tearingDown = false;
  private acks = new Set<Promise<unknown>>();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private started: Promise<Subscribed> | undefined;
  private settleStart: { resolve: (s: Subscribed) => void; reject: (e: unknown) => void } | undefined;
  private resolveClosed!: (e: SchedulerError | undefined) => void;

  constructor(private readonly options: SchedulerClientOptions) {
    super();
    this.url = `${options.master.replace(/\/+$/, "")}/api/v1/scheduler`;
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.log = options.logger ?? defaultLogger;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.fwId = options.frameworkInfo.id?.value;
    this.dispatcher = new EventDispatcher((event, error) => this.log.error?.(`"${event}" handler threw`, error));
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
    this.loop = this.run();
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
    const body = { ...call, framework_id: { value: this.fwId! } };
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

  /** Connect, read until the stream ends, back off, repeat; until stopped or failed. */
  private async run(): Promise<void> {
    let attempt = 0;
    while (this.state === "running") {
      let reason = "event stream ended";
      let error: unknown;
      let subscribedThisTime = false;
      try {
        subscribedThisTime = await this.connectOnce();
      } catch (e) {
        if (e instanceof SchedulerError && e.status !== undefined && FATAL_SUBSCRIBE_STATUSES.has(e.status)) {
          this.fail(e);
          return;
        }
        subscribedThisTime = this.everSubscribedOnThisConnection;
        error = e;
        reason = this.abortReason ?? describeError(e);
      }
      this.gate.closeGate();
      this.abortReason = undefined;
      if (this.state !== "running") return;
      if (subscribedThisTime) attempt = 0;
      const retryInMs = backoffDelay(attempt++, this.backoff, this.options.random);
      if (!this.tearingDown) {
        this.log.warn?.(`disconnected from ${this.url} (${reason}); resubscribing in ${retryInMs} ms`);
        void this.dispatcher.dispatch("disconnected", { reason, error, attempt, retryInMs });
      }
      await this.sleep(retryInMs);
    }
  }

  /** One SUBSCRIBE connection; resolves when its stream ends, true if SUBSCRIBED arrived. */
  private async connectOnce(): Promise<boolean> {
    this.everSubscribedOnThisConnection = false;
    const controller = new AbortController();
    this.abort = controller;
    const watchdog = new Watchdog(() => {
      this.abortReason = this.everSubscribedOnThisConnection
        ? `no event for ${this.heartbeatTimeoutMs()} ms (missed heartbeats)`
        : "no SUBSCRIBED event in time";
      controller.abort();
    });
    watchdog.arm(this.options.subscribeTimeoutMs ?? 30_000);
    try {
      const info = { ...this.options.frameworkInfo, ...(this.fwId ? { id: { value: this.fwId } } : {}) };
      const call = {
        type: "SUBSCRIBE",
        ...(this.fwId ? { framework_id: { value: this.fwId } } : {}),
        subscribe: { framework_info: info, ...(this.options.suppressedRoles ? { suppressed_roles: this.options.suppressedRoles } : {}) },
      };
      // A compressed stream would sit in the compressor's buffer: ask for it uncompressed
      // (runtimes that forbid setting Accept-Encoding, like browsers, drop this silently).
      const headers = { ...this.headers(), "Accept-Encoding": "identity" };
      const response = await this.fetch(this.url, { method: "POST", headers, body: JSON.stringify(call), signal: controller.signal });
      if (!response.ok) throw await SchedulerError.fromResponse("SUBSCRIBE", response);
      if (!response.body) throw new SchedulerError("SUBSCRIBE answered without a body", "network");
      const streamId = response.headers.get("Mesos-Stream-Id") ?? undefined;
      if (!streamId) this.log.warn?.("SUBSCRIBE answered without a Mesos-Stream-Id header");
      for await (const record of readRecords(response.body)) {
        this.receive(record, streamId); // may change the heartbeat interval (SUBSCRIBED)
        if (this.state !== "running") break;
        watchdog.arm(this.heartbeatTimeoutMs());
      }
      return this.everSubscribedOnThisConnection;
    } finally {
      watchdog.clear();
      if (this.abort === controller) this.abort = undefined;
      controller.abort();
    }
  }

  private heartbeatTimeoutMs(): number {
    return Math.ceil((this.options.missedHeartbeats ?? 3) * this.heartbeatSeconds * 1000);
  }

  /** Handles one record: state changes happen now, handlers run in the dispatcher's order. */
  private receive(record: string, streamId: string | undefined): void {
    const event = parseSchedulerEvent(record, this.log);
    if (!event) return;
    switch (event.type) {
      case "SUBSCRIBED": return this.onSubscribed(event.subscribed, streamId);
      case "OFFERS": void this.dispatcher.dispatch("offers", event.offers.offers); return;
      case "RESCIND": void this.dispatcher.dispatch("rescind", event.rescind.offer_id); return;
      case "UPDATE": return this.onUpdate(event.update.status);
      case "HEARTBEAT": void this.dispatcher.dispatch("heartbeat"); return;
      case "FAILURE": void this.dispatcher.dispatch("failure", event.failure); return;
      case "ERROR": return this.fail(new SchedulerError(`master reported an error: ${event.error.message}`, "master"));
    }
  }

  private onSubscribed(subscribed: Subscribed, streamId: string | undefined): void {
    this.fwId = subscribed.framework_id.value;
    this.stream = streamId;
    this.heartbeatSeconds = subscribed.heartbeat_interval_seconds ?? DEFAULT_HEARTBEAT_SECONDS;
    this.everSubscribedOnThisConnection = true;
    const resubscribed = this.everSubscribed;
    this.everSubscribed = true;
    this.log.info?.(`${resubscribed ? "resubscribed" : "subscribed"} as framework ${this.fwId}`);
    this.gate.openGate();
    this.settleStart?.resolve(subscribed);
    this.settleStart = undefined;
    void this.dispatcher.dispatch("subscribed", subscribed, { streamId, resubscribed });
  }

  private onUpdate(status: EventOf<"UPDATE">["update"]["status"]): void {
    void this.dispatcher.dispatch("update", status).then((ok) => {
      if (!ok || this.options.autoAcknowledge === false || !status.uuid) return;
      if (!status.agent_id) {
        this.log.warn?.(`cannot acknowledge update of ${status.task_id.value}: no agent_id`);
        return;
      }
      const ack = this.acknowledge(status.agent_id, status.task_id, status.uuid).catch((error) => {
        // The master re-sends unacknowledged updates, so a lost ACKNOWLEDGE only costs a repeat.
        this.log.debug?.(`ACKNOWLEDGE of ${status.task_id.value} failed: ${describeError(error)}`);
      });
      this.acks.add(ack);
      void ack.finally(() => this.acks.delete(ack));
    });
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
    this.abort?.abort();
    this.wake?.();
    this.settleStart?.reject(error);
    this.settleStart = undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
