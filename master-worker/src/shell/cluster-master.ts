/**
 * The `ClusterMaster` Durable Object: the one authoritative master. A thin shell around
 * `MasterCore`: it owns the SQLite store, the framework event streams (event-streams.ts), the agents' held
 * polls and the single alarm, and forwards every decision to the core. A refusal the core or a
 * handler returns becomes its response here (`rejectionResponse`); a thrown fault in `fetch`.
 */
import { DurableObject } from "cloudflare:workers";
import type { FileAnswer, MasterInfo, PollResponse, PollRequest, RegisterRequest, SchedulerCall, StatusRequest } from "../../../schemas/index.ts";
import { STRATA_EXTENSIONS_HEADER } from "../../../schemas/scheduler.ts";
import { PollHolds } from "./poll-holds.ts";
import { EventStreams } from "./event-streams.ts";
import { randomUuidBase64 } from "../../../sdk/src/base64.ts";
import { sha256Hex } from "../model/digests.ts";
import { type MasterConfig, readConfig } from "../model/config.ts";
import { errorResponse, rejectionResponse } from "../edge/http-error.ts";
import type { InternalRequest, RejectedAccept } from "../edge/internal-request.ts";
import { type Rejection, isRejection } from "../model/rejection.ts";
import { type Entropy, MasterCore, type Outbox } from "../core/master-core.ts";
import { operatorCall } from "../operator/dispatch.ts";
import { SqlStore } from "../store/sql-store.ts";
import { STRATA_VERSION as VERSION } from "../../../sdk/src/version.ts";
import { serviceCounters } from "../read/metrics-snapshot.ts";
import { OperatorStreams } from "../read/operator-stream.ts";
import { READ_PRINCIPAL_HEADER, serveOperatorRead, serveRead } from "../edge/read-routes.ts";
import { FileRelay } from "../core/file-relay.ts";
import { FILE_CALL_TYPES, fileCall, serveFilesGet } from "../operator/files-calls.ts";

/** The response to a result of the core or a handler: a refusal's (edge/http-error.ts), else `ok(result)`. */
function respond<T>(result: T | Rejection, ok: (value: T) => Response): Response {
  return isRejection(result) ? rejectionResponse(result) : ok(result);
}

const entropy: Entropy = {
  uuid: () => crypto.randomUUID(),
  bytes16: randomUuidBase64,
};

const tokenHash = (token: string | undefined) => (token === undefined ? Promise.resolve(undefined) : sha256Hex(token));

function ipv4ToInt(host: string): number {
  const parts = host.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return 0;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

/** The Durable Object class wrangler.toml binds as MASTER; one instance is the master. */
export class ClusterMaster extends DurableObject<Record<string, unknown>> {
  private readonly config: MasterConfig;
  private readonly core: MasterCore;
  private readonly streams: EventStreams;
  private readonly holds = new PollHolds();
  private alarmAt: number | undefined;
  /** Requests served since this instance started, by internal route (memory only). */
  private readonly requests: Map<string, number>;
  /** Scheduler calls served since this instance started, by call type (memory only). */
  private readonly schedulerCalls: Map<string, number>;
  /** Operator API event streams (SUBSCRIBE). */
  private readonly operatorStreams: OperatorStreams;
  /** Sandbox file requests relayed to agents (memory only; docs/files.md). */
  private readonly files = new FileRelay({ wake: (agentId) => this.wake(agentId) });

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env);
    this.config = readConfig(env);
    const masterInfo: MasterInfo = { id: crypto.randomUUID(), ip: 0, port: 0, version: VERSION };
    this.streams = new EventStreams({ heartbeatIntervalMs: this.config.heartbeatIntervalMs, broken: (fid, sid) => this.broken(fid, sid) });
    const outbox: Outbox = {
      send: (fid, event) => this.streams.write(fid, event),
      close: (fid, last) => this.streams.close(fid, last),
      wakeAgent: (agentId) => this.wake(agentId),
    };
    this.core = new MasterCore({ store: new SqlStore(ctx.storage), config: this.config, outbox, entropy, masterInfo, now: Date.now() });
    ({ requests: this.requests, schedulerCalls: this.schedulerCalls } = serviceCounters(this.core));
    this.operatorStreams = new OperatorStreams(this.core);
    ctx.blockConcurrencyWhile(async () => { this.alarmAt = (await ctx.storage.getAlarm()) ?? undefined; });
  }

  async fetch(request: Request): Promise<Response> {
    try {
      const url = new URL(request.url);
      const path = url.pathname;
      this.requests.set(path, (this.requests.get(path) ?? 0) + 1);
      const msg = request.method === "POST" ? (await request.json()) as InternalRequest : undefined;
      if (msg) this.learnOrigin(msg.origin);
      const read = msg ? undefined : serveRead(this.core, path, url.searchParams, request.headers.get(READ_PRINCIPAL_HEADER) ?? undefined, Date.now());
      const files = msg || read ? undefined : serveFilesGet(this.core, this.files, path, url.searchParams, request.headers.get(READ_PRINCIPAL_HEADER) ?? undefined);
      const response = read ?? (files && respond(await files, (r) => r)) ?? await this.route(path, msg);
      await this.schedule();
      return response;
    } catch (err) {
      await this.schedule().catch(() => undefined);
      return errorResponse(err);
    }
  }

  private async route(path: string, msg: InternalRequest | undefined): Promise<Response> {
    const now = Date.now();
    switch (path) {
      case "/register": {
        const req = msg!.body as RegisterRequest;
        const token = entropy.bytes16();
        const issued = { token, hash: await sha256Hex(token) };
        return respond(this.core.register(req, now, { presented: await tokenHash(req.agent_token), issued }), Response.json);
      }
      case "/poll": return respond(await this.poll(msg!.body as PollRequest), Response.json);
      case "/status": {
        const req = msg!.body as StatusRequest;
        return respond(this.core.status(req, now, await tokenHash(req.agent_token)), Response.json);
      }
      case "/files": {
        const req = msg!.body as FileAnswer;
        const refused = this.core.checkAgentToken(req.agent_id.value, await tokenHash(req.agent_token));
        return refused ? rejectionResponse(refused) : Response.json({ accepted: this.files.answer(req) });
      }
      case "/scheduler": return this.scheduler(msg!);
      case "/scheduler/rejected-accept": {
        const { frameworkId, offerIds, rejection } = msg!.body as RejectedAccept;
        this.schedulerCalls.set("ACCEPT", (this.schedulerCalls.get("ACCEPT") ?? 0) + 1);
        return rejectionResponse(this.core.rejectedAccept(frameworkId, offerIds, msg!.principal, msg!.streamId ?? null, rejection, now));
      }
      case "/operator": {
        if ((msg!.body as { type: string }).type === "SUBSCRIBE") {
          return this.operatorStreams.open(msg!.principal);
        }
        if (FILE_CALL_TYPES.has((msg!.body as { type: string }).type)) {
          return respond(await fileCall(this.core, this.files, msg!.body as Record<string, unknown>, msg!.principal), Response.json);
        }
        const streamed = serveOperatorRead(this.core, (msg!.body as { type: string }).type, msg!.principal);
        if (streamed) return streamed;
        const answer = operatorCall(this.core, msg!.body, { now, ...(msg!.principal !== undefined ? { principal: msg!.principal } : {}) });
        return respond(answer, (a) => (a === undefined ? new Response(null, { status: 200 }) : Response.json(a)));
      }
      default: return new Response("not found\n", { status: 404 });
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

  private learnOrigin(origin: string): void {
    if (this.core.masterInfo.port) return;
    const url = new URL(origin);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    this.core.masterInfo = {
      ...this.core.masterInfo, hostname: url.hostname, ip: ipv4ToInt(url.hostname), port,
      pid: `master@${url.hostname}:${port}`, address: { hostname: url.hostname, ip: url.hostname, port },
    };
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

  // ---- frameworks' event streams ----
  private scheduler(msg: InternalRequest): Response {
    const call = msg.body as SchedulerCall;
    const now = Date.now();
    this.schedulerCalls.set(call.type, (this.schedulerCalls.get(call.type) ?? 0) + 1);
    if (call.type !== "SUBSCRIBE") {
      const refused = this.core.call(call, msg.principal, msg.streamId ?? null, now);
      return refused ? rejectionResponse(refused) : new Response(null, { status: 202 });
    }
    const subscribed = this.core.subscribe(call, msg.principal, now);
    if (isRejection(subscribed)) return rejectionResponse(subscribed);
    const { frameworkId, streamId, events } = subscribed;
    return new Response(this.streams.open(frameworkId, streamId, events, now), {
      status: 200,
      headers: { "Content-Type": "application/json", "Mesos-Stream-Id": streamId, [STRATA_EXTENSIONS_HEADER]: "ACKNOWLEDGE_BATCH", "Cache-Control": "no-cache, no-transform", "Content-Encoding": "identity" },
    });
  }

  /** A framework's event stream broke (event-streams.ts): the core hears of it, the alarm follows. */
  private broken(frameworkId: string, streamId: string): void {
    this.core.disconnected(frameworkId, streamId, Date.now());
    this.schedule().catch(() => undefined);
  }
}
