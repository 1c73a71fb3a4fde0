/// <reference types="node" />
/** A minimal HTTP master speaking the agent protocol, for end-to-end tests of the agent process. */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { AgentCommand, PollRequest, RegisterRequest, StatusRequest } from "../../schemas/agent.ts";

type WithoutSeq<T> = T extends unknown ? Omit<T, "seq"> : never;
type Logged<T> = { auth: string | undefined; body: T };

/** The id every agent gets unless the master was made with `distinctAgentIds`. */
export const FAKE_AGENT_ID = "e2e-agent";

/**
 * State survives `restart()`, like the real master's SQLite-backed Durable Object. By default
 * every registration gets the id `e2e-agent` (one agent); with `distinctAgentIds` each new one
 * gets `e2e-agent-<n>`, and commands and acks are kept per agent id.
 */
export class FakeHttpMaster {
  readonly registers: Array<Logged<RegisterRequest>> = [];
  readonly polls: Array<Logged<PollRequest>> = [];
  readonly statuses: Array<Logged<StatusRequest>> = [];
  /** Per agent id: commands not yet acknowledged by the agent's ack_seq. */
  readonly commands = new Map<string, AgentCommand[]>();
  /** Per agent id: uuids the "framework" acknowledged, handed out in poll `acks`. */
  readonly acks = new Map<string, Array<{ task_id: { value: string }; uuid: string }>>();
  port = 0;
  private server: Server | undefined;
  private readonly nextSeq = new Map<string, number>();
  private nextAgent = 0;
  private wakers: Array<() => void> = [];

  constructor(private readonly opts: { distinctAgentIds?: boolean } = {}) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(([status, body]) => {
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
    for (const w of this.wakers.splice(0)) w();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Queues a command for agent `agentId` (seq assigned here, per agent). */
  send(cmd: WithoutSeq<AgentCommand>, agentId = FAKE_AGENT_ID): void {
    const seq = this.nextSeq.get(agentId) ?? 1;
    this.nextSeq.set(agentId, seq + 1);
    this.queue(this.commands, agentId).push({ ...cmd, seq } as AgentCommand);
    for (const w of this.wakers.splice(0)) w();
  }

  /** Acknowledges every update received so far (as a framework would). */
  ackAll(): void {
    const known = new Set([...this.acks.values()].flat().map((a) => a.uuid));
    for (const s of this.statuses) {
      for (const u of s.body.updates) {
        if (known.has(u.status.uuid)) continue;
        this.queue(this.acks, s.body.agent_id.value).push({ task_id: u.status.task_id, uuid: u.status.uuid });
        known.add(u.status.uuid);
      }
    }
  }

  /** Every update received (from agent `agentId` when given). */
  updates(agentId?: string) {
    return this.statuses.filter((s) => agentId === undefined || s.body.agent_id.value === agentId).flatMap((s) => s.body.updates.map((u) => u.status));
  }

  private queue<T>(map: Map<string, T[]>, agentId: string): T[] {
    let q = map.get(agentId);
    if (!q) map.set(agentId, (q = []));
    return q;
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
    const auth = req.headers.authorization;
    if (auth !== "Bearer e2e-secret-token") return [401, { message: "bad token" }];
    if (req.url === "/agent/v1/register") {
      this.registers.push({ auth, body });
      const id = (body as RegisterRequest).agent_id ?? { value: this.opts.distinctAgentIds ? `${FAKE_AGENT_ID}-${this.nextAgent++}` : FAKE_AGENT_ID };
      return [200, { agent_id: id, agent_token: "fake-token", master_info: { id: "m", ip: 0, port: this.port }, poll_hold_seconds: 25 }];
    }
    if (req.url === "/agent/v1/status") {
      this.statuses.push({ auth, body });
      const acked = new Set((this.acks.get((body as StatusRequest).agent_id.value) ?? []).map((a) => a.uuid));
      return [200, { acknowledged: (body as StatusRequest).updates.map((u) => u.status.uuid).filter((u) => acked.has(u)) }];
    }
    if (req.url === "/agent/v1/poll") {
      const poll = body as PollRequest;
      this.polls.push({ auth, body });
      const id = poll.agent_id.value;
      const confirmed = new Set(poll.acked_uuids);
      const pending = () => {
        this.commands.set(
          id,
          this.queue(this.commands, id).filter((c) => c.seq > poll.ack_seq),
        );
        this.acks.set(
          id,
          this.queue(this.acks, id).filter((a) => !confirmed.has(a.uuid)),
        );
        return { commands: this.commands.get(id)!, acks: this.acks.get(id)! };
      };
      const now = pending();
      if (now.commands.length === 0 && now.acks.length === 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(poll.wait_seconds ?? 25, 25) * 1000);
          this.wakers.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return [200, pending()];
    }
    return [404, { message: "not found" }];
  }
}
