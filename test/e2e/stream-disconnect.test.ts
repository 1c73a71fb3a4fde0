/**
 * End to end: the real local master (workerd) notices at once that a client went away from its
 * event stream (the connection reset), not at the next heartbeat written to it: a framework's
 * SUBSCRIBE stream (it is disconnected then, and torn down `failover_timeout` after that
 * moment) and an operator SUBSCRIBE stream (it stops being counted). The heartbeat interval is
 * set long (30 s), so that noticing at a write would come far too late. The client resets its
 * connection: that is what workerd's HTTP server notices without writing (an orderly close, a
 * FIN alone, it learns of at its next write to the connection; docs/lifecycle.md).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, localSecrets, masterMetrics, type Proc, startMaster } from "../../scripts/cluster-processes.ts";
import { authorizationHeader } from "../../sdk/src/auth.ts";

type Framework = { id: string; active: boolean; connected: boolean };

describe("a client that leaves its event stream", () => {
  let stateDir: string;
  let port: number;
  let url: string;
  let auth: string;
  let secrets: ReturnType<typeof localSecrets>;
  let master: Proc;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "strata-e2e-streams-"));
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    secrets = localSecrets(stateDir);
    auth = authorizationHeader({ principal: secrets.principal, secret: secrets.secret })!;
    master = await startMaster({ port, stateDir, vars: { STRATA_HEARTBEAT_INTERVAL_SECONDS: "30" } });
  }, 90_000);

  afterAll(async () => {
    await master?.stop();
    if (!process.env.STRATA_KEEP_E2E_STATE) rmSync(stateDir, { recursive: true, force: true });
  }, 30_000);

  /**
   * POSTs `body` to `path` over a raw connection and resolves, with the socket, once the
   * response so far contains `until` (the stream's first event); the text read is kept.
   */
  const openStream = (path: string, body: object, until: string) =>
    new Promise<{ socket: Socket; text: () => string }>((resolve, reject) => {
      const json = JSON.stringify(body);
      let text = "";
      const socket = connect(port, "127.0.0.1", () =>
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
        ),
      );
      socket.on("error", reject);
      socket.on("data", (d) => {
        text += String(d);
        if (text.includes(until)) resolve({ socket, text: () => text });
      });
    });

  const frameworks = async (): Promise<{ frameworks: Framework[]; completed_frameworks: Framework[] }> =>
    (await fetch(`${url}/master/frameworks`, { headers: { authorization: auth } })).json() as never;

  /** Polls `probe` every 50 ms until it is true; resolves with the ms since `since`. */
  const waitUntil = async (what: string, probe: () => Promise<boolean>, since: number, timeoutMs: number) => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
      if (await probe()) return Date.now() - since;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${what}: not within ${timeoutMs} ms`);
  };

  it("a framework is disconnected at once and torn down failover_timeout after it left", async () => {
    const subscribe = { type: "SUBSCRIBE", subscribe: { framework_info: { user: "root", name: "leaves", failover_timeout: 2 } } };
    const { socket, text } = await openStream("/api/v1/scheduler", subscribe, '"SUBSCRIBED"');
    const id = /"framework_id":\{"value":"([^"]+)"/.exec(text())![1]!;
    const find = async () => (await frameworks()).frameworks.find((f) => f.id === id);
    expect(await find()).toMatchObject({ active: true, connected: true });

    const leftAt = Date.now();
    socket.resetAndDestroy();
    const disconnectedAfter = await waitUntil("disconnected", async () => (await find())?.connected === false, leftAt, 5_000);
    expect(disconnectedAfter).toBeLessThan(1_000);
    const removedAfter = await waitUntil("torn down", async () => (await frameworks()).completed_frameworks.some((f) => f.id === id), leftAt, 10_000);
    expect(removedAfter).toBeGreaterThanOrEqual(2_000);
    expect(removedAfter).toBeLessThan(3_500);
  }, 30_000);

  it("an operator subscriber stops being counted at once", async () => {
    const count = async () => (await masterMetrics(url, secrets))["master/operator_event_stream_subscribers"];
    const { socket } = await openStream("/api/v1", { type: "SUBSCRIBE" }, '"SUBSCRIBED"');
    expect(await count()).toBe(1);

    const leftAt = Date.now();
    socket.resetAndDestroy();
    expect(await waitUntil("not counted", async () => (await count()) === 0, leftAt, 5_000)).toBeLessThan(1_000);
  }, 30_000);
});
