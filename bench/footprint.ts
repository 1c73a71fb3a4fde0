/**
 * Footprint: the agent binary's size and an idle agent's RSS (real master, real agent), the
 * master's in-memory state holding 10,000 agents and 100,000 tasks (the `MasterCore` a Durable
 * Object keeps), and the SQLite bytes per agent and per task (the master's own `SqlStore`
 * schema, run over bun:sqlite).
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MasterCore, type Outbox } from "../master-worker/src/core/master-core.ts";
import { readConfig } from "../master-worker/src/model/config.ts";
import { MemoryStore } from "../master-worker/src/store/memory-store.ts";
import type { AgentRecord, Change, FrameworkRecord, TaskRecord } from "../master-worker/src/store/records.ts";
import { SqlStore } from "../master-worker/src/store/sql-store.ts";
import { AGENT_BINARY, ensureAgentBinary, withTempCluster } from "../scripts/cluster-processes.ts";
import { parseResources } from "../sdk/src/resources.ts";
import type { Benchmark, Figure } from "./result.ts";

const AGENT_RESOURCES = parseResources("cpus:2;mem:1024;disk:4096;ports:[31000-32000]");
const TASK_RESOURCES = parseResources("cpus:0.1;mem:32");
const MB = 1024 * 1024;

/** Synthetic records shaped like what a busy cluster holds. */
export function records(agents: number, tasks: number, frameworks = 100) {
  const a: AgentRecord[] = Array.from({ length: agents }, (_, i) => ({
    id: `bench-agent-${i}-S0`,
    hostname: `host-${i}.bench`,
    port: 5051,
    resources: AGENT_RESOURCES,
    attributes: [{ name: "rack", type: "TEXT", text: { value: `r${i % 40}` } }],
    version: "0.1.0",
    registeredAt: 1_700_000_000_000,
    tokenHash: "f".repeat(64),
  }));
  const f: FrameworkRecord[] = Array.from({ length: frameworks }, (_, i) => ({
    id: `bench-fw-${i}-0000`,
    info: { user: "root", name: `fw-${i}`, id: { value: `bench-fw-${i}-0000` } },
    registeredAt: 1_700_000_000_000,
    removed: false,
  }));
  const t: TaskRecord[] = Array.from({ length: tasks }, (_, i) => {
    const frameworkId = f[i % frameworks]!.id,
      agentId = a[i % agents]!.id,
      taskId = `task-${i}`;
    return {
      frameworkId,
      taskId,
      agentId,
      state: "TASK_RUNNING",
      updatedAt: 1_700_000_000_000,
      info: { name: taskId, task_id: { value: taskId }, agent_id: { value: agentId }, resources: TASK_RESOURCES, command: { value: "sleep 3600" } },
      status: {
        task_id: { value: taskId },
        state: "TASK_RUNNING",
        source: "SOURCE_EXECUTOR",
        agent_id: { value: agentId },
        timestamp: 1_700_000_000,
        uuid: "AAAAAAAAAAAAAAAAAAAAAA==",
      },
    };
  });
  return { a, f, t };
}

const changesOf = (r: ReturnType<typeof records>): Change[] => [
  ...r.a.map((put) => ({ table: "agents", put }) as Change),
  ...r.f.map((put) => ({ table: "frameworks", put }) as Change),
  ...r.t.map((put) => ({ table: "tasks", put }) as Change),
];

const heapUsed = () => {
  Bun.gc(true);
  return process.memoryUsage().heapUsed;
};

/** Heap the master's in-memory state takes for `agents` agents and `tasks` tasks. */
function masterHeap(agents: number, tasks: number): number {
  const store = new MemoryStore();
  store.commit(changesOf(records(agents, tasks)));
  const outbox: Outbox = { send() {}, close() {}, wakeAgent() {} };
  const before = heapUsed();
  const core = new MasterCore({
    store,
    config: readConfig({}),
    outbox,
    now: Date.now(),
    entropy: { uuid: () => crypto.randomUUID(), bytes16: () => "AAAAAAAAAAAAAAAAAAAAAA==" },
    masterInfo: { id: "bench", ip: 0, port: 0 },
  });
  const after = heapUsed();
  if (core.tasks.size !== tasks) throw new Error("master state not loaded");
  return after - before;
}

/** The Durable Object storage API the SqlStore uses, over bun:sqlite. */
function sqliteStorage(db: Database): DurableObjectStorage {
  const sql = {
    exec(query: string, ...params: unknown[]) {
      if (/^\s*select/i.test(query)) {
        const rows = db.query(query).all(...(params as never[]));
        return { toArray: () => rows };
      }
      if (params.length) db.query(query).run(...(params as never[]));
      else db.run(query);
      return { toArray: () => [] };
    },
  };
  return { sql, transactionSync: <T>(fn: () => T) => db.transaction(fn)() } as unknown as DurableObjectStorage;
}

/** SQLite bytes per agent and per task, with the master's schema. */
function sqliteBytes(agents: number, tasks: number): { perAgent: number; perTask: number } {
  const dir = mkdtempSync(join(tmpdir(), "strata-bench-sql-"));
  const size = (n: number, t: number) => {
    const file = join(dir, `s-${n}-${t}.sqlite`);
    const db = new Database(file);
    const store = new SqlStore(sqliteStorage(db));
    store.commit(changesOf(records(n, t)));
    db.run("VACUUM");
    db.close();
    return statSync(file).size;
  };
  try {
    const base = size(0, 0);
    const withAgents = size(agents, 0);
    const withTasks = size(agents, tasks);
    return { perAgent: (withAgents - base) / agents, perTask: (withTasks - withAgents) / tasks };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RSS of a real agent idling against a real master for a few seconds. */
function idleAgentRss(): Promise<number> {
  return withTempCluster({ name: "bench-idle", agentArgs: ["--cgroups", "off"] }, async ({ agent }) => {
    await new Promise((r) => setTimeout(r, 8000));
    const status = readFileSync(`/proc/${agent.child.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
  });
}

export const footprintBenchmark: Benchmark = async ({ quick }) => {
  ensureAgentBinary();
  const figures: Figure[] = [];
  const g = "footprint";
  figures.push({ group: g, name: "agent binary size", value: statSync(AGENT_BINARY).size / MB, unit: "MB" });
  figures.push({ group: g, name: "idle agent RSS", value: (await idleAgentRss()) / MB, unit: "MB", target: { op: "<=", value: 40 } });
  const [agents, tasks] = quick ? [1_000, 10_000] : [10_000, 100_000];
  const heap = masterHeap(agents, tasks);
  figures.push({
    group: g,
    name: `master state in memory, ${agents} agents + ${tasks} tasks`,
    value: heap / MB,
    unit: "MB",
    ...(quick ? {} : { target: { op: "<=", value: 128 } }),
    note: "MasterCore heap; a Durable Object has 128 MB",
  });
  const sql = sqliteBytes(quick ? 500 : 2_000, quick ? 5_000 : 20_000);
  figures.push({ group: g, name: "SQLite bytes per agent", value: Math.round(sql.perAgent), unit: "B" });
  figures.push({ group: g, name: "SQLite bytes per task", value: Math.round(sql.perTask), unit: "B" });
  return figures;
};
