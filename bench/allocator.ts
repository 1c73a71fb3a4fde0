/**
 * The allocator benchmark (issue 3), shaped like Mesos' `HierarchicalAllocator_BENCHMARK_Test`
 * DeclineOffers: A agents × F frameworks, each agent `cpus:2; mem:1024; disk:4096;
 * ports:[31000-32000]`, every agent connected and every framework subscribed.
 *
 * Figures (median of several runs, milliseconds):
 * - **full cycle**: `allocationOffers` over a freshly loaded master view (all agents free, no
 *   tasks, no offers): building the allocator's input from the master's state (the per-view
 *   cache starts cold), the pure `allocate`, and turning its decisions into Mesos `Offer`s —
 *   what the master pays for a cycle after a restart or after every offer was rescinded. The
 *   records are shared the way `MasterCore` shares them (`Interner`): agents declaring the same
 *   resources hold one list;
 * - **allocate() alone**: the pure decision on a prebuilt `AllocationInput`, for comparison;
 * - **incremental cycle**: after a full cycle has offered every agent, one task finishes on one
 *   agent; `allocationOffers` (warm cache: it notices the change and allocates that agent only).
 */

import { type AllocationInput, allocate } from "../master-worker/src/allocator/index.ts";
import { Interner } from "../master-worker/src/core/interner.ts";
import type { AllocationView } from "../master-worker/src/decide/allocation-input-cache.ts";
import { allocationOffers } from "../master-worker/src/decide/allocation-step.ts";
import type { OfferRecord } from "../master-worker/src/decide/view.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../master-worker/src/store/records.ts";
import type { FrameworkInfo, Offer, TaskInfo } from "../schemas/index.ts";
import { parseResources } from "../sdk/src/resources.ts";
import { type Benchmark, type Figure, percentile } from "./result.ts";

const GROUP = "allocator";
const AGENT_RESOURCES = "cpus:2;mem:1024;disk:4096;ports:[31000-32000]";
const FULL_TARGET_MS = 100; // at 10,000 agents × 1,000 frameworks
const INCREMENTAL_TARGET_MS = 5;
const NOW = 1_000_000;

/**
 * A master view as `MasterCore` would hold it, built directly (no store, no HTTP): records go
 * through the master's `Interner` as `MasterCore` loads and commits them, so agents declaring
 * the same resources share one list (and the allocator's per-list work is done once).
 */
interface BenchView extends AllocationView {
  agents: Map<string, AgentRecord>;
  frameworks: Map<string, FrameworkRecord>;
  tasks: Map<string, TaskRecord>;
  offers: Map<string, OfferRecord>;
}

const pad = (i: number) => String(i).padStart(6, "0");

/** A cluster of `agentCount` identical agents and `frameworkCount` subscribed frameworks; `busy` agents run one task using all of it. */
function buildView(agentCount: number, frameworkCount: number, busy = 0): BenchView {
  const interner = new Interner();
  const resources = parseResources(AGENT_RESOURCES);
  const agents = new Map<string, AgentRecord>();
  for (let i = 0; i < agentCount; i++) {
    const id = `bench-S${pad(i)}`;
    agents.set(id, interner.agent({ id, hostname: `host-${i}`, port: 5051, resources: parseResources(AGENT_RESOURCES), attributes: [], registeredAt: 0 }));
  }
  const frameworks = new Map<string, FrameworkRecord>();
  for (let i = 0; i < frameworkCount; i++) {
    const id = `bench-F${pad(i)}`;
    const info: FrameworkInfo = { user: "bench", name: `framework-${i}`, roles: ["*"] };
    frameworks.set(id, { id, info, registeredAt: 0, removed: false });
  }
  const tasks = new Map<string, TaskRecord>();
  for (let i = 0; i < busy; i++) {
    const frameworkId = `bench-F${pad(i % frameworkCount)}`,
      agentId = `bench-S${pad(i)}`,
      taskId = `task-${i}`;
    const info = { name: taskId, task_id: { value: taskId }, agent_id: { value: agentId }, resources } as TaskInfo;
    tasks.set(`${frameworkId}/${taskId}`, interner.task({ frameworkId, taskId, agentId, info, state: "TASK_RUNNING", updatedAt: 0 }));
  }
  return {
    agents,
    frameworks,
    tasks,
    offers: new Map(),
    filters: [],
    suppressed: new Set(),
    suppressedRoles: new Map(),
    agentConnected: () => true,
    agentActive: () => true,
    frameworkConnected: () => true,
  };
}

/** What the master does with a cycle's offers: keep them outstanding. */
function commitOffers(view: BenchView, offers: readonly Offer[]): void {
  for (const offer of offers) view.offers.set(offer.id.value, { offer, createdAt: NOW });
}

let offerSeq = 0;
const nextOfferId = () => `bench-O${++offerSeq}`;

/** Collects garbage first where the runtime allows (Bun), so a run does not pay for the setup's. */
const collectGarbage = () => (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);

function time<T>(f: () => T): [number, T] {
  collectGarbage();
  const t0 = performance.now();
  const out = f();
  return [performance.now() - t0, out];
}

/** The pure allocator's input for an all-free cluster (not timed); the agents share one resource list, as in the master. */
function plainInput(agentCount: number, frameworkCount: number, seed: number): AllocationInput {
  const total = parseResources(AGENT_RESOURCES);
  const agents = Array.from({ length: agentCount }, (_, i) => ({ id: `bench-S${pad(i)}`, total, available: total, active: true }));
  const frameworks = Array.from({ length: frameworkCount }, (_, i) => ({ id: `bench-F${pad(i)}`, role: "*", active: true, suppressed: false, allocated: [] }));
  return { agents, frameworks, filters: [], now: NOW, seed };
}

function figure(name: string, sample: number[], target: number | undefined, note: string): Figure {
  return {
    group: GROUP,
    name,
    value: percentile(sample, 50),
    unit: "ms",
    ...(target !== undefined ? { target: { op: "<=" as const, value: target } } : {}),
    note: `median of ${sample.length} (min ${Math.min(...sample).toFixed(2)}); ${note}`,
  };
}

/** Runs the allocator figures for one cluster size. */
function measure(agentCount: number, frameworkCount: number, reps: number): Figure[] {
  const size = `${agentCount} agents x ${frameworkCount} frameworks`;
  const big = agentCount === 10_000 && frameworkCount === 1_000;
  const out: Figure[] = [];

  // (a) full cycle, as the master runs it, on a freshly loaded view (cold cache)
  const full: number[] = [];
  let offered = 0;
  for (let r = 0; r <= reps; r++) {
    const view = buildView(agentCount, frameworkCount);
    const [ms, offers] = time(() => allocationOffers(view, NOW, r + 1, nextOfferId));
    offered = offers.length;
    if (r > 0) full.push(ms); // the first run warms the JIT up
  }
  out.push(
    figure(
      `full cycle (allocationOffers), ${size}`,
      full,
      big ? FULL_TARGET_MS : undefined,
      `${offered} offers; input from master state + allocate + Offer objects`,
    ),
  );

  // the pure decision alone
  const pure: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const input = plainInput(agentCount, frameworkCount, r + 1);
    const [ms] = time(() => allocate(input));
    if (r > 0) pure.push(ms);
  }
  out.push(figure(`allocate() alone, ${size}`, pure, undefined, "pure decision on a prebuilt input"));

  // (b) incremental: every agent offered, then one task finishes on one agent
  const view = buildView(agentCount, frameworkCount, reps + 1);
  commitOffers(view, allocationOffers(view, NOW, 1, nextOfferId));
  const incremental: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const task = [...view.tasks.values()].find((t) => t.state === "TASK_RUNNING")!;
    view.tasks.set(`${task.frameworkId}/${task.taskId}`, { ...task, state: "TASK_FINISHED", updatedAt: NOW });
    const [ms, offers] = time(() => allocationOffers(view, NOW, r + 2, nextOfferId));
    if (offers.length !== 1 || offers[0]!.agent_id.value !== task.agentId)
      throw new Error(`incremental cycle: expected one offer for ${task.agentId}, got ${offers.length}`);
    commitOffers(view, offers);
    if (r > 0) incremental.push(ms);
  }
  out.push(
    figure(`incremental cycle (1 task finished), ${size}`, incremental, INCREMENTAL_TARGET_MS, `${agentCount - reps - 1} agents hold outstanding offers`),
  );
  return out;
}

/** The allocator benchmark: full and incremental cycles over the DeclineOffers cluster sizes. */
export const allocatorBenchmark: Benchmark = async ({ quick }) => {
  const agentCounts = quick ? [1_000, 10_000] : [1_000, 5_000, 10_000, 20_000];
  const frameworkCounts = [100, 1_000];
  const reps = quick ? 5 : 9;
  const figures: Figure[] = [];
  for (const a of agentCounts) for (const f of frameworkCounts) figures.push(...measure(a, f, reps));
  return figures;
};
