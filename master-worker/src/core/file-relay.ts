/**
 * The master's relay of sandbox file requests to agents (docs/files.md). Agents make only
 * outbound requests, so the master cannot call them: it queues the operator's request for the
 * agent, wakes the agent's held poll (which carries it out in `file_requests`), and holds the
 * operator's HTTP request until the agent posts the answer to `/agent/v1/files`, or a timeout
 * (then the request settles with a `Rejection`, as it does when the agent has too many).
 *
 * Memory only, as nothing here is worth a write: a master that restarts forgets the requests in
 * flight (their operators' connections broke with it) and answers a late agent `accepted: false`.
 */
import type { FileAnswer, FileRequest } from "../../../schemas/agent.ts";
import { type Rejection, reject } from "../model/rejection.ts";

/** How long an operator's file request waits for the agent's answer. */
export const FILE_RELAY_TIMEOUT_MS = 10_000;
/** File requests one agent may have in flight; more are refused as `busy` (a slow or stuck agent). */
export const FILE_RELAY_MAX_PER_AGENT = 32;

interface InFlight {
  agentId: string;
  request: FileRequest;
  delivered: boolean;
  resolve: (a: FileAnswer | Rejection) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** What the relay needs from its host (the Durable Object, or a test). */
export interface FileRelayOptions {
  /** Ends the agent's held poll so that it takes its file requests at once. */
  wake: (agentId: string) => void;
  timeoutMs?: number;
  maxPerAgent?: number;
  newId?: () => string;
}

/** Requests in flight, by request id; see the file comment. */
export class FileRelay {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly timeoutMs: number;
  private readonly maxPerAgent: number;
  private readonly newId: () => string;

  constructor(private readonly opts: FileRelayOptions) {
    this.timeoutMs = opts.timeoutMs ?? FILE_RELAY_TIMEOUT_MS;
    this.maxPerAgent = opts.maxPerAgent ?? FILE_RELAY_MAX_PER_AGENT;
    this.newId = opts.newId ?? (() => crypto.randomUUID());
  }

  /** Requests in flight (queued or handed out). */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Queues `request` for `agentId` and resolves with the agent's answer; with a `timeout`
   * refusal after the timeout, or a `busy` one when the agent has too many requests in flight.
   */
  request(agentId: string, request: Omit<FileRequest, "request_id">): Promise<FileAnswer | Rejection> {
    const mine = [...this.inFlight.values()].filter((f) => f.agentId === agentId).length;
    if (mine >= this.maxPerAgent) {
      return Promise.resolve(reject("busy", undefined, `agent '${agentId}' has ${mine} file requests in flight already; try again later`));
    }
    const requestId = this.newId();
    const answer = new Promise<FileAnswer | Rejection>((resolve) => {
      const timer = setTimeout(() => {
        this.inFlight.delete(requestId);
        const seconds = this.timeoutMs / 1000;
        resolve(
          reject(
            "timeout",
            undefined,
            `agent '${agentId}' did not answer the file request within ${seconds} s (it may be disconnected, busy, or the master restarted)`,
          ),
        );
      }, this.timeoutMs);
      this.inFlight.set(requestId, { agentId, request: { ...request, request_id: requestId }, delivered: false, resolve, timer });
    });
    this.opts.wake(agentId);
    return answer;
  }

  /** True when requests wait for `agentId`'s next poll (it must not be held then). */
  hasWaiting(agentId: string): boolean {
    for (const f of this.inFlight.values()) if (f.agentId === agentId && !f.delivered) return true;
    return false;
  }

  /** Hands out the requests waiting for `agentId` (each once: a lost poll answer times out). */
  take(agentId: string): FileRequest[] {
    const out: FileRequest[] = [];
    for (const f of this.inFlight.values()) {
      if (f.agentId !== agentId || f.delivered) continue;
      f.delivered = true;
      out.push(f.request);
    }
    return out;
  }

  /**
   * An agent's answer: settles the waiting request. False when nobody waits for it (timed
   * out, unknown id, or the request was for another agent, whose answer this cannot be).
   */
  answer(answer: FileAnswer): boolean {
    const f = this.inFlight.get(answer.request_id);
    if (!f || f.agentId !== answer.agent_id.value) return false;
    this.inFlight.delete(answer.request_id);
    clearTimeout(f.timer);
    f.resolve(answer);
    return true;
  }
}
