/**
 * The transport half of `SchedulerClient`: SUBSCRIBE, read the RecordIO stream into typed
 * events, declare the connection dead after missed heartbeats, and reconnect with backoff,
 * until the owner stops. What the events mean (framework id, gate, handlers) stays with the
 * client, which it reaches through a `SubscriptionHost`.
 */
import { type SchedulerEvent, STRATA_EXTENSIONS_HEADER } from "../../schemas/scheduler.ts";
import { type BackoffOptions, backoffDelay } from "./backoff.ts";
import { readRecords } from "./recordio.ts";
import { describeError, FATAL_SUBSCRIBE_STATUSES, SchedulerError } from "./scheduler-errors.ts";
import { parseSchedulerEvent } from "./scheduler-event-parse.ts";
import type { DisconnectInfo, FetchLike, Logger, SchedulerClientOptions } from "./scheduler-types.ts";
import { Watchdog } from "./watchdog.ts";

const DEFAULT_HEARTBEAT_SECONDS = 15;

/** What the loop asks of its owner (the client); every member is called synchronously. */
export interface SubscriptionHost {
  /** False once the client is stopped or failed: the loop ends. */
  running(): boolean;
  /** True while tearing down: the master ending the stream is no disconnection to report. */
  tearingDown(): boolean;
  /** The framework id to resubscribe with, once known. */
  frameworkId(): string | undefined;
  /** Request headers (content type, credentials). */
  headers(): Record<string, string>;
  /**
   * One event of the stream, in order; SUBSCRIBED after the loop has taken its heartbeat interval.
   * `extensions`: the Strata extensions the master named when this stream opened (none for Mesos).
   */
  receive(event: SchedulerEvent, streamId: string | undefined, extensions: ReadonlySet<string>): void;
  /** A connection ended (calls must wait for the next SUBSCRIBED). */
  connectionClosed(): void;
  /** The loop will resubscribe after `info.retryInMs`. */
  disconnected(info: DisconnectInfo): void;
  /** SUBSCRIBE was refused for good (400/401/403/415). */
  fail(error: SchedulerError): void;
}

/** Keeps one framework subscribed: connect, read until the stream ends, back off, repeat. */
export class SubscriptionLoop {
  private heartbeatSeconds = DEFAULT_HEARTBEAT_SECONDS;
  private everSubscribedOnThisConnection = false;
  private abort: AbortController | undefined;
  private abortReason: string | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly url: string,
    private readonly fetch: FetchLike,
    private readonly log: Logger,
    private readonly backoff: BackoffOptions,
    private readonly options: SchedulerClientOptions,
    private readonly host: SubscriptionHost,
  ) {}

  /** Stops waiting: closes the current connection and ends the backoff sleep at once. */
  interrupt(): void {
    this.abort?.abort();
    this.wake?.();
  }

  /** Connect, read until the stream ends, back off, repeat; until the host stops running or fails. */
  async run(): Promise<void> {
    let attempt = 0;
    while (this.host.running()) {
      let reason = "event stream ended";
      let error: unknown;
      try {
        await this.connectOnce();
      } catch (e) {
        if (e instanceof SchedulerError && e.status !== undefined && FATAL_SUBSCRIBE_STATUSES.has(e.status)) {
          this.host.fail(e);
          return;
        }
        error = e;
        reason = this.abortReason ?? describeError(e);
      }
      this.host.connectionClosed();
      this.abortReason = undefined;
      if (!this.host.running()) return;
      if (this.everSubscribedOnThisConnection) attempt = 0;
      const retryInMs = backoffDelay(attempt++, this.backoff, this.options.random);
      if (!this.host.tearingDown()) {
        this.log.warn?.(`disconnected from ${this.url} (${reason}); resubscribing in ${retryInMs} ms`);
        this.host.disconnected({ reason, error, attempt, retryInMs });
      }
      await this.sleep(retryInMs);
    }
  }

  /** One SUBSCRIBE connection; resolves when its stream ends. */
  private async connectOnce(): Promise<void> {
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
      const fwId = this.host.frameworkId();
      const info = { ...this.options.frameworkInfo, ...(fwId ? { id: { value: fwId } } : {}) };
      const call = {
        type: "SUBSCRIBE",
        ...(fwId ? { framework_id: { value: fwId } } : {}),
        subscribe: { framework_info: info, ...(this.options.suppressedRoles ? { suppressed_roles: this.options.suppressedRoles } : {}) },
      };
      // A compressed stream would sit in the compressor's buffer: ask for it uncompressed
      // (runtimes that forbid setting Accept-Encoding, like browsers, drop this silently).
      const headers = { ...this.host.headers(), "Accept-Encoding": "identity" };
      const response = await this.fetch(this.url, { method: "POST", headers, body: JSON.stringify(call), signal: controller.signal });
      if (!response.ok) throw await SchedulerError.fromResponse("SUBSCRIBE", response);
      if (!response.body) throw new SchedulerError("SUBSCRIBE answered without a body", "network");
      const streamId = response.headers.get("Mesos-Stream-Id") ?? undefined;
      if (!streamId) this.log.warn?.("SUBSCRIBE answered without a Mesos-Stream-Id header");
      const extensions = new Set(
        (response.headers.get(STRATA_EXTENSIONS_HEADER) ?? "")
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      );
      for await (const record of readRecords(response.body)) {
        this.receive(record, streamId, extensions); // may change the heartbeat interval (SUBSCRIBED)
        if (!this.host.running()) break;
        watchdog.arm(this.heartbeatTimeoutMs());
      }
    } finally {
      watchdog.clear();
      if (this.abort === controller) this.abort = undefined;
      controller.abort();
    }
  }

  private receive(record: string, streamId: string | undefined, extensions: ReadonlySet<string>): void {
    const event = parseSchedulerEvent(record, this.log);
    if (!event) return;
    if (event.type === "SUBSCRIBED") {
      this.heartbeatSeconds = event.subscribed.heartbeat_interval_seconds ?? DEFAULT_HEARTBEAT_SECONDS;
      this.everSubscribedOnThisConnection = true;
    }
    this.host.receive(event, streamId, extensions);
  }

  private heartbeatTimeoutMs(): number {
    return Math.ceil((this.options.missedHeartbeats ?? 3) * this.heartbeatSeconds * 1000);
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
