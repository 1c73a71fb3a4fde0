/**
 * The agent's main loop: recover from the checkpoint, register (again) with the master, then
 * long-poll for commands forever, riding through master restarts and network failures with
 * backoff. Commands go to the TaskManager, acknowledgements to the StatusUpdateManager.
 */

import type { RegisterRequest } from "../../../schemas/agent.ts";
import { Backoff } from "../../../sdk/src/backoff.ts";
import type { Containerizer } from "../containerizers/containerizer.ts";
import type { TaskFetcher } from "../fetcher/fetcher.ts";
import type { HealthProber } from "../health/health-probes.ts";
import type { DiskWatch } from "../isolation/disk-watch.ts";
import { sandboxPath } from "../sandbox/paths.ts";
import { SandboxGc, type SandboxGcDeps } from "../sandbox/sandbox-gc.ts";
import type { StateStore } from "../state/checkpoint.ts";
import type { Clock } from "../system/clock.ts";
import { errorText, type Logger } from "../system/log.ts";
import { FileServer } from "./files.ts";
import { type MasterClient, MasterError } from "./master-client.ts";
import { StatusUpdateManager } from "./status-updates.ts";
import { type RecoverMode, TaskManager } from "./task-manager.ts";
import { UsageReporter, type UsageSampler } from "./usage.ts";

/** What the agent tells the master about itself: the self-description part of a registration. */
export type AgentInfo = Pick<RegisterRequest, "hostname" | "ip" | "port" | "resources" | "attributes" | "version">;

/** The agent's collaborators; every side effect is one of these. */
export interface AgentDeps {
  client: MasterClient;
  store: StateStore;
  containerizer: Containerizer;
  clock: Clock;
  log: Logger;
  info: AgentInfo;
  workDir: string;
  /** `wait_seconds` sent with each poll. */
  pollWaitSeconds: number;
  newUuid?: () => string;
  /**
   * Jitter for retry delays (registration, polls, status updates): without it each delay is
   * exact, as one agent per host wants; hollow agents pass `Math.random` so that thousands of
   * them in one process do not retry in lockstep.
   */
  backoffRandom?: () => number;
  /** `--recover`: what to do with the previous run's tasks (default `reconnect`). */
  recover?: RecoverMode;
  /** Usage reports (docs/oversubscription.md): how to measure tasks and how often; none when absent. */
  usage?: { sampler: UsageSampler; intervalMs: number };
  /** Runs tasks' health checks (health-probes.ts); without it (hollow agents) none are run. */
  healthProber?: HealthProber;
  /** Fetches tasks' `command.uris` (fetcher.ts); without one they are ignored. */
  fetcher?: TaskFetcher;
  /** Watches sandboxes of tasks with a disk resource (disk-watch.ts); without it disk is not limited. */
  diskWatch?: DiskWatch;
  /** Garbage collection of finished tasks' sandboxes (sandbox-gc.ts); none when absent (hollow agents). */
  gc?: Pick<SandboxGcDeps, "delayMs" | "diskHeadroom" | "diskWatchIntervalMs" | "diskUsage">;
}

/** Registration retry delays: 0.5 s doubling to 10 s, forever. */
export const REGISTER_BACKOFF: [number, number] = [500, 10_000];
/** Poll retry delays after a network error or 5xx: 0.5 s doubling to 5 s, forever. */
export const POLL_BACKOFF: [number, number] = [500, 5_000];

/** One agent process. `run()` resolves after `stop()`. */
export class Agent {
  readonly updates: StatusUpdateManager;
  readonly tasks: TaskManager;
  readonly usage: UsageReporter | undefined;
  /** Answers operators' sandbox file requests (docs/files.md). */
  readonly files: FileServer;
  /** Removes old sandboxes (sandbox-gc.ts), when configured. */
  readonly gc: SandboxGc | undefined;
  private readonly stopping = new AbortController();
  private readonly pollBackoff: Backoff;
  private registered = false;
  /**
   * The master instance last heard from (registration's `master_info.id`, polls' `master_id`).
   * A new instance keeps none of this agent's unacknowledged updates: they are sent again.
   */
  private masterId: string | undefined;

  constructor(private readonly deps: AgentDeps) {
    this.pollBackoff = new Backoff(...POLL_BACKOFF, deps.backoffRandom);
    this.updates = new StatusUpdateManager({
      store: deps.store,
      client: deps.client,
      clock: deps.clock,
      log: deps.log,
      newUuid: deps.newUuid,
      backoffRandom: deps.backoffRandom,
      onAcknowledged: (u) => this.tasks.onAcknowledged(u),
    });
    this.tasks = new TaskManager({
      store: deps.store,
      updates: this.updates,
      containerizer: deps.containerizer,
      log: deps.log,
      workDir: deps.workDir,
      ...(deps.healthProber ? { health: { clock: deps.clock, prober: deps.healthProber } } : {}),
      fetcher: deps.fetcher,
      recover: deps.recover,
      ...(deps.diskWatch ? { diskWatch: deps.diskWatch } : {}),
      onForgotten: (sandbox) => this.gc?.schedule(sandbox),
    });
    this.gc =
      deps.gc &&
      new SandboxGc({
        ...deps.gc,
        workDir: deps.workDir,
        clock: deps.clock,
        log: deps.log,
        live: () => new Set(Object.values(deps.store.state.tasks).map((r) => r.sandbox ?? sandboxPath(deps.workDir, r.framework_id, r.task_id))),
      });
    this.files = new FileServer({ workDir: deps.workDir, client: deps.client, log: deps.log });
    this.usage = deps.usage && new UsageReporter({ ...deps.usage, clock: deps.clock, running: () => this.tasks.running() });
  }

  /** True once registered (and until the master forgets this agent). */
  get isRegistered(): boolean {
    return this.registered;
  }

  /** Recovers, registers, polls until stopped. Never throws for master or network trouble. */
  async run(): Promise<void> {
    await this.tasks.recover();
    this.updates.start();
    this.gc?.start();
    try {
      while (!this.stopped) {
        if (!this.registered) await this.register();
        else await this.pollOnce();
      }
    } finally {
      await this.gc?.stop();
      await this.updates.stop();
    }
  }

  /** Why the agent stopped by itself (the master marked it gone), for the process's exit; undefined otherwise. */
  fatal: string | undefined;

  /** The master refused this agent for good (410): stop, saying what to do. */
  private gone(e: MasterError): void {
    this.fatal = `the master marked this agent gone (${e.message}); its tasks were shut down. To join again as a new agent, start it with an empty work directory.`;
    this.deps.log.error("agent marked gone by an operator; stopping", { error: errorText(e) });
    this.stop();
  }

  /** Stops polling and retrying; running tasks are left alone, state stays checkpointed. */
  stop(): void {
    this.stopping.abort();
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Registers (re-registers with the checkpointed id when there is one), retrying forever. */
  async register(): Promise<void> {
    const { client, store, log, clock, info } = this.deps;
    const backoff = new Backoff(...REGISTER_BACKOFF, this.deps.backoffRandom);
    while (!this.stopped) {
      const known = store.state.agent_id;
      const req: RegisterRequest = {
        ...(known ? { agent_id: { value: known }, ...(store.state.agent_token ? { agent_token: store.state.agent_token } : {}) } : {}),
        hostname: info.hostname,
        ...(info.ip ? { ip: info.ip } : {}),
        port: info.port,
        resources: info.resources,
        attributes: info.attributes,
        ...(info.version ? { version: info.version } : {}),
        tasks: this.tasks.reports(),
      };
      try {
        // What the registration reports (task states) is on disk first.
        await store.flush();
        const res = await client.register(req, this.stopping.signal);
        if (res.agent_id.value !== known) {
          if (known) log.warn("master assigned a new agent id", { old: known, agent_id: res.agent_id.value });
          store.state.last_seq = 0; // commands are numbered per agent id
        }
        store.state.agent_id = res.agent_id.value;
        store.state.agent_token = res.agent_token;
        store.changed();
        await store.flush();
        this.registered = true;
        this.masterId = res.master_info.id;
        this.pollBackoff.reset();
        log.info(known ? "re-registered with the master" : "registered with the master", { agent_id: res.agent_id.value, tasks: req.tasks.length });
        this.updates.setOnline();
        return;
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof MasterError && e.agentGone) return this.gone(e);
        if (known && e instanceof MasterError && e.unknownAgent) {
          this.forget("master does not know the checkpointed agent id");
          continue;
        }
        if (known && e instanceof MasterError && e.status === 401 && store.state.agent_token === undefined) {
          // Checkpointed before agent tokens: the id cannot be proven, so start afresh.
          this.forget("the checkpointed agent id has no agent token");
          continue;
        }
        const delay = backoff.next();
        log.warn("registration failed; retrying", { error: errorText(e), retry_ms: delay });
        await clock.sleep(delay, this.stopping.signal);
      }
    }
  }

  /** One long-poll: apply its commands in seq order and its acknowledgements. */
  async pollOnce(): Promise<void> {
    const { client, store, log, clock, pollWaitSeconds } = this.deps;
    const agentId = store.state.agent_id;
    if (!agentId) {
      this.registered = false;
      return;
    }
    const ackSeq = store.state.last_seq;
    const acked = this.updates.ackedForPoll();
    try {
      // ack_seq and acked_uuids only report what is on disk: every command's effect up to
      // ack_seq, and the forgetting of every acknowledged update.
      await store.flush();
    } catch (e) {
      const delay = this.pollBackoff.next();
      log.error("cannot checkpoint the agent state; retrying", { error: errorText(e), retry_ms: delay });
      await clock.sleep(delay, this.stopping.signal);
      return;
    }
    const usage = this.usage?.due();
    let res: Awaited<ReturnType<MasterClient["poll"]>>;
    try {
      res = await client.poll(
        {
          agent_id: { value: agentId },
          ...(store.state.agent_token ? { agent_token: store.state.agent_token } : {}),
          ack_seq: ackSeq,
          acked_uuids: acked,
          wait_seconds: this.usage?.pollWait(pollWaitSeconds) ?? pollWaitSeconds,
          ...(this.masterId ? { master_id: this.masterId } : {}),
          ...(usage ? { usage } : {}),
        },
        this.stopping.signal,
      );
    } catch (e) {
      if (this.stopped) return;
      if (e instanceof MasterError && e.agentGone) return this.gone(e);
      if (e instanceof MasterError && e.unknownAgent) return this.forget("master answered 404 to a poll");
      if (e instanceof MasterError && e.status === 401) {
        // The master no longer accepts this agent's token: register again (same id, with it).
        log.warn("the master refused the poll's credentials; registering again", { error: errorText(e) });
        this.registered = false;
        this.updates.setOffline();
        await clock.sleep(this.pollBackoff.next(), this.stopping.signal);
        return;
      }
      const delay = this.pollBackoff.next();
      log.warn("poll failed; retrying", { error: errorText(e), retry_ms: delay });
      await clock.sleep(delay, this.stopping.signal);
      return;
    }
    this.pollBackoff.reset();
    if (usage) this.usage!.delivered();
    if (res.reregister) {
      // Register again under the same id, reporting every task: a master that had marked this
      // agent unreachable learns what runs here; one that no longer knows the id answers 404
      // and the agent then registers afresh (see `register`).
      log.warn("master asked this agent to register again", { agent_id: agentId });
      this.registered = false;
      this.updates.setOffline();
      this.usage?.resend(); // the master may have dropped what it knew of this agent
      return;
    }
    if (res.master_id !== undefined && res.master_id !== this.masterId) {
      if (this.masterId !== undefined) {
        log.info("a new master instance answers; sending unacknowledged status updates again", {
          master_id: res.master_id,
          pending: this.updates.pending().length,
        });
        this.updates.setOnline(); // re-sends everything pending, now
        this.usage?.resend(); // and usage: the new instance has none
      }
      this.masterId = res.master_id;
    }
    this.updates.confirmReported(acked);
    // Acknowledgements first: they may release a finished task's record, so that a LAUNCH in
    // the same answer reusing its id is not mistaken for a duplicate.
    this.updates.acknowledge(res.acks.map((a) => a.uuid));
    for (const cmd of [...res.commands].sort((a, b) => a.seq - b.seq)) {
      try {
        this.tasks.handle(cmd);
      } catch (e) {
        log.error("cannot apply command", { seq: cmd.seq, type: cmd.type, error: errorText(e) });
      }
    }
    if (res.file_requests?.length) this.files.serve(res.file_requests, agentId, store.state.agent_token);
    if (res.refused_file_requests?.length) this.files.refuse(res.refused_file_requests, agentId, store.state.agent_token);
  }

  /** The master forgot this agent: register afresh, keeping tasks and pending updates. */
  private forget(why: string): void {
    const { store, log } = this.deps;
    log.warn(`${why}; registering again as a new agent`, { old_agent_id: store.state.agent_id });
    store.state.agent_id = undefined;
    store.state.agent_token = undefined;
    store.state.last_seq = 0;
    store.state.acked_uuids = [];
    store.changed();
    this.registered = false;
    this.updates.setOffline();
    this.usage?.resend();
  }
}
