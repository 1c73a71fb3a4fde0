/**
 * The `ClusterMaster` object's internal paths: what the Worker forwards (a POST to `/register`,
 * `/poll`, `/status`, `/files`, `/scheduler`, `/scheduler/rejected-accept`, `/operator`, a GET
 * to a read path, or a `/backup/…` call: backup-routes.ts) → the call to the core or a handler
 * → the response. It is HTTP in and out, so
 * it lives in edge/; what only the Durable Object owns (held polls, framework event streams) it
 * reaches through `ObjectServices`, which the shell implements.
 */
import type { FileAnswer, PollRequest, PollResponse, RegisterRequest, SchedulerCall, SchedulerEvent, StatusRequest } from "../../../schemas/index.ts";
import { STRATA_EXTENSIONS_HEADER } from "../../../schemas/scheduler.ts";
import type { FileRelay } from "../core/file-relay.ts";
import type { MasterCore } from "../core/master-core.ts";
import { sha256Hex, tokenHash } from "../model/digests.ts";
import { checkOperatorCall } from "../model/operator-access.ts";
import { isRejection, type Rejection } from "../model/rejection.ts";
import { operatorCall } from "../operator/dispatch.ts";
import { FILE_CALL_TYPES, fileCall, serveFilesGet } from "../operator/files-calls.ts";
import { serviceCounters } from "../read/metrics-snapshot.ts";
import type { OperatorStreams } from "../read/operator-stream.ts";
import { type BackupServices, serveBackup } from "./backup-routes.ts";
import { rejectionResponse } from "./http-error.ts";
import type { InternalRequest, RejectedAccept } from "./internal-request.ts";
import { learnOrigin } from "./master-origin.ts";
import { READ_PRINCIPAL_HEADER, serveOperatorRead, serveRead } from "./read-routes.ts";

/** What the routes call besides the core: the parts of the object that only the shell owns. */
export interface ObjectServices {
  core: MasterCore;
  /** Sandbox file requests relayed to agents (docs/files.md). */
  files: FileRelay;
  /** Operator API event streams (SUBSCRIBE). */
  operatorStreams: OperatorStreams;
  /** Backups, restores and bookmarks (backup-routes.ts). */
  backup: BackupServices;
  /** Answers an agent's poll, holding it while there is nothing to tell the agent. */
  poll(req: PollRequest): Promise<PollResponse | Rejection>;
  /**
   * Opens a framework's event stream with `events` written first; the body of SUBSCRIBE's answer.
   * `signal` (the request's) aborts when the client goes away.
   */
  openEventStream(frameworkId: string, streamId: string, events: readonly SchedulerEvent[], now: number, signal: AbortSignal): ReadableStream<Uint8Array>;
}

/** The response to a result of the core or a handler: a refusal's (http-error.ts), else `ok(result)`. */
function respond<T>(result: T | Rejection, ok: (value: T) => Response): Response {
  return isRejection(result) ? rejectionResponse(result) : ok(result);
}

/** Answers one request the Worker forwarded to the object (a thrown fault is the caller's to answer). */
export async function serveObjectRequest(services: ObjectServices, request: Request): Promise<Response> {
  const { core, files } = services;
  const url = new URL(request.url);
  const path = url.pathname;
  if (path.startsWith("/backup/")) {
    const answer = await serveBackup(services.backup, request, Date.now());
    if (answer) return answer;
  }
  const { requests } = serviceCounters(core);
  requests.set(path, (requests.get(path) ?? 0) + 1);
  const msg = request.method === "POST" ? ((await request.json()) as InternalRequest) : undefined;
  if (msg) learnOrigin(core, msg.origin);
  const read = msg ? undefined : serveRead(core, path, url.searchParams, request.headers.get(READ_PRINCIPAL_HEADER) ?? undefined, Date.now());
  const filesGet = msg || read ? undefined : serveFilesGet(core, files, path, url.searchParams, request.headers.get(READ_PRINCIPAL_HEADER) ?? undefined);
  return read ?? (filesGet && respond(await filesGet, (r) => r)) ?? (await route(services, path, msg, request.signal));
}

/** `signal` is the request's: it aborts when the client goes away (event streams listen to it). */
async function route(services: ObjectServices, path: string, msg: InternalRequest | undefined, signal: AbortSignal): Promise<Response> {
  const { core, files } = services;
  const now = Date.now();
  switch (path) {
    case "/register": {
      const req = msg!.body as RegisterRequest;
      const token = core.entropy.bytes16();
      const issued = { token, hash: await sha256Hex(token) };
      return respond(core.register(req, now, { presented: await tokenHash(req.agent_token), issued }), Response.json);
    }
    case "/poll":
      return respond(await services.poll(msg!.body as PollRequest), Response.json);
    case "/status": {
      const req = msg!.body as StatusRequest;
      return respond(core.status(req, now, await tokenHash(req.agent_token)), Response.json);
    }
    case "/files": {
      const req = msg!.body as FileAnswer;
      const refused = core.checkAgentToken(req.agent_id.value, await tokenHash(req.agent_token));
      return refused ? rejectionResponse(refused) : Response.json({ accepted: files.answer(req) });
    }
    case "/scheduler":
      return scheduler(services, msg!, signal);
    case "/scheduler/rejected-accept": {
      const { frameworkId, offerIds, rejection } = msg!.body as RejectedAccept;
      const { schedulerCalls } = serviceCounters(core);
      schedulerCalls.set("ACCEPT", (schedulerCalls.get("ACCEPT") ?? 0) + 1);
      return rejectionResponse(core.rejectedAccept(frameworkId, offerIds, msg!.principal, msg!.streamId ?? null, rejection, now));
    }
    case "/operator": {
      const denied = checkOperatorCall(core.acls, core.access, msg!.principal, (msg!.body as { type: string }).type);
      if (denied) return rejectionResponse(denied);
      if ((msg!.body as { type: string }).type === "SUBSCRIBE") {
        return services.operatorStreams.open(msg!.principal, signal);
      }
      if (FILE_CALL_TYPES.has((msg!.body as { type: string }).type)) {
        return respond(await fileCall(core, files, msg!.body as Record<string, unknown>, msg!.principal), Response.json);
      }
      const streamed = serveOperatorRead(core, (msg!.body as { type: string }).type, msg!.principal);
      if (streamed) return streamed;
      const answer = operatorCall(core, msg!.body, { now, ...(msg!.principal !== undefined ? { principal: msg!.principal } : {}) });
      return respond(answer, (a) => (a === undefined ? new Response(null, { status: 200 }) : Response.json(a)));
    }
    default:
      return new Response("not found\n", { status: 404 });
  }
}

/** A scheduler call: 202 once taken, or SUBSCRIBE's event stream (Mesos v1 Scheduler HTTP API). */
function scheduler(services: ObjectServices, msg: InternalRequest, signal: AbortSignal): Response {
  const { core } = services;
  const call = msg.body as SchedulerCall;
  const now = Date.now();
  const { schedulerCalls } = serviceCounters(core);
  schedulerCalls.set(call.type, (schedulerCalls.get(call.type) ?? 0) + 1);
  if (call.type !== "SUBSCRIBE") {
    const refused = core.call(call, msg.principal, msg.streamId ?? null, now);
    return refused ? rejectionResponse(refused) : new Response(null, { status: 202 });
  }
  const subscribed = core.subscribe(call, msg.principal, now);
  if (isRejection(subscribed)) return rejectionResponse(subscribed);
  const { frameworkId, streamId, events } = subscribed;
  return new Response(services.openEventStream(frameworkId, streamId, events, now, signal), {
    status: 200,
    headers: {
      "Content-Type": "application/json",
      "Mesos-Stream-Id": streamId,
      [STRATA_EXTENSIONS_HEADER]: "ACKNOWLEDGE_BATCH",
      "Cache-Control": "no-cache, no-transform",
      "Content-Encoding": "identity",
    },
  });
}
