/**
 * Launch throughput and latency through the local master: hollow agents (the real agent core
 * with a fake executor, `--hollow N`) and the benchmark framework launching M tasks.
 * Tasks/s launched and finished, ACCEPT→RUNNING and ACCEPT→FINISHED p50/p99, and the
 * requests per second the master served meanwhile.
 */
import { type LocalSecrets, masterMetrics, waitForAgents, withTempCluster } from "../scripts/cluster-processes.ts";
import { parseResources } from "../sdk/src/resources.ts";
import { launchTasks } from "./launch-driver.ts";
import type { Benchmark, Figure } from "./result.ts";

/** The master's request counters: `master/http_requests` and one per API. */
async function requestsServed(master: string, secrets: LocalSecrets): Promise<Record<string, number>> {
  const m = await masterMetrics(master, secrets);
  return Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith("master/http_requests") || k.startsWith("master/scheduler_calls")));
}

/** Requests per task by API between two counter readings, e.g. "poll 0.21, status 0.40". */
function perTask(before: Record<string, number>, after: Record<string, number>, tasks: number): string {
  return Object.entries(after)
    .filter(([k]) => k !== "master/http_requests")
    .map(([k, v]) => [k.replace("master/http_requests_", "").replace("master/scheduler_calls_", "scheduler "), (v - (before[k] ?? 0)) / tasks] as const)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(", ");
}

/** One run: `agents` hollow agents, `tasks` tasks of cpus 0.01 / mem 8 each running `taskMs`. */
export function hollowLaunchRun(agents: number, tasks: number, taskMs: number) {
  const agentArgs = ["--hollow", String(agents), "--hollow-task-ms", String(taskMs)];
  return withTempCluster({ name: "bench-launch", agentArgs }, async ({ url, secrets }) => {
    await waitForAgents(url, secrets, agents, 120_000);
    const before = await requestsServed(url, secrets);
    const t0 = performance.now();
    const run = await launchTasks({
      master: url,
      principal: secrets.principal,
      secret: secrets.secret,
      count: tasks,
      resources: parseResources("cpus:0.01;mem:8"),
      shell: "true",
      timeoutMs: 300_000,
    });
    const seconds = (performance.now() - t0) / 1000;
    const after = await requestsServed(url, secrets);
    const served = (after["master/http_requests"] ?? NaN) - (before["master/http_requests"] ?? NaN);
    return { ...run, requestsPerSecond: served / seconds, requestsPerTask: served / tasks, byApi: perTask(before, after, tasks) };
  });
}

export const launchBenchmark: Benchmark = async ({ quick }) => {
  const figures: Figure[] = [];
  const shapes: Array<[number, number]> = quick
    ? [[100, 1_000]]
    : [
        [100, 5_000],
        [1_000, 5_000],
      ];
  for (const [agents, tasks] of shapes) {
    const r = await hollowLaunchRun(agents, tasks, 100);
    const g = "launch (hollow agents)";
    const label = `${agents} agents, ${tasks} tasks`;
    const note = r.failed ? `${r.failed} tasks failed or unfinished` : undefined;
    figures.push(
      {
        group: g,
        name: `${label}: launched (RUNNING) per second`,
        value: r.launchedPerSecond,
        unit: "tasks/s",
        target: { op: ">=", value: 2000 },
        ...(note ? { note } : {}),
      },
      { group: g, name: `${label}: finished per second`, value: r.finishedPerSecond, unit: "tasks/s" },
      { group: g, name: `${label}: ACCEPT→RUNNING p50 / p99`, value: r.runningP50Ms, unit: `ms (p99 ${r.runningP99Ms.toFixed(0)} ms)` },
      { group: g, name: `${label}: ACCEPT→FINISHED p50 / p99`, value: r.finishedP50Ms, unit: `ms (p99 ${r.finishedP99Ms.toFixed(0)} ms)` },
      { group: g, name: `${label}: master requests served per second`, value: r.requestsPerSecond, unit: "req/s" },
      { group: g, name: `${label}: master requests per task`, value: r.requestsPerTask, unit: "req", note: r.byApi },
    );
  }
  return figures;
};
