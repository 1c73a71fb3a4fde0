/**
 * Reading the whole state of a large cluster: `/master/state` for 10,000 agents and 100,000
 * tasks, served by the master's own read path (snapshot, then the document streamed in chunks
 * that yield to the event loop), while "other work" — a timer standing for allocation runs and
 * agent polls, each one reading the master — keeps trying to run every millisecond. Reports the
 * time to serve the document, the longest the other work waited during it, the synchronous
 * snapshot, the operator API's GET_STATE served the same way, and, for comparison, how long building the document in one go (as Mesos' master
 * does) would hold everything else up.
 */

import { MasterCore, type Outbox } from "../master-worker/src/core/master-core.ts";
import { serveOperatorRead, serveRead } from "../master-worker/src/edge/read-routes.ts";
import { readConfig } from "../master-worker/src/model/config.ts";
import { takeSnapshot } from "../master-worker/src/read/read-snapshot.ts";
import { stateParts } from "../master-worker/src/read/state-json.ts";
import { MemoryStore } from "../master-worker/src/store/memory-store.ts";
import type { Change } from "../master-worker/src/store/records.ts";
import { records } from "./footprint.ts";
import type { Benchmark, Figure } from "./result.ts";

const MB = 1024 * 1024;
/** The principal the benchmark reads as: an operator, so the documents hold the whole cluster. */
const BENCH_OPERATOR = "bench";

/** A master holding `agents` connected agents and `tasks` running tasks. */
function bigMaster(agents: number, tasks: number): MasterCore {
  const r = records(agents, tasks);
  const store = new MemoryStore();
  store.commit([
    ...r.a.map((put) => ({ table: "agents", put }) as Change),
    ...r.f.map((put) => ({ table: "frameworks", put }) as Change),
    ...r.t.map((put) => ({ table: "tasks", put }) as Change),
  ]);
  const outbox: Outbox = { send() {}, close() {}, wakeAgent() {} };
  const now = Date.now();
  const core = new MasterCore({
    store,
    // The reader is an operator: it sees the whole cluster (README "Secure defaults").
    config: readConfig({ STRATA_OPERATORS: BENCH_OPERATOR }),
    outbox,
    now,
    entropy: { uuid: () => crypto.randomUUID(), bytes16: () => "AAAAAAAAAAAAAAAAAAAAAA==" },
    masterInfo: { id: "bench", ip: 0, port: 5050, hostname: "bench" },
  });
  for (const a of r.a) core.pollHeld(a.id, 1, now); // every agent inside a held poll: connected
  return core;
}

/** Serves a document (`/master/state` by default) while a 1 ms timer does a little master work; returns the figures. */
async function serveWhileWorking(core: MasterCore, serve = () => serveRead(core, "/state", new URLSearchParams(), BENCH_OPERATOR, Date.now())!) {
  const agentIds = [...core.agents.keys()];
  let last = performance.now(),
    longest = 0,
    ran = 0;
  const timer = setInterval(() => {
    const t = performance.now();
    longest = Math.max(longest, t - last);
    last = t;
    core.pending(agentIds[ran++ % agentIds.length]!, 0); // what an agent poll reads
  }, 1);
  await new Promise((r) => setTimeout(r, 20)); // let the timer settle
  longest = 0;
  const t0 = performance.now();
  const res = serve();
  const syncMs = performance.now() - t0;
  let bytes = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
  }
  const totalMs = performance.now() - t0;
  clearInterval(timer);
  return { syncMs, totalMs, longest, bytes, ran };
}

/** Building the same document in one synchronous go: the stall a non-streaming master causes. */
function wholeDocumentMs(core: MasterCore): number {
  const t0 = performance.now();
  const text = [...stateParts(takeSnapshot(core), { masterInfo: core.masterInfo, startedAt: core.startedAt, cluster: "bench" })].join("");
  if (text.length === 0) throw new Error("empty document");
  return performance.now() - t0;
}

export const stateReadBenchmark: Benchmark = async ({ quick }) => {
  const g = "state";
  const [agents, tasks] = quick ? [1_000, 10_000] : [10_000, 100_000];
  const core = bigMaster(agents, tasks);
  const size = `${agents} agents + ${tasks} tasks`;
  await serveWhileWorking(core); // warm up (JIT)
  const r = await serveWhileWorking(core);
  const whole = wholeDocumentMs(core);
  const v1 = await serveWhileWorking(core, () => serveOperatorRead(core, "GET_STATE", BENCH_OPERATOR)!);
  const figures: Figure[] = [
    { group: g, name: `/master/state served, ${size}`, value: r.totalMs, unit: "ms", note: `${(r.bytes / MB).toFixed(1)} MB streamed in ~64 KB chunks` },
    {
      group: g,
      name: "longest stall of other work while serving",
      value: r.longest,
      unit: "ms",
      target: { op: "<=", value: 50 },
      note: `${r.ran} timer turns ran meanwhile`,
    },
    { group: g, name: "synchronous part (references copied, first step grouped)", value: r.syncMs, unit: "ms" },
    {
      group: g,
      name: `operator GET_STATE served, ${size}`,
      value: v1.totalMs,
      unit: "ms",
      note: `${(v1.bytes / MB).toFixed(1)} MB; longest stall ${v1.longest.toFixed(1)} ms`,
    },
    { group: g, name: "same document built in one go (the stall without streaming)", value: whole, unit: "ms" },
  ];
  return figures;
};
