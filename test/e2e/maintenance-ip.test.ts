/**
 * The agent's `--ip` end to end: the real agent announces the IP it is given, and the real
 * master matches a maintenance window that names the machine by that IP alone (docs/maintenance.md):
 * offers from the agent carry the window's unavailability (a window for another IP leaves them
 * alone), and START_MAINTENANCE of that IP refuses the agent's polls, naming the machine.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Offer } from "../../schemas/index.ts";
import { AGENT_BINARY, freePort, localSecrets, type Proc, startAgent, startMaster } from "../../scripts/cluster-processes.ts";
import { authorizationHeader } from "../../sdk/src/auth.ts";
import { SchedulerClient } from "../../sdk/src/index.ts";
import { FAST_MASTER_VARS } from "../support/e2e-cluster.ts";

const binary = existsSync(AGENT_BINARY);
const AGENT_IP = "192.0.2.10";
const OTHER_IP = "192.0.2.99";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!binary)("agent --ip and maintenance end to end", () => {
  let stateDir: string;
  let url: string;
  let auth: string;
  let master: Proc;
  let agent: Proc;
  let client: SchedulerClient;
  const offers: Array<{ at: number; offer: Offer }> = [];

  const operator = async (body: object): Promise<Response> =>
    fetch(`${url}/api/v1`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const schedule = (ip: string, start: number) =>
    operator({
      type: "UPDATE_MAINTENANCE_SCHEDULE",
      update_maintenance_schedule: { schedule: { windows: [{ machine_ids: [{ ip }], unavailability: { start: { nanoseconds: start } } }] } },
    });
  /** The first offer received after `since`. */
  const offerAfter = async (since: number, timeoutMs: number): Promise<Offer> => {
    for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
      const o = offers.find((x) => x.at > since);
      if (o) return o.offer;
      await sleep(50);
    }
    throw new Error(`no offer within ${timeoutMs} ms`);
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "strata-e2e-ip-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const secrets = localSecrets(stateDir);
    auth = authorizationHeader({ principal: secrets.principal, secret: secrets.secret })!;
    master = await startMaster({ port, stateDir, vars: FAST_MASTER_VARS });
    agent = startAgent({
      master: url,
      workDir: join(stateDir, "agent"),
      joinToken: secrets.joinToken,
      logFile: join(stateDir, "agent.log"),
      extraArgs: ["--cgroups", "off", "--poll-wait-seconds", "1", "--ip", AGENT_IP, "--resources", "cpus:1;mem:256;disk:256"],
    });
    client = new SchedulerClient({
      master: url,
      frameworkInfo: { user: "root", name: "ip-e2e", failover_timeout: 3600 },
      credentials: { principal: secrets.principal, secret: secrets.secret },
      backoff: { initialMs: 200, maxMs: 1000 },
      logger: {},
    });
    client.on("offers", (batch) => {
      for (const offer of batch) {
        offers.push({ at: Date.now(), offer });
        void client.decline([offer.id], { refuse_seconds: 0.2 }).catch(() => undefined);
      }
    });
    await client.start();
  }, 90_000);

  afterAll(async () => {
    await client?.stop();
    await agent?.stop();
    await master?.stop();
    if (!process.env.STRATA_KEEP_E2E_STATE) rmSync(stateDir, { recursive: true, force: true });
  }, 30_000);

  it("matches a maintenance window given by the IP the agent announced", async () => {
    await offerAfter(0, 15_000);
    const start = (Date.now() + 3_600_000) * 1e6;

    let since = Date.now();
    expect((await schedule(OTHER_IP, start)).status).toBe(200);
    await sleep(300); // an offer made before the schedule took effect may still arrive
    since = Date.now();
    expect((await offerAfter(since, 5_000)).unavailability).toBeUndefined();

    since = Date.now();
    expect((await schedule(AGENT_IP, start)).status).toBe(200);
    for (const end = Date.now() + 5_000; !offers.some((o) => o.at > since && o.offer.unavailability) && Date.now() < end; ) await sleep(50);
    const unavailable = offers.find((o) => o.at > since && o.offer.unavailability)?.offer;
    expect(unavailable?.unavailability?.start.nanoseconds).toBeCloseTo(start, -4);

    const started = await operator({ type: "START_MAINTENANCE", start_maintenance: { machines: [{ ip: AGENT_IP }] } });
    expect(started.status).toBe(200);
    const refused = `HTTP 403: machine '${AGENT_IP}' is DOWN for maintenance`;
    for (const end = Date.now() + 8_000; !readFileSync(join(stateDir, "agent.log"), "utf8").includes(refused) && Date.now() < end; ) await sleep(100);
    expect(readFileSync(join(stateDir, "agent.log"), "utf8")).toContain(refused);

    expect((await operator({ type: "STOP_MAINTENANCE", stop_maintenance: { machines: [{ ip: AGENT_IP }] } })).status).toBe(200);
    since = Date.now();
    expect((await offerAfter(since, 10_000)).unavailability).toBeUndefined();
  }, 28_000);
});
