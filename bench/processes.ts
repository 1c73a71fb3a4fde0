/**
 * Real processes: the real master and the real agent binary on this machine running `true`
 * tasks, launched by the benchmark framework. Two runs against one master and one agent:
 * latency (K tasks, one per ACCEPT, the next once the previous is RUNNING and at most 20 per
 * second: ACCEPT→RUNNING and ACCEPT→FINISHED, what the issue's ≤ 50 ms target is about), then
 * throughput (M tasks in ACCEPTs as big as the offers allow: tasks per second). The agent's CPU
 * time per task is measured over each run.
 */
import { withTempCluster } from "../scripts/cluster-processes.ts";
import { parseResources } from "../sdk/src/resources.ts";
import { type LaunchOptions, type LaunchRun, launchTasks } from "./launch-driver.ts";
import { cpuSeconds } from "./proc-cpu.ts";
import type { Benchmark, Figure } from "./result.ts";

/** A run plus the agent's CPU time spent on it, per task. */
export type ProcessRun = LaunchRun & { agentCpuMsPerTask: number };

/** Each task: `true`, small enough that a thousand fit the agent's advertised resources. */
const TASK_RESOURCES = "cpus:0.01;mem:32";
/** Latency run pace: at most 20 ACCEPTs per second. */
const LATENCY_MIN_INTERVAL_MS = 50;
/**
 * Paced tasks run before the latency run and reported apart: the first task after the agent
 * starts pays for its cold start (first cgroup, first spawn, first checkpoint of a task; ~65 ms
 * here against ~25 ms after), which in a run of 50 is its p99 by itself.
 */
const WARMUP_TASKS = 3;

/**
 * Runs `latencyTasks` paced tasks, then `throughputTasks` tasks at full speed, through one real
 * master and one real agent (cgroups on when root).
 */
export async function realProcessRuns(opts: {
  latencyTasks: number;
  throughputTasks: number;
}): Promise<{ warmup: ProcessRun; latency: ProcessRun; throughput: ProcessRun; cgroups: boolean }> {
  const cgroups = process.getuid?.() === 0;
  const options = {
    name: "bench-proc",
    // Offers come back within 10 ms of resources freeing up, so that the paced run is not held
    // to one ACCEPT per allocation interval (1 s by default); ACCEPT→RUNNING does not include it.
    vars: { STRATA_ALLOCATION_INTERVAL_MS: "10" },
    agentArgs: ["--resources", "cpus:64;mem:65536", ...(cgroups ? [] : ["--cgroups", "off"])],
  };
  return withTempCluster(options, async ({ url, secrets, agent }) => {
    const run = async (count: number, extra: Partial<LaunchOptions>): Promise<ProcessRun> => {
      const cpuBefore = cpuSeconds(agent.child.pid!);
      const r = await launchTasks({
        master: url,
        principal: secrets.principal,
        secret: secrets.secret,
        count,
        resources: parseResources(TASK_RESOURCES),
        shell: "true",
        timeoutMs: 240_000,
        idleRefuseSeconds: 3600,
        ...extra,
      });
      const cpu = cpuSeconds(agent.child.pid!) - cpuBefore;
      return { ...r, agentCpuMsPerTask: (cpu * 1000) / Math.max(r.tasks, 1) };
    };
    await new Promise((r) => setTimeout(r, 1500));
    const warmup = await run(WARMUP_TASKS, { pace: { minIntervalMs: LATENCY_MIN_INTERVAL_MS } });
    const latency = await run(opts.latencyTasks, { pace: { minIntervalMs: LATENCY_MIN_INTERVAL_MS } });
    const throughput = await run(opts.throughputTasks, {});
    return { warmup, latency, throughput, cgroups };
  });
}

export const processesBenchmark: Benchmark = async ({ quick }) => {
  const latencyTasks = quick ? 100 : 300;
  const throughputTasks = quick ? 200 : 1000;
  const { warmup: w, latency: l, throughput: t, cgroups } = await realProcessRuns({ latencyTasks, throughputTasks });
  const g = "real processes";
  const where = `one agent, cgroups ${cgroups ? "on" : "off (not root)"}`;
  const failed = (r: LaunchRun) => (r.failed ? `, ${r.failed} failed or unfinished` : "");
  const tNote = `${throughputTasks} 'true' tasks (${TASK_RESOURCES}) in ACCEPTs as big as offers allow, ${where}${failed(t)}`;
  const lNote = `${latencyTasks} 'true' tasks, one per ACCEPT, the next once the previous is RUNNING (≤ ${1000 / LATENCY_MIN_INTERVAL_MS}/s), ${where}${failed(l)}`;
  const figures: Figure[] = [
    { group: g, name: "tasks launched (RUNNING) per second", value: t.launchedPerSecond, unit: "tasks/s", note: tNote },
    { group: g, name: "tasks finished per second", value: t.finishedPerSecond, unit: "tasks/s" },
    { group: g, name: "throughput run: ACCEPT→RUNNING p50 / p99", value: t.runningP50Ms, unit: `ms (p99 ${t.runningP99Ms.toFixed(0)} ms)` },
    { group: g, name: "throughput run: agent CPU time per task", value: t.agentCpuMsPerTask, unit: "ms" },
    { group: g, name: "ACCEPT→RUNNING p50", value: l.runningP50Ms, unit: "ms", note: lNote },
    { group: g, name: "ACCEPT→RUNNING p99", value: l.runningP99Ms, unit: "ms", target: { op: "<=", value: 50 } },
    { group: g, name: "ACCEPT→FINISHED p50", value: l.finishedP50Ms, unit: "ms" },
    { group: g, name: "ACCEPT→FINISHED p99", value: l.finishedP99Ms, unit: "ms" },
    { group: g, name: "latency run: agent CPU time per task", value: l.agentCpuMsPerTask, unit: "ms" },
    {
      group: g,
      name: "first task after the agent starts (cold): ACCEPT→RUNNING",
      value: w.runningSamplesMs[0] ?? NaN,
      unit: "ms",
      note: `${WARMUP_TASKS} warm-up tasks run before the latency run, not counted in it`,
    },
  ];
  return figures;
};
