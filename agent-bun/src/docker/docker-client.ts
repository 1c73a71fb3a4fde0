/**
 * A minimal Docker Engine API client over the engine's unix socket: only the calls the Docker
 * containerizer makes (images, create/start/inspect/wait/stop/kill/remove, logs). The agent ships
 * no docker CLI. `node:http` with `socketPath` works the same in Bun (the agent) and Node (tests);
 * it is loaded at the first call, so an agent that runs no Docker task never holds it.
 */
import type { IncomingMessage } from "node:http";

/** Engine API version asked for: Docker 20.10 (Debian 12's docker.io) and later speak it. */
export const DOCKER_API_VERSION = "v1.41";

/** Default path of the engine's socket (Docker's and Mesos' `--docker_socket` default). */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/** An engine call answered with an error status (or the engine could not be reached: status 0). */
export class DockerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "DockerError";
  }
}

/** The parts of `GET /containers/{id}/json` the containerizer reads. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; ExitCode: number; OOMKilled: boolean; Pid: number; StartedAt?: string; FinishedAt?: string };
  Config: { Labels?: Record<string, string> | null };
}

/** One streamed frame of a container's output (one log entry). */
export interface LogFrame {
  stream: "stdout" | "stderr";
  data: Buffer;
  /** When the engine logged it: Unix seconds with nine decimals, the form `since` takes. */
  time: string;
}

/** What `request` answers: status and the whole body. */
interface Reply {
  status: number;
  body: Buffer;
}

/** Talks to one engine. */
export class DockerClient {
  constructor(readonly socketPath: string) {}

  /** `GET /_ping`: resolves when the engine answers. */
  async ping(): Promise<void> {
    await this.call("GET", "/_ping");
  }

  /** True when the image is present locally. */
  async hasImage(image: string): Promise<boolean> {
    const r = await this.request("GET", `/images/${image}/json`);
    if (r.status === 404) return false;
    if (r.status >= 300) throw errorOf(r, `inspect image ${image}`);
    return true;
  }

  /**
   * Pulls `image` from its registry. The engine answers 200 and reports a failure inside the
   * progress stream (`{"error": …}`), so the stream is read to its end and checked.
   */
  async pull(image: string): Promise<void> {
    const { repo, tag } = splitImage(image);
    const r = await this.request("POST", `/images/create?fromImage=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`);
    if (r.status >= 300) throw errorOf(r, `pull ${image}`);
    for (const line of r.body.toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      let msg: { error?: string };
      try {
        msg = JSON.parse(line) as { error?: string };
      } catch {
        continue;
      }
      if (msg.error) throw new DockerError(500, `pull ${image}: ${msg.error}`);
    }
  }

  /** `POST /containers/create`; answers the new container's id. */
  async create(name: string, config: Record<string, unknown>): Promise<string> {
    const r = await this.call("POST", `/containers/create?name=${encodeURIComponent(name)}`, config);
    return (JSON.parse(r.body.toString("utf8")) as { Id: string }).Id;
  }

  async start(id: string): Promise<void> {
    await this.call("POST", `/containers/${encodeURIComponent(id)}/start`, undefined, [304]);
  }

  /** The container's state, or undefined when no container has this id or name. */
  async inspect(id: string): Promise<ContainerInspect | undefined> {
    const r = await this.request("GET", `/containers/${encodeURIComponent(id)}/json`);
    if (r.status === 404) return undefined;
    if (r.status >= 300) throw errorOf(r, `inspect ${id}`);
    return JSON.parse(r.body.toString("utf8")) as ContainerInspect;
  }

  /** Resolves with the exit status once the container has stopped (at once when it has). */
  async wait(id: string): Promise<number> {
    const r = await this.call("POST", `/containers/${encodeURIComponent(id)}/wait`);
    return (JSON.parse(r.body.toString("utf8")) as { StatusCode: number }).StatusCode;
  }

  /** Sends `signal` to the container's main process. */
  async kill(id: string, signal = "SIGKILL"): Promise<void> {
    await this.call("POST", `/containers/${encodeURIComponent(id)}/kill?signal=${encodeURIComponent(signal)}`, undefined, [409]);
  }

  /** SIGTERM (or the image's stop signal), SIGKILL after `timeoutSeconds`; resolves once stopped. */
  async stop(id: string, timeoutSeconds: number): Promise<void> {
    await this.call("POST", `/containers/${encodeURIComponent(id)}/stop?t=${Math.max(0, Math.ceil(timeoutSeconds))}`, undefined, [304]);
  }

  /** Removes the container (`force` kills it first); a missing container is not an error. */
  async remove(id: string, force = false): Promise<void> {
    await this.call("DELETE", `/containers/${encodeURIComponent(id)}?force=${force}&v=true`, undefined, [404]);
  }

  /**
   * Streams the container's output from `since` (Unix seconds, fractions allowed; entries
   * logged at `since` itself included), following it until the container stops; `onFrame` gets
   * each entry with its time. Resolves when the stream ends.
   */
  async followLogs(id: string, since: string, onFrame: (f: LogFrame) => void): Promise<void> {
    const res = await this.open(
      "GET",
      `/containers/${encodeURIComponent(id)}/logs?follow=true&stdout=true&stderr=true&timestamps=true&since=${encodeURIComponent(since)}`,
    );
    if ((res.statusCode ?? 0) >= 300) throw errorOf({ status: res.statusCode ?? 0, body: await readAll(res) }, `logs of ${id}`);
    // Without a TTY the engine multiplexes: 8-byte header (stream, 0, 0, 0, size big-endian), payload.
    let pending: Buffer = Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      res.on("data", (chunk: Buffer) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        while (pending.length >= 8) {
          const size = pending.readUInt32BE(4);
          if (pending.length < 8 + size) break;
          // With timestamps each entry starts with its RFC 3339 time (nanoseconds) and a space.
          const entry = pending.subarray(8, 8 + size);
          const space = entry.indexOf(0x20);
          onFrame({
            stream: pending[0] === 2 ? "stderr" : "stdout",
            data: entry.subarray(space + 1),
            time: unixTime(entry.subarray(0, Math.max(0, space)).toString("latin1")),
          });
          pending = pending.subarray(8 + size);
        }
      });
      res.on("end", resolve);
      res.on("error", reject);
    });
  }

  /** Any call, answering status and body (for calls this client does not wrap, e.g. in tests). */
  async request(method: string, path: string, body?: unknown, raw?: { data: Buffer | NodeJS.ReadableStream; contentType: string }): Promise<Reply> {
    const res = await this.open(method, path, body, raw);
    return { status: res.statusCode ?? 0, body: await readAll(res) };
  }

  /** `request`, throwing `DockerError` on an error status not listed in `ok`. */
  private async call(method: string, path: string, body?: unknown, ok: number[] = []): Promise<Reply> {
    const r = await this.request(method, path, body);
    if (r.status >= 300 && !ok.includes(r.status)) throw errorOf(r, `${method} ${path.split("?")[0]}`);
    return r;
  }

  private async open(
    method: string,
    path: string,
    body?: unknown,
    raw?: { data: Buffer | NodeJS.ReadableStream; contentType: string },
  ): Promise<IncomingMessage> {
    const { request } = await import("node:http");
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { host: "docker" };
    if (payload) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(payload.length);
    }
    if (raw) headers["content-type"] = raw.contentType;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ socketPath: this.socketPath, method, path: `/${DOCKER_API_VERSION}${path}`, headers }, resolve);
      req.on("error", (e) => reject(new DockerError(0, `cannot reach the Docker engine at ${this.socketPath}: ${e.message}`)));
      if (raw && !Buffer.isBuffer(raw.data)) {
        raw.data.pipe(req);
        return;
      }
      req.end(raw ? raw.data : payload);
    });
  }
}

/** `repo[:tag]` (a registry host's `:port` is not a tag); the tag defaults to `latest`. */
export function splitImage(image: string): { repo: string; tag: string } {
  const at = image.indexOf("@");
  if (at >= 0) return { repo: image.slice(0, at), tag: image.slice(at + 1) };
  const colon = image.lastIndexOf(":");
  if (colon > image.lastIndexOf("/")) return { repo: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { repo: image, tag: "latest" };
}

/** RFC 3339 with up to nine fraction digits (`2026-01-02T03:04:05.123456789Z`) → "1767322445.123456789"; "0" when unreadable. */
export function unixTime(rfc3339: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) return "0";
  return `${Math.floor(ms / 1000)}.${(m[2] ?? "").padEnd(9, "0")}`;
}

/** The instant 1 ns after `time` (Unix seconds with nine decimals): `since` that skips entries up to `time`. */
export function justAfter(time: string): string {
  const [sec = "0", frac = "0"] = time.split(".");
  const ns = BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, "0").slice(0, 9)) + 1n;
  return `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, "0")}`;
}

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => resolve(Buffer.concat(chunks)));
    res.on("error", reject);
  });
}

/** The engine's `{"message": …}` error as a `DockerError`. */
function errorOf(r: Reply, what: string): DockerError {
  let message = r.body.toString("utf8").trim();
  try {
    message = (JSON.parse(message) as { message?: string }).message ?? message;
  } catch {
    /* plain text */
  }
  return new DockerError(r.status, `${what}: ${message || `status ${r.status}`}`);
}
