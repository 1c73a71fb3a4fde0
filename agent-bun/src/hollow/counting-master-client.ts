/**
 * The master client a fleet of hollow agents shares (hollow-fleet.ts): it bounds the
 * registrations and status calls in flight and counts every call, for the fleet's summary.
 */
import type { PollRequest, PollResponse, RegisterRequest, RegisterResponse, StatusRequest, StatusResponse } from "../../../schemas/agent.ts";
import { type MasterClient, MasterError } from "../core/master-client.ts";
import type { Clock } from "../system/clock.ts";

/** Registrations in flight at once, so that a fleet starting up does not stampede the master. */
export const HOLLOW_REGISTER_CONCURRENCY = 200;
/**
 * Status update calls in flight at once. Without a bound a wave of task launches has every
 * agent sending at once, on top of its held poll: 2 sockets per agent, which runs a 10,000-agent
 * process into its open-file limit (and stampedes the master as registrations would).
 */
export const HOLLOW_STATUS_CONCURRENCY = 1_000;
/** A counting semaphore whose waiters can give up (abort). */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max: number) {}

  get inUse(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves true once a slot is held (call `release` after), false when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = () => {
        signal?.removeEventListener("abort", giveUp);
        resolve(true);
      };
      const giveUp = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(false);
      };
      this.waiting.push(grant);
      signal?.addEventListener("abort", giveUp, { once: true });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the slot passes straight on
    else this.active--;
  }
}

type CallName = "register" | "poll" | "status";

/** Counters of one kind of call: in flight now, and answered since the last summary. */
export class CallStats {
  inFlight = 0;
  ok = 0;
  failed = 0;
  totalMs = 0;
  maxMs = 0;

  resetInterval(): void {
    this.ok = 0;
    this.failed = 0;
    this.totalMs = 0;
    this.maxMs = 0;
  }
}

/** A short name for what went wrong with a call (`HTTP 503: <start of the answer>`, `ECONNRESET`…), to count errors by kind. */
export function errorKind(e: unknown): string {
  const text = (e instanceof Error ? e.message : String(e)).replace(/^POST \S+: /, "");
  if (e instanceof MasterError && e.status !== undefined && e.status >= 400) return text.slice(0, 60);
  return (/^[A-Z][A-Z_]+\b/.exec(text)?.[0] ?? text).slice(0, 60);
}

/**
 * The master client every hollow agent shares: registrations wait for one of a bounded number
 * of slots; every call is counted (in flight, answered, failed by kind, latency).
 */
export class CountingMasterClient implements MasterClient {
  readonly calls: Record<CallName, CallStats> = { register: new CallStats(), poll: new CallStats(), status: new CallStats() };
  /** Failed calls since the last summary, by `<call> <kind>`. */
  readonly errors = new Map<string, number>();
  readonly registerSlots: Limiter;
  readonly statusSlots: Limiter;

  constructor(
    private readonly inner: MasterClient,
    private readonly clock: Clock,
    registerConcurrency = HOLLOW_REGISTER_CONCURRENCY,
    statusConcurrency = HOLLOW_STATUS_CONCURRENCY,
  ) {
    this.registerSlots = new Limiter(registerConcurrency);
    this.statusSlots = new Limiter(statusConcurrency);
  }

  register(req: RegisterRequest, signal?: AbortSignal): Promise<RegisterResponse> {
    return this.limited(this.registerSlots, "register", () => this.inner.register(req, signal), signal);
  }

  poll(req: PollRequest, signal?: AbortSignal): Promise<PollResponse> {
    return this.track("poll", () => this.inner.poll(req, signal), signal);
  }

  status(req: StatusRequest, signal?: AbortSignal): Promise<StatusResponse> {
    return this.limited(this.statusSlots, "status", () => this.inner.status(req, signal), signal);
  }

  private async limited<T>(slots: Limiter, name: CallName, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!(await slots.acquire(signal))) throw new MasterError(`${name}: aborted`);
    try {
      return await this.track(name, call, signal);
    } finally {
      slots.release();
    }
  }

  private async track<T>(name: CallName, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const s = this.calls[name];
    const start = this.clock.now();
    s.inFlight++;
    try {
      const res = await call();
      const ms = this.clock.now() - start;
      s.ok++;
      s.totalMs += ms;
      s.maxMs = Math.max(s.maxMs, ms);
      return res;
    } catch (e) {
      if (!signal?.aborted) {
        s.failed++;
        const kind = `${name} ${errorKind(e)}`;
        this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
      }
      throw e;
    } finally {
      s.inFlight--;
    }
  }
}
