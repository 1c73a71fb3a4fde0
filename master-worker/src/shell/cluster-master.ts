/**
 * The `ClusterMaster` Durable Object: the one authoritative master. A thin shell around
 * `MasterCore`: it owns the SQLite store, the framework event streams (event-streams.ts), the
 * agents' held polls (poll-holds.ts) and the single alarm, and hands every request to the
 * object's routes (edge/object-routes.ts), which call the core. A thrown fault becomes its
 * response here (`errorResponse`); a refusal, in the routes.
 */
import { DurableObject } from "cloudflare:workers";
import type { MasterInfo, PollRequest, PollResponse } from "../../../schemas/index.ts";
import { randomUuidBase64 } from "../../../sdk/src/base64.ts";
import { STRATA_VERSION as VERSION } from "../../../sdk/src/version.ts";
import { FileRelay } from "../core/file-relay.ts";
import { type Entropy, MasterCore, type Outbox } from "../core/master-core.ts";
import { errorResponse } from "../edge/http-error.ts";
import { type ObjectServices, serveObjectRequest } from "../edge/object-routes.ts";
import { type MasterConfig, readConfig } from "../model/config.ts";
import { tokenHash } from "../model/digests.ts";
import { isRejection, type Rejection } from "../model/rejection.ts";
import { OperatorStreams } from "../read/operator-stream.ts";
import { SqlStore } from "../store/sql-store.ts";
import { EventStreams } from "./event-streams.ts";
import { PollHolds } from "./poll-holds.ts";

const entropy: Entropy = {
  uuid: () => crypto.randomUUID(),
  bytes16: randomUuidBase64,
};

/** The Durable Object class wrangler.toml binds as MASTER; one instance is the master. */
export class ClusterMaster extends DurableObject<Record<string, unknown>> {
  private readonly config: MasterConfig;
  /** Replaced (with `operatorStreams`) when a backup is restored: a master loaded from the new rows. */
  private core: MasterCore;
  private readonly streams: EventStreams;
  private readonly holds = new PollHolds();
  private alarmAt: number | undefined;
  /** Operator API event streams (SUBSCRIBE). */
  private operatorStreams: OperatorStreams;
  private readonly masterInfo: MasterInfo;
  private readonly outbox: Outbox;
  /** Sandbox file requests relayed to agents (memory only; docs/files.md). */
  private readonly files = new FileRelay({ wake: (agentId) => this.wake(agentId) });
  /** What the object's routes call besides the core. */
  private readonly services: ObjectServices;

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env);
    this.config = readConfig(env);
    this.masterInfo = { id: crypto.randomUUID(), ip: 0, port: 0, version: VERSION };
    this.streams = new EventStreams({ heartbeatIntervalMs: this.config.heartbeatIntervalMs, broken: (fid, sid) => this.broken(fid, sid) });
    this.outbox = {
      send: (fid, event) => this.streams.write(fid, event),
      close: (fid, last) => this.streams.close(fid, last),
      wakeAgent: (agentId) => this.wake(agentId),
    };
    this.core = this.loadCore();
    this.operatorStreams = new OperatorStreams(this.core);
    this.services = {
      core: this.core,
      files: this.files,
      operatorStreams: this.operatorStreams,
      poll: (req) => this.poll(req),
      openEventStream: (fid, sid, events, now, signal) => this.streams.open(fid, sid, events, now, signal),
      backup: {
        storage: ctx.storage,
        objectId: ctx.id.toString(),
        loadMaster: () => {
          const core = this.loadCore();
          return () => this.install(core);
        },
        // After the answer is on its way: abort() ends every request of this session.
        restart: () => setTimeout(() => ctx.abort("restoring a point-in-time bookmark"), 50),
      },
    };
    ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = (await ctx.storage.getAlarm()) ?? undefined;
    });
  }

  /** A master loaded from the storage's rows as they are now. */
  private loadCore(): MasterCore {
    return new MasterCore({
      store: new SqlStore(this.ctx.storage),
      config: this.config,
      outbox: this.outbox,
      entropy,
      masterInfo: this.masterInfo,
      now: Date.now(),
    });
  }

  /**
   * Puts `core` (loaded from a restored backup) in service. The master it replaces was empty (a
   * restore is refused otherwise), so no framework stream or agent poll belongs to it.
   */
  private install(core: MasterCore): void {
    this.core = core;
    this.operatorStreams = new OperatorStreams(core);
    this.services.core = core;
    this.services.operatorStreams = this.operatorStreams;
    this.alarmAt = undefined;
  }

  async fetch(request: Request): Promise<Response> {
    try {
      const response = await serveObjectRequest(this.services, request);
      await this.schedule();
      return response;
    } catch (err) {
      await this.schedule().catch(() => undefined);
      return errorResponse(err);
    }
  }

  async alarm(): Promise<void> {
    this.alarmAt = undefined;
    this.core.tick(Date.now());
    await this.schedule();
  }

  /** Keeps the one alarm at the earliest deadline the core reports. */
  private async schedule(): Promise<void> {
    const now = Date.now();
    const next = this.core.nextDeadline(now);
    if (next === undefined) return;
    if (this.alarmAt !== undefined && this.alarmAt <= next && this.alarmAt > now - 1000) return;
    const at = Math.max(next, now);
    await this.ctx.storage.setAlarm(at);
    this.alarmAt = at;
  }

  // ---- agents' long polls ----
  private async poll(req: PollRequest): Promise<PollResponse | Rejection> {
    const agentId = req.agent_id.value;
    const now = Date.now();
    // A new poll from the same agent ends any older one still held.
    this.holds.wake(agentId);
    const answer = this.core.poll(req, now, await tokenHash(req.agent_token));
    if (isRejection(answer)) return answer;
    if (answer) return this.withFiles(agentId, answer);
    if (this.files.hasWaiting(agentId)) return this.withFiles(agentId, this.core.pending(agentId, req.ack_seq));
    const holdMs = Math.min(req.wait_seconds !== undefined ? req.wait_seconds * 1000 : this.config.pollHoldMs, this.config.pollHoldMs);
    this.core.pollHeld(agentId, 1, now);
    // This poll may have made the agent active again: allocation must not wait for the hold.
    await this.schedule();
    try {
      // A file request may have come during the await above: then the poll must not be held.
      if (!this.files.hasWaiting(agentId)) await this.holds.hold(agentId, holdMs);
    } finally {
      this.core.pollHeld(agentId, -1, Date.now());
    }
    if (!this.core.agents.has(agentId)) return { commands: [], acks: [], reregister: true };
    return this.withFiles(agentId, this.core.pending(agentId, req.ack_seq));
  }

  /** Adds the file requests waiting for the agent to a poll's answer (docs/files.md). */
  private withFiles(agentId: string, answer: PollResponse): PollResponse {
    if (answer.reregister) return answer;
    const fileRequests = this.files.take(agentId);
    return fileRequests.length ? { ...answer, file_requests: fileRequests } : answer;
  }

  private wake(agentId: string): void {
    this.holds.wake(agentId);
  }

  /** A framework's event stream broke (event-streams.ts): the core hears of it, the alarm follows. */
  private broken(frameworkId: string, streamId: string): void {
    this.core.disconnected(frameworkId, streamId, Date.now());
    this.schedule().catch(() => undefined);
  }
}
