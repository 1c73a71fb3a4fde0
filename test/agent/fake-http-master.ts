/// <reference types="node" />
/** A minimal HTTP master speaking the agent protocol, for end-to-end tests of the agent process. */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { AgentCommand, PollRequest, RegisterRequest, StatusRequest } from "../../schemas/agent.ts";

type WithoutSeq<T> = T extends unknown ? Omit<T, "seq"> : never;
type Logged<T> = { auth: string | undefined; body: T };

/** State survives `restart()`, like the real master's SQLite-backed Durable Object. */
export class FakeHttpMaster {
  readonly registers: Array<Logged<RegisterRequest>> = [];
  readonly polls: Array<Logged<PollRequest>> = [];
  readonly statuses: Array<Logged<StatusRequest>> = [];
  /** Commands not yet acknowledged by the agent's ack_seq. */
  commands: AgentCommand[] = [];
  /** uuids the "framework" acknowledged, handed out in poll `acks`. */
  acks: Array<{ task_id: { value: string }; uuid: string }> = [];
  port = 0;
  private server: Server | undefined;
  private nextSeq = 1;
  private wakers: Array<() => void> = [];

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

  get url(): string { return `http://127.0.0.1:${this.port}`; }

  /** Queues a command for the agent (seq assigned here). */
  send(cmd: WithoutSeq<AgentCommand>): void {
    this.commands.push({ ...cmd, seq: this.nextSeq++ } as AgentCommand);
    for (const w of this.wakers.splice(0)) w();
  }

  /** Acknowledges every update received so far (as a framework would). */
  ackAll(): void {
    const known = new Set(this.acks.map((a) => a.uuid));
    for (const u of this.statuses.flatMap((s) => s.body.updates)) {
      if (!known.has(u.status.uuid)) { this.acks.push({ task_id: u.status.task_id, uuid: u.status.uuid }); known.add(u.status.uuid); }
    }
  }

  updates() { return this.statuses.flatMap((s) => s.body.updates.map((u) => u.status)); }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
    const auth = req.headers.authorization;
    if (auth !== "Bearer e2e-secret-token") return [401, { message: "bad token" }];
    if (req.url === "/agent/v1/register") {
      this.registers.push({ auth, body });
      return [200, { agent_id: body.agent_id ?? { value: "e2e-agent" }, agent_token: "fake-token", master_info: { id: "m", ip: 0, port: this.port }, poll_hold_seconds: 25 }];
    }
    if (req.url === "/agent/v1/status") {
      this.statuses.push({ auth, body });
      const acked = new Set(this.acks.map((a) => a.uuid));
      return [200, { acknowledged: (body as StatusRequest).updates.map((u) => u.status.uuid).filter((u) => acked.has(u)) }];
    }
    if (req.url === "/agent/v1/poll") {
      const poll = body as PollRequest;
      this.polls.push({ auth, body });
      this.commands = this.commands.filter((c) => c.seq > poll.ack_seq);
      const confirmed = new Set(poll.acked_uuids);
      this.acks = this.acks.filter((a) => !confirmed.has(a.uuid));
      if (this.commands.length === 0 && this.acks.length === 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(poll.wait_seconds ?? 25, 25) * 1000);
          this.wakers.push(() => { clearTimeout(t); resolve(); });
        });
      }
      return [200, { commands: this.commands, acks: this.acks }];
    }
    return [404, { message: "not found" }];
  }
}
