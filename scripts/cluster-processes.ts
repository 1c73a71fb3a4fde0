/**
 * Starting and stopping the local cluster's processes: the master (workerd through Miniflare,
 * state persisted under a folder) and agents (the compiled binary). Used by `npm start` and
 * by the end-to-end tests, so both run the cluster the same way. Node- and Bun-compatible.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnvFile } from "../examples/lib/cluster-config.ts";
import { authorizationHeader } from "../sdk/src/auth.ts";

/** The repository root (this file lives in scripts/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Where `npm run build:agent` writes the agent binary. */
export const AGENT_BINARY = join(ROOT, "dist", "strata-agent");

/** The local cluster's secrets, generated once per state folder and kept across restarts. */
export interface LocalSecrets {
  joinToken: string;
  principal: string;
  secret: string;
  /** `STRATA_OPERATORS` of the file, when it sets one (files written before it was added do not). */
  operators: string | undefined;
}

/**
 * Reads `<stateDir>/secrets.env`, creating it with fresh random secrets the first time. Its one
 * principal (`strata`) is the local cluster's operator (`STRATA_OPERATORS`, README "Secure defaults").
 */
export function localSecrets(stateDir: string): LocalSecrets {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, "secrets.env");
  if (!existsSync(file)) {
    // Never starting with "-": a secret passed as `--secret <value>` would read as an option.
    const token = (): string => {
      const t = randomBytes(24).toString("base64url");
      return t.startsWith("-") ? token() : t;
    };
    writeFileSync(file, `STRATA_JOIN_TOKEN=${token()}\nSTRATA_CREDENTIALS=strata:${token()}\nSTRATA_OPERATORS=strata\n`, { mode: 0o600 });
  }
  const env = parseEnvFile(readFileSync(file, "utf8"));
  const [principal, secret] = splitOnce(env.STRATA_CREDENTIALS ?? "", ":");
  return { joinToken: env.STRATA_JOIN_TOKEN ?? "", principal, secret, operators: env.STRATA_OPERATORS };
}

const splitOnce = (s: string, sep: string): [string, string] => {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
};

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A started process and how to end it. */
export interface Proc {
  child: ChildProcess;
  /** Resolves once the process has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Every process started here and not yet exited. */
const live = new Set<Proc>();

/** Stops every master and agent this process started (e.g. on Ctrl-C of a benchmark run). */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

function launch(cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Proc {
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: "a" });
  // Own process group, so stopping reaches the master's workerd child too.
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  const proc: Proc = {
    child,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, signal);
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          /* gone */
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  return proc;
}

export interface MasterOptions {
  port: number;
  stateDir: string;
  /** Extra master settings (wrangler vars), e.g. { STRATA_HEARTBEAT_INTERVAL_SECONDS: "1" }. */
  vars?: Record<string, string>;
  /** Opens workerd's V8 inspector on this loopback port (the soak benchmark reads the heap there). */
  inspectorPort?: number;
}

/** Bun from the project's dependencies (the master server and the agent build run on it). */
export const BUN = join(ROOT, "node_modules", ".bin", "bun");

/**
 * Starts the master (scripts/master-server.ts: the Worker on workerd through Miniflare) and
 * waits until it answers /health. The local principal is its operator: a secrets file from
 * before `STRATA_OPERATORS` existed gets it as a setting (unless `vars` names the operators).
 */
export async function startMaster(opts: MasterOptions): Promise<Proc> {
  const secrets = localSecrets(opts.stateDir);
  const vars = { ...(secrets.operators === undefined ? { STRATA_OPERATORS: secrets.principal } : {}), ...opts.vars };
  const args = [
    join(ROOT, "scripts", "master-server.ts"),
    "--port",
    String(opts.port),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    join(opts.stateDir, "master"),
    "--env-file",
    join(opts.stateDir, "secrets.env"),
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ...(opts.inspectorPort !== undefined ? ["--inspector-port", String(opts.inspectorPort)] : []),
  ];
  const proc = launch(BUN, args, process.env, join(opts.stateDir, "master.log"));
  await waitForHealth(`http://127.0.0.1:${opts.port}`, 60_000, proc);
  return proc;
}

export interface AgentOptions {
  master: string;
  workDir: string;
  joinToken: string;
  logFile: string;
  extraArgs?: string[];
}

/** Builds the agent binary when it is missing. */
export function ensureAgentBinary(): void {
  if (existsSync(AGENT_BINARY)) return;
  const r = spawnSync("npm", ["run", "-s", "build:agent"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error("building the agent failed (npm run build:agent)");
}

/** Starts one agent (the compiled binary) against `master`. */
export function startAgent(opts: AgentOptions): Proc {
  ensureAgentBinary();
  // A local/test cluster runs as the developer (often root) and its frameworks as root: allowed
  // explicitly here; a deployed agent refuses root tasks unless its operator allows them.
  return launch(
    AGENT_BINARY,
    ["--master", opts.master, "--work-dir", opts.workDir, "--allow-root-tasks=true", ...(opts.extraArgs ?? [])],
    { ...process.env, STRATA_JOIN_TOKEN: opts.joinToken },
    opts.logFile,
  );
}

/** Polls `<url>/health` until it answers 200. */
export async function waitForHealth(url: string, timeoutMs: number, proc?: Proc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  proc?.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the master exited before answering ${url}/health (see its log)`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the master did not answer ${url}/health within ${timeoutMs / 1000}s`);
}

/** The master's `/metrics/snapshot`, read with the cluster's credentials. */
export async function masterMetrics(url: string, secrets: Pick<LocalSecrets, "principal" | "secret">): Promise<Record<string, number>> {
  const headers = { authorization: authorizationHeader({ principal: secrets.principal, secret: secrets.secret })! };
  return fetch(`${url}/metrics/snapshot`, { headers }).then((r) => r.json() as Promise<Record<string, number>>);
}

/**
 * Polls `/metrics/snapshot` (cheap, unlike the whole `/master/state` of 10,000 agents) until
 * `count` agents are active (or `timeoutMs` passes).
 */
export async function waitForAgents(url: string, secrets: LocalSecrets, count: number, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const metrics = await masterMetrics(url, secrets);
    if ((metrics["master/slaves_active"] ?? 0) >= count) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A throwaway cluster: a master and one agent process in a temporary folder. */
export interface TempCluster {
  url: string;
  port: number;
  stateDir: string;
  secrets: LocalSecrets;
  master: Proc;
  agent: Proc;
}

/**
 * Runs `fn` against a master and one agent (started with `agentArgs`, its own cgroup root) in a
 * temporary folder on a free port, then stops both and removes the folder (kept, and said so,
 * when STRATA_KEEP_BENCH_STATE is set).
 */
export async function withTempCluster<T>(
  opts: { name: string; vars?: Record<string, string>; agentArgs?: string[]; inspectorPort?: number },
  fn: (c: TempCluster) => Promise<T>,
): Promise<T> {
  const stateDir = mkdtempSync(join(tmpdir(), `strata-${opts.name}-`));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const master = await startMaster({
    port,
    stateDir,
    ...(opts.vars ? { vars: opts.vars } : {}),
    ...(opts.inspectorPort !== undefined ? { inspectorPort: opts.inspectorPort } : {}),
  });
  const secrets = localSecrets(stateDir);
  const agent = startAgent({
    master: url,
    workDir: join(stateDir, "agent"),
    joinToken: secrets.joinToken,
    logFile: join(stateDir, "agent.log"),
    extraArgs: ["--cgroups-root", `strata-${opts.name}-${port}`, ...(opts.agentArgs ?? [])],
  });
  try {
    return await fn({ url, port, stateDir, secrets, master, agent });
  } finally {
    await agent.stop();
    await master.stop();
    if (process.env.STRATA_KEEP_BENCH_STATE) console.error(`state kept in ${stateDir}`);
    else rmSync(stateDir, { recursive: true, force: true });
  }
}
