/**
 * End-to-end fixture: a real local cluster (master on workerd via wrangler dev, the compiled
 * agent binary running real processes) in a temporary folder on a free port, and a small
 * framework built on the SDK that queues tasks, launches them into offers and records every
 * status update it receives.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { Offer, TaskInfo, TaskStatus } from "../../schemas/index.ts";
import {
  freePort,
  type LocalSecrets,
  localSecrets,
  masterMetrics,
  type Proc,
  startAgent,
  startMaster,
  waitForAgents,
} from "../../scripts/cluster-processes.ts";
import { SchedulerClient } from "../../sdk/src/index.ts";
import { contains, subtract } from "../../sdk/src/resources.ts";
import { jsonHeaders } from "./marathon-api.ts";

/** Master settings that make tests quick without changing behaviour. */
export const FAST_MASTER_VARS = {
  STRATA_HEARTBEAT_INTERVAL_SECONDS: "1",
  STRATA_ALLOCATION_INTERVAL_MS: "100",
  STRATA_DEFAULT_REFUSE_SECONDS: "1",
};

export interface Cluster {
  url: string;
  stateDir: string;
  principal: string;
  secret: string;
  master: Proc;
  agent: Proc;
  restartMaster(opts?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

/** Starts master + one agent with `agentArgs` (e.g. fixed resources); `opts.vars` override master settings of `FAST_MASTER_VARS`. */
export async function startCluster(agentArgs: string[] = [], opts: { vars?: Record<string, string> } = {}): Promise<Cluster> {
  const stateDir = mkdtempSync(join(tmpdir(), "strata-e2e-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const secrets = localSecrets(stateDir);
  const masterOpts = { port, stateDir, vars: { ...FAST_MASTER_VARS, ...opts.vars } };
  const cluster: Cluster = {
    url,
    stateDir,
    principal: secrets.principal,
    secret: secrets.secret,
    master: await startMaster(masterOpts),
    agent: startAgent({
      master: url,
      workDir: join(stateDir, "agent"),
      joinToken: secrets.joinToken,
      logFile: join(stateDir, "agent.log"),
      extraArgs: ["--cgroups-root", `strata-e2e-${port}`, "--poll-wait-seconds", "5", ...agentArgs],
    }),
    async restartMaster({ downMs = 1000 } = {}) {
      await cluster.master.stop("SIGKILL");
      await new Promise((r) => setTimeout(r, downMs));
      cluster.master = await startMaster(masterOpts);
    },
    async stop() {
      await cluster.agent.stop();
      await cluster.master.stop();
      if (!process.env.STRATA_KEEP_E2E_STATE) rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** A master and one agent per named host (each `--hostname <host>`), every agent registered. */
export interface HostsCluster {
  url: string;
  port: number;
  secrets: LocalSecrets;
  master: Proc;
  agents: Map<string, Proc>;
  /** The operator's authorization and JSON content type. */
  headers: Record<string, string>;
}

/**
 * Starts a master (`vars`) in `stateDir` and one agent per host of `hosts` (`--hostname`, its
 * own cgroups root, `resources`, `pollWaitSeconds`), and waits until all are registered.
 */
export async function startHostsCluster(opts: {
  stateDir: string;
  hosts: readonly string[];
  vars: Record<string, string>;
  resources: string;
  pollWaitSeconds: number;
}): Promise<HostsCluster> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const secrets = localSecrets(opts.stateDir);
  const master = await startMaster({ port, stateDir: opts.stateDir, vars: opts.vars });
  const agents = new Map<string, Proc>();
  for (const host of opts.hosts) {
    const extraArgs = ["--hostname", host, "--cgroups-root", `strata-e2e-${port}-${host}`, "--poll-wait-seconds", String(opts.pollWaitSeconds)];
    const logFile = join(opts.stateDir, `agent-${host}.log`);
    agents.set(
      host,
      startAgent({
        master: url,
        workDir: join(opts.stateDir, `agent-${host}`),
        joinToken: secrets.joinToken,
        logFile,
        extraArgs: [...extraArgs, "--resources", opts.resources],
      }),
    );
  }
  await waitForAgents(url, secrets, opts.hosts.length, 30_000);
  const active = (await masterMetrics(url, secrets))["master/slaves_active"];
  if (active !== opts.hosts.length) throw new Error(`${active} of ${opts.hosts.length} agents active`);
  const headers = jsonHeaders(secrets);
  return { url, port, secrets, master, agents, headers };
}

/** A task waiting for an offer: built once the agent is known. */
export type TaskSpec = { id: string; build: (agentId: string) => TaskInfo };

/** A minimal framework: launches queued tasks into offers and records every update. */
export class TestFramework {
  readonly client: SchedulerClient;
  readonly updates = new Map<string, TaskStatus[]>();
  readonly masterIds: string[] = [];
  frameworkId: string | undefined;
  private queue: TaskSpec[] = [];
  private listeners = new Set<() => void>();

  constructor(cluster: Cluster, name = "e2e") {
    this.client = new SchedulerClient({
      master: cluster.url,
      frameworkInfo: { user: "root", name, failover_timeout: 3600 },
      credentials: { principal: cluster.principal, secret: cluster.secret },
      backoff: { initialMs: 200, maxMs: 1000 },
    });
    this.client.on("subscribed", (s) => {
      this.frameworkId = s.framework_id.value;
      if (s.master_info) this.masterIds.push(s.master_info.id);
    });
    this.client.on("offers", (offers) => this.onOffers(offers));
    this.client.on("update", (status) => {
      const list = this.updates.get(status.task_id.value) ?? [];
      list.push(status);
      this.updates.set(status.task_id.value, list);
      for (const l of this.listeners) l();
    });
  }

  start() {
    return this.client.start();
  }
  stop() {
    return this.client.stop();
  }

  /** Queues tasks; they launch as offers arrive. */
  submit(...specs: TaskSpec[]): void {
    this.queue.push(...specs);
    void this.client.revive().catch(() => undefined);
  }

  private async onOffers(offers: Offer[]) {
    for (const offer of offers) {
      let free = offer.resources;
      const launch: TaskInfo[] = [];
      for (const spec of [...this.queue]) {
        const task = spec.build(offer.agent_id.value);
        if (!contains(free, task.resources)) continue;
        free = subtract(free, task.resources);
        launch.push(task);
        this.queue.splice(this.queue.indexOf(spec), 1);
      }
      if (launch.length) await this.client.launch([offer.id], launch, { refuse_seconds: 0.2 });
      else await this.client.decline([offer.id], { refuse_seconds: 0.5 });
    }
  }

  /** The latest state seen for a task. */
  stateOf(taskId: string): TaskStatus | undefined {
    return this.updates.get(taskId)?.at(-1);
  }

  /** Resolves when `check()` holds, re-checked on every update; rejects after `timeoutMs`. */
  waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        if (check()) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; states: ${JSON.stringify(this.summary())}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(done);
      };
      this.listeners.add(done);
    });
  }

  summary(): Record<string, string[]> {
    return Object.fromEntries([...this.updates].map(([id, list]) => [id, list.map((s) => s.state)]));
  }
}

/** Why cgroup limits cannot be enforced here, or undefined when they can. */
export function cgroupsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not running as root";
  const v1 = "/sys/fs/cgroup/memory/cgroup.procs";
  const v2 = ["/sys/fs/cgroup/cgroup.controllers", "/sys/fs/cgroup/unified/cgroup.controllers"];
  if (existsSync(v1) || v2.some(existsSync)) return undefined;
  return "no cgroup v1 memory hierarchy or cgroup v2 mount";
}

/**
 * The setup most end-to-end suites share: before the suite's tests a cluster (its agent with
 * `agentArgs`) and a started `TestFramework` (named `opts.name`), handed to `ready`; after them
 * both stopped. `opts.before` runs first (e.g. building a Docker image).
 */
export function useClusterWithFramework(
  agentArgs: string[],
  opts: { name?: string; before?: () => Promise<void> },
  ready: (cluster: Cluster, fw: TestFramework) => void,
): void {
  let cluster: Cluster | undefined;
  let fw: TestFramework | undefined;
  beforeAll(async () => {
    await opts.before?.();
    cluster = await startCluster(agentArgs);
    fw = new TestFramework(cluster, ...(opts.name !== undefined ? [opts.name] : []));
    ready(cluster, fw);
    await fw.start();
  }, 90_000);
  afterAll(async () => {
    await fw?.stop();
    await cluster?.stop();
  }, 30_000);
}
