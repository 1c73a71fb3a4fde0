/**
 * A tiny stand-in for the master's scheduler endpoint, for SDK tests: node:http on an
 * ephemeral 127.0.0.1 port, streaming RecordIO on SUBSCRIBE and recording every call.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { encodeRecord } from "../../sdk/src/recordio.ts";

export interface RecordedRequest {
  body: Record<string, any>;
  headers: IncomingMessage["headers"];
}

export type SubscribeReply = { status: number; body?: string } | "stream"; // 200 + stream, SUBSCRIBED sent by the default handler

export class FakeMaster {
  readonly subscribes: RecordedRequest[] = [];
  readonly calls: RecordedRequest[] = [];
  /** Decides how each SUBSCRIBE (0-based) is answered. */
  onSubscribe: (n: number, req: RecordedRequest) => SubscribeReply = () => "stream";
  /** Decides the status and body of other calls. */
  onCall: (req: RecordedRequest) => { status: number; body?: string } | Promise<{ status: number; body?: string }> = () => ({ status: 202 });
  frameworkId = "fw-1";
  heartbeatSeconds = 15;
  /** Strata extensions named in the SUBSCRIBE answer's `Strata-Extensions` (none: a Mesos master). */
  extensions: string[] = [];
  /** Sends SUBSCRIBED automatically on each accepted SUBSCRIBE. */
  autoSubscribed = true;
  private server: Server;
  private stream: ServerResponse | undefined;
  url = "";

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.stream?.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Writes one event on the current stream, as its own chunk. */
  send(event: unknown): void {
    if (!this.stream) throw new Error("no open stream");
    this.stream.write(encodeRecord(event));
  }

  /** Writes raw bytes on the current stream. */
  write(text: string): void {
    this.stream!.write(text);
  }

  /** Kills the current stream's connection (as a master restart would). */
  dropStream(): void {
    this.stream?.destroy();
    this.stream = undefined;
  }

  /** Ends the current stream cleanly. */
  endStream(): void {
    this.stream?.end();
    this.stream = undefined;
  }

  get streamOpen(): boolean {
    return this.stream !== undefined;
  }

  callsOf(type: string): RecordedRequest[] {
    return this.calls.filter((c) => c.body.type === type);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = "";
    for await (const chunk of req) text += chunk;
    if (req.url !== "/api/v1/scheduler" || req.method !== "POST") {
      res.writeHead(404).end("not found");
      return;
    }
    const recorded = { body: JSON.parse(text), headers: req.headers };
    if (recorded.body.type !== "SUBSCRIBE") {
      this.calls.push(recorded);
      const { status, body } = await this.onCall(recorded);
      res.writeHead(status, { "Content-Type": "text/plain" }).end(body ?? "");
      return;
    }
    const n = this.subscribes.length;
    this.subscribes.push(recorded);
    const reply = this.onSubscribe(n, recorded);
    if (reply !== "stream") {
      res.writeHead(reply.status, { "Content-Type": "text/plain" }).end(reply.body ?? "");
      return;
    }
    res.writeHead(200, {
      "Content-Type": "application/json",
      "Mesos-Stream-Id": `stream-${n + 1}`,
      ...(this.extensions.length ? { "Strata-Extensions": this.extensions.join(", ") } : {}),
    });
    res.flushHeaders();
    this.stream = res;
    res.on("close", () => {
      if (this.stream === res) this.stream = undefined;
    });
    if (this.autoSubscribed) {
      this.send({
        type: "SUBSCRIBED",
        subscribed: {
          framework_id: { value: recorded.body.framework_id?.value ?? this.frameworkId },
          heartbeat_interval_seconds: this.heartbeatSeconds,
          master_info: { id: "master-1", ip: 0, port: 0, hostname: "fake" },
        },
      });
    }
  }
}

/** Polls `check` until it returns a truthy value (or throws after `ms`). */
export async function eventually<T>(check: () => T | undefined | false, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
