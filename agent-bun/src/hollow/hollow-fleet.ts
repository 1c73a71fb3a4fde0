/**
 * Hollow agents (`--hollow N`, like Kubernetes' kubemark): N simulated agents in one process,
 * for testing the master at thousands of agents on one machine. Each is the real agent core
 * (`Agent`: registration, long-poll loop, status update manager, agent token) with two
 * stand-ins: a `VolatileCheckpointStore` (no disk writes) and the `HollowContainerizer`
 * (tasks are timers). They share one master client, which bounds registrations in flight and
 * counts every call, and one logger: per-agent lines only at debug level, otherwise a summary
 * every few seconds.
 */
import type { PollRequest, PollResponse, RegisterRequest, RegisterResponse, StatusRequest, StatusResponse } from "../../../schemas/agent.ts";
import type { Attribute, Resource } from "../../../schemas/mesos.ts";
import { normalize, parseResources } from "../../../sdk/src/resources.ts";
import { Agent, type AgentDeps, type AgentInfo } from "../core/agent.ts";
import { StateStore, VolatileCheckpointStore } from "../state/checkpoint.ts";
import type { Clock } from "../system/clock.ts";
import { HollowContainerizer } from "./hollow-containerizer.ts";
import type { Logger } from "../system/log.ts";
import { MasterError, type MasterClient } from "../core/master-client.ts";
import { reexecWith } from "../system/reexec.ts";

/** Each hollow agent's resources unless `--resources` says otherwise: Mesos' benchmark agent. */
export const HOLLOW_RESOURCES = "cpus:2;mem:1024;disk:4096;ports:[31000-32000]";
/** Registrations in flight at once, so that a fleet starting up does not stampede the master. */
export const HOLLOW_REGISTER_CONCURRENCY = 200;
/**
 * Status update calls in flight at once. Without a bound a wave of task launches has every
 * agent sending at once, on top of its held poll: 2 sockets per agent, which runs a 10,000-agent
 * process into its open-file limit (and stampedes the master as registrations would).
 */
export const HOLLOW_STATUS_CONCURRENCY = 1_000;
/** How often the fleet logs its summary. */
export const HOLLOW_SUMMARY_INTERVAL_MS = 10_000;

/** The benchmark shape with `overrides` replacing entries of the same name (as `fingerprint`). */
export function hollowResources(overrides: readonly Resource[] = []): Resource[] {
  const overridden = new Set(overrides.map((r) => r.name));
  return normalize([...parseResources(HOLLOW_RESOURCES).filter((r) => !overridden.has(r.name)), ...overrides]);
}

/** Hostname of hollow agent `index`: `<hostname>-hollow-<index>`. */
export const hollowHostname = (hostname: string, index: number): string => `${hostname}-hollow-${index}`;

/** `attributes` plus `hollow:<index>` (SCALAR), unless `attributes` already names `hollow`. */
export function hollowAttributes(attributes: readonly Attribute[], index: number): Attribute[] {
  if (attributes.some((a) => a.name === "hollow")) return [...attributes];
  return [...attributes, { name: "hollow", type: "SCALAR", scalar: { value: index } }];
}

/** A counting semaphore whose waiters can give up (abort). */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max: number) {}

  get inUse(): number { return this.active; }
  get queued(): number { return this.waiting.length; }

  /** Resolves true once a slot is held (call `release` after), false when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = () => { signal?.removeEventListener("abort", giveUp); resolve(true); };
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
    if (next) next(); // the slot passes straight on
    else this.active--;
  }
}

type CallName = "register" | "poll" | "status";

/** Counters of one kind of call: in flight now, and answered since the last summary. */
class CallStats {
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
    private readonly inner: MasterClient, private readonly clock: Clock,
    registerConcurrency = HOLLOW_REGISTER_CONCURRENCY, statusConcurrency = HOLLOW_STATUS_CONCURRENCY,
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

/** What a fleet of hollow agents is made of. */
export interface HollowFleetOptions {
  count: number;
  /** How long each hollow task runs before it exits 0. */
  taskMs: number;
  /** The master (shared by all; the fleet wraps it to bound and count calls). */
  client: MasterClient;
  clock: Clock;
  /** The process's logger; hollow agents' own lines go to its debug level. */
  log: Logger;
  /** Whether per-agent lines are wanted (`--log-level debug`); they are dropped otherwise. */
  debug: boolean;
  /** Base hostname (`<hostname>-hollow-<i>`), port, resources and attributes of every agent. */
  info: AgentInfo;
  /** Only names sandboxes in the agents' bookkeeping: nothing is written there. */
  workDir: string;
  pollWaitSeconds: number;
  registerConcurrency?: number;
  statusConcurrency?: number;
  /** Summary every this many ms; 0 for none. */
  summaryIntervalMs?: number;
  /** Synthetic usage reports (`--hollow-usage-fraction`), shared by every agent; none when absent. */
  usage?: AgentDeps["usage"];
}

/** N hollow agents sharing one client, containerizer and logger. */
export class HollowFleet {
  readonly agents: Agent[] = [];
  readonly containerizer: HollowContainerizer;
  readonly client: CountingMasterClient;
  /** Warnings and errors the agents logged since the last summary, by message. */
  readonly agentWarnings = new Map<string, number>();
  private summaryTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly opts: HollowFleetOptions) {
    const { count, taskMs, clock, info } = opts;
    this.containerizer = new HollowContainerizer(taskMs, clock);
    this.client = new CountingMasterClient(opts.client, clock, opts.registerConcurrency, opts.statusConcurrency);
    for (let i = 0; i < count; i++) {
      this.agents.push(new Agent({
        client: this.client,
        store: new StateStore(new VolatileCheckpointStore()),
        containerizer: this.containerizer,
        clock,
        log: this.memberLogger(i),
        info: { ...info, hostname: hollowHostname(info.hostname, i), attributes: hollowAttributes(info.attributes, i) },
        workDir: opts.workDir,
        pollWaitSeconds: opts.pollWaitSeconds,
        backoffRandom: Math.random,
        ...(opts.usage ? { usage: opts.usage } : {}),
      }));
    }
  }

  /** Runs every agent until `stop()`; logs a summary periodically and once at the end. */
  async run(): Promise<void> {
    const every = this.opts.summaryIntervalMs ?? HOLLOW_SUMMARY_INTERVAL_MS;
    if (every > 0) {
      this.summaryTimer = setInterval(() => this.logSummary("hollow agents"), every);
      this.summaryTimer.unref?.();
    }
    try {
      await Promise.all(this.agents.map((a) => a.run()));
    } finally {
      clearInterval(this.summaryTimer);
      this.logSummary("hollow agents stopped");
    }
  }

  /** Stops every agent (their polls and retries end; their "tasks" simply stop mattering). */
  stop(): void {
    for (const a of this.agents) a.stop();
  }

  /** Agents registered right now. */
  get registered(): number {
    let n = 0;
    for (const a of this.agents) if (a.isRegistered) n++;
    return n;
  }

  /** The summary's fields; counters "since the last summary" are reset by this call. */
  summary(): Record<string, unknown> {
    const { register, poll, status } = this.client.calls;
    const t = this.containerizer.counts;
    const avg = (s: CallStats) => (s.ok > 0 ? Math.round(s.totalMs / s.ok) : undefined);
    const fields: Record<string, unknown> = {
      registered: `${this.registered}/${this.agents.length}`,
      registering: register.inFlight + this.client.registerSlots.queued,
      polls_in_flight: poll.inFlight,
      status_in_flight: status.inFlight,
      status_queued: this.client.statusSlots.queued,
      tasks_launched: t.launched, tasks_running: t.running, tasks_finished: t.finished, tasks_killed: t.killed,
      // Since the previous summary:
      polls_answered: poll.ok,
      registers: register.ok, register_ms_avg: avg(register), register_ms_max: register.ok ? register.maxMs : undefined,
      status_calls: status.ok, status_ms_avg: avg(status), status_ms_max: status.ok ? status.maxMs : undefined,
      errors: this.client.errors.size ? Object.fromEntries(this.client.errors) : undefined,
      agent_warnings: this.agentWarnings.size ? Object.fromEntries(this.agentWarnings) : undefined,
    };
    for (const s of [register, poll, status]) s.resetInterval();
    this.client.errors.clear();
    this.agentWarnings.clear();
    return fields;
  }

  private logSummary(msg: string): void {
    this.opts.log.info(msg, this.summary());
  }

  /** Agent `index`'s logger: counts its warnings and errors; its lines only at debug level. */
  private memberLogger(index: number): Logger {
    const { log, debug } = this.opts;
    const forward = debug ? (msg: string, fields?: Record<string, unknown>) => log.debug(msg, { hollow: index, ...fields }) : () => {};
    const count = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
      const kind = `${level}: ${msg}`;
      this.agentWarnings.set(kind, (this.agentWarnings.get(kind) ?? 0) + 1);
      forward(msg, fields);
    };
    return { debug: forward, info: forward, warn: count("warn"), error: count("error") };
  }
}

/** Bun's environment variable for how many `fetch` requests may be in flight at once. */
export const BUN_FETCH_LIMIT_ENV = "BUN_CONFIG_MAX_HTTP_REQUESTS";
/** Bun's default for it: requests beyond it wait in a queue. */
export const BUN_FETCH_LIMIT_DEFAULT = 256;

/** Requests in flight `count` hollow agents may need: a poll (or registration) each, the status calls, slack. */
export const fetchLimitFor = (count: number): number => Math.min(65_535, count + Math.min(count, HOLLOW_STATUS_CONCURRENCY) + 64);

/**
 * Bun sends at most 256 `fetch` requests at once (process-wide; the rest queue), a limit read
 * from `BUN_CONFIG_MAX_HTTP_REQUESTS` when the process starts (setting it in `process.env`
 * later has no effect). Thousands of long polls need more, so when it is not set and more are
 * needed this replaces the process (`execve`, same pid) with itself, the variable set, and does
 * not return. A value set by the user is kept (with a warning when it is too small). No-op under
 * Node, whose fetch has no such cap.
 */
export function ensureFetchLimit(count: number, log: Logger, env: NodeJS.ProcessEnv = process.env): void {
  if (!process.versions.bun) return;
  const need = fetchLimitFor(count);
  const given = env[BUN_FETCH_LIMIT_ENV];
  if (given !== undefined && given !== "") {
    if (!(Number(given) >= count)) {
      log.warn(`${BUN_FETCH_LIMIT_ENV}=${given} is below the number of hollow agents: their long polls will queue (wanted ${need})`);
    }
    return;
  }
  if (need <= BUN_FETCH_LIMIT_DEFAULT) return;
  log.debug(`re-executing with ${BUN_FETCH_LIMIT_ENV}=${need}`);
  if (!reexecWith({ [BUN_FETCH_LIMIT_ENV]: String(need) }, env)) {
    log.warn(`this Bun cannot re-execute itself: set ${BUN_FETCH_LIMIT_ENV}=${need}, or at most ${BUN_FETCH_LIMIT_DEFAULT} requests are sent at once and polls queue`);
  }
}
