/**
 * The agent's side of the agent protocol (schemas/agent.ts): three JSON POSTs to the master.
 * Responses are validated with schemas/agent-wire.ts (the same schemas in `zod/mini`, which
 * keeps classic zod out of the agent binary); every failure becomes a `MasterError`.
 */

import type { z } from "zod/mini";
import type { FileAnswer, FileAnswerResponse, PollRequest, RegisterRequest, RegisterResponse, StatusRequest, StatusResponse } from "../../../schemas/agent.ts";
import { MAX_POLL_HOLD_SECONDS } from "../../../schemas/agent-limits.ts";
import type { PollAnswer } from "../../../schemas/agent-wire.ts";
import * as wire from "../../../schemas/agent-wire.ts";
import { parseMessage } from "../../../schemas/parse.ts";

/** Talking to the master; `HttpMasterClient` is the real one, tests use fakes. */
export interface MasterClient {
  register(req: RegisterRequest, signal?: AbortSignal): Promise<RegisterResponse>;
  /**
   * Long-poll: may be held by the master up to `req.wait_seconds`. A malformed file request in
   * the answer is left out, in `refused_file_requests` (agent-wire.ts `parsePollAnswer`).
   */
  poll(req: PollRequest, signal?: AbortSignal): Promise<PollAnswer>;
  status(req: StatusRequest, signal?: AbortSignal): Promise<StatusResponse>;
  /** Answers a sandbox file request (files.ts); optional so that fakes without it still fit. */
  files?(answer: FileAnswer, signal?: AbortSignal): Promise<FileAnswerResponse>;
}

/** A failed call. `status` is the HTTP status, or undefined when no answer came (network). */
export class MasterError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "MasterError";
  }

  /** True when the master says it does not know this agent (register again). */
  get unknownAgent(): boolean {
    return this.status === 404;
  }

  /** The master says this agent was marked gone (MARK_AGENT_GONE): it may never rejoin under its id. */
  get agentGone(): boolean {
    return this.status === 410;
  }
}

/** Extra seconds a poll may take beyond what the master may hold it. */
const POLL_MARGIN_S = 15;
/** Limit for register and status calls. */
const CALL_TIMEOUT_S = 30;

/** The master over HTTP(S) with `fetch`. */
export class HttpMasterClient implements MasterClient {
  constructor(
    private readonly baseUrl: string,
    private readonly joinToken: string,
  ) {}

  register(req: RegisterRequest, signal?: AbortSignal): Promise<RegisterResponse> {
    return this.call("/agent/v1/register", req, schemaOf(wire.RegisterResponse), CALL_TIMEOUT_S, signal);
  }

  poll(req: PollRequest, signal?: AbortSignal): Promise<PollAnswer> {
    const hold = Math.min(req.wait_seconds ?? MAX_POLL_HOLD_SECONDS, MAX_POLL_HOLD_SECONDS);
    return this.call("/agent/v1/poll", req, wire.parsePollAnswer, hold + POLL_MARGIN_S, signal);
  }

  status(req: StatusRequest, signal?: AbortSignal): Promise<StatusResponse> {
    return this.call("/agent/v1/status", req, schemaOf(wire.StatusResponse), CALL_TIMEOUT_S, signal);
  }

  files(answer: FileAnswer, signal?: AbortSignal): Promise<FileAnswerResponse> {
    return this.call("/agent/v1/files", answer, schemaOf(wire.FileAnswerResponse), CALL_TIMEOUT_S, signal);
  }

  /** POSTs `body` to `path` and returns the answer through `parse` (which throws `ValidationError`). */
  private async call<T>(path: string, body: unknown, parse: (raw: unknown) => T, timeoutS: number, signal?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(timeoutS * 1000);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.joinToken}` },
        body: JSON.stringify(body),
        signal: combined,
        // Bun: no client-side idle timeout of its own on long polls (ignored by Node).
        ...({ timeout: false } as object),
      });
    } catch (e) {
      throw new MasterError(`POST ${path}: ${networkText(e)}`);
    }
    const text = await res.text().catch(() => "");
    if (!res.ok) {
      // The master's error bodies are plain text ending in a newline: keep log lines on one line.
      let detail = text.slice(0, 300).trim();
      try {
        detail = (JSON.parse(text) as { message?: string }).message?.trim() ?? detail;
      } catch {
        /* not JSON */
      }
      throw new MasterError(`POST ${path}: HTTP ${res.status}${detail ? `: ${detail}` : ""}`, res.status);
    }
    try {
      return parse(JSON.parse(text));
    } catch (e) {
      throw new MasterError(`POST ${path}: bad response: ${(e as Error).message}`, res.status);
    }
  }
}

/** An answer's parser from its wire schema. */
const schemaOf =
  <S extends typeof wire.RegisterResponse | typeof wire.StatusResponse | typeof wire.FileAnswerResponse>(schema: S) =>
  (raw: unknown): z.output<S> =>
    parseMessage(schema, raw, "response");

function networkText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e.name === "TimeoutError") return "timed out";
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? e.message;
}
