/**
 * Hollow agents (`--hollow N`, like Kubernetes' kubemark): N simulated agents in one process,
 * for testing the master at thousands of agents on one machine. Each is the real agent core
 * (`Agent`: registration, long-poll loop, status update manager, agent token) with two
 * stand-ins: a `VolatileCheckpointStore` (no disk writes) and the `HollowContainerizer`
 * (tasks are timers). They share one master client, which bounds registrations in flight and
 * counts every call, and one logger: per-agent lines only at debug level, otherwise a summary
 * every few seconds.
 */
import type { Attribute, Resource } from "../../../schemas/mesos.ts";
import { normalize, parseResources } from "../../../sdk/src/resources.ts";
import { Agent, type AgentDeps, type AgentInfo } from "../core/agent.ts";
import type { MasterClient } from "../core/master-client.ts";
import { StateStore, VolatileCheckpointStore } from "../state/checkpoint.ts";
import type { Clock } from "../system/clock.ts";
import type { Logger } from "../system/log.ts";
import { type CallStats, CountingMasterClient } from "./counting-master-client.ts";
import { HollowContainerizer } from "./hollow-containerizer.ts";

/** Each hollow agent's resources unless `--resources` says otherwise: Mesos' benchmark agent. */
export const HOLLOW_RESOURCES = "cpus:2;mem:1024;disk:4096;ports:[31000-32000]";
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
      this.agents.push(
        new Agent({
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
        }),
      );
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
      tasks_launched: t.launched,
      tasks_running: t.running,
      tasks_finished: t.finished,
      tasks_killed: t.killed,
      // Since the previous summary:
      polls_answered: poll.ok,
      registers: register.ok,
      register_ms_avg: avg(register),
      register_ms_max: register.ok ? register.maxMs : undefined,
      status_calls: status.ok,
      status_ms_avg: avg(status),
      status_ms_max: status.ok ? status.maxMs : undefined,
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
