/**
 * The packaged agent end to end: the real binary, configured by nothing but a config file (as
 * /etc/strata/agent.env under systemd, here through `--config`), joins a real master; the
 * master shows the version the binary reports for `--version` in GET_AGENTS and /master/slaves,
 * and the settings from the file (hostname, resources, attributes) in the agent's info.
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BINARY, freePort, localSecrets, type Proc, startMaster } from "../../scripts/cluster-processes.ts";
import { authorizationHeader } from "../../sdk/src/auth.ts";
import { scalarOf } from "../../sdk/src/resources.ts";
import { STRATA_VERSION } from "../../sdk/src/version.ts";
import { FAST_MASTER_VARS } from "../support/e2e-cluster.ts";

const binary = existsSync(AGENT_BINARY);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!binary)("agent from a config file, and its version, end to end", () => {
  let stateDir: string;
  let url: string;
  let auth: string;
  let master: Proc;
  let agent: ChildProcess;
  let agentExited: Promise<void>;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "strata-e2e-config-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const secrets = localSecrets(stateDir);
    auth = authorizationHeader({ principal: secrets.principal, secret: secrets.secret })!;
    master = await startMaster({ port, stateDir, vars: FAST_MASTER_VARS });
    writeFileSync(join(stateDir, "join-token"), `${secrets.joinToken}\n`, { mode: 0o600 });
    const config = join(stateDir, "agent.env");
    writeFileSync(
      config,
      [
        "# written by the test, as an operator writes /etc/strata/agent.env",
        `STRATA_MASTER=${url}`,
        `join-token-file=${join(stateDir, "join-token")}`,
        `STRATA_WORK_DIR="${join(stateDir, "agent")}"`,
        "hostname=config-e2e.test",
        "STRATA_RESOURCES='cpus:1;mem:256;disk:256'",
        "attributes=rack:r7",
        "cgroups=off",
        "poll-wait-seconds=1",
        "",
      ].join("\n"),
    );
    // No STRATA_* variable from this process' environment: the file alone configures the agent.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("STRATA_")));
    agent = spawn(AGENT_BINARY, ["--config", config], { env, stdio: ["ignore", "ignore", "pipe"], detached: true });
    let stderr = "";
    agent.stderr!.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    agentExited = new Promise((resolve) =>
      agent.on("exit", (code) => {
        if (code !== null && code !== 0) process.stderr.write(`agent exited with ${code}:\n${stderr}\n`);
        resolve();
      }),
    );
  }, 90_000);

  afterAll(async () => {
    if (agent?.exitCode === null && agent.signalCode === null) {
      agent.kill("SIGTERM");
      await Promise.race([agentExited, sleep(5000)]);
    }
    await master?.stop();
    if (!process.env.STRATA_KEEP_E2E_STATE) rmSync(stateDir, { recursive: true, force: true });
  }, 30_000);

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const getAgents = async (): Promise<any[]> => {
    const res = await fetch(`${url}/api/v1`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify({ type: "GET_AGENTS" }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { get_agents: { agents: unknown[] } }).get_agents.agents;
  };

  it("registers with the settings from the file and the version it reports for --version", async () => {
    const printed = execFileSync(AGENT_BINARY, ["--version"], { encoding: "utf8" }).trim();
    expect(printed).toBe(`strata-agent ${STRATA_VERSION}`);

    let agents = await getAgents();
    for (const end = Date.now() + 30_000; agents.length === 0 && Date.now() < end; ) {
      await sleep(200);
      agents = await getAgents();
    }
    expect(agents).toHaveLength(1);
    const [a] = agents;
    expect(a.version).toBe(STRATA_VERSION);
    expect(a.agent_info.hostname).toBe("config-e2e.test");
    expect(scalarOf(a.agent_info.resources, "cpus")).toBe(1);
    expect(scalarOf(a.agent_info.resources, "mem")).toBe(256);
    expect(a.agent_info.attributes).toEqual([{ name: "rack", type: "TEXT", text: { value: "r7" } }]);

    const slaves = await fetch(`${url}/master/slaves`, { headers: { authorization: auth } });
    expect(slaves.status).toBe(200);
    const [s] = ((await slaves.json()) as { slaves: Array<{ id: string; version: string }> }).slaves;
    expect(s).toMatchObject({ id: a.agent_info.id.value, version: STRATA_VERSION });
    expect(existsSync(join(stateDir, "agent", "meta"))).toBe(true); // the work dir from the file
  }, 60_000);
});
