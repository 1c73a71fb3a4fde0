/**
 * Launch throughput and latency through the local master: hollow agents (the real agent core
 * with a fake executor, `--hollow N`) and the benchmark framework launching M tasks.
 * Tasks/s launched and finished, ACCEPT→RUNNING and ACCEPT→FINISHED p50/p99, and the
 * requests per second the master served meanwhile.
 */
import { waitForAgents, withTempCluster } from "../scripts/cluster-processes.ts";
import { authorizationHeader } from "../sdk/src/auth.ts";
import { parseResources } from "../sdk/src/resources.ts";
import { launchTasks } from "./launch-driver.ts";
import type { Benchmark, Figure } from "./result.ts";

async function requestsServed(master: string, auth: string): Promise<number> {
  const m = await fetch(`${master}/metrics/snapshot`, { headers: { authorization: auth } }).then((r) => r.json() as Promise<Record<string, number>>);
  return m["master/http_requests"] ?? NaN;
}

/** One run: `agents` hollow agents, `tasks` tasks of cpus 0.01 / mem 8 each running `taskMs`. */
export function hollowLaunchRun(agents: number, tasks: number, taskMs: number) {
  const agentArgs = ["--hollow", String(agents), "--hollow-task-ms", String(taskMs)];
  return withTempCluster({ name: "bench-launch", agentArgs }, async ({ url, secrets }) => {
    const auth = authorizationHeader({ principal: secrets.principal, secret: secrets.secret })!;
    await waitForAgents(url, secrets, agents, 120_000);
    const before = await requestsServed(url, auth);
    const t0 = performance.now();
    const run = await launchTasks({
      master: url, principal: secrets.principal, secret: secrets.secret, count: tasks,
      resources: parseResources("cpus:0.01;mem:8"), shell: "true", timeoutMs: 300_000,
    });
    const seconds = (performance.now() - t0) / 1000;
    const served = (await requestsServed(url, auth)) - before;
    return { ...run, requestsPerSecond: served / seconds };
  });
}

export const launchBenchmark: Benchmark = async ({ quick }) => {
  const figures: Figure[] = [];
  const shapes: Array<[number, number]> = quick ? [[100, 1_000]] : [[100, 5_000], [1_000, 5_000]];
  for (const [agents, tasks] of shapes) {
    const r = await hollowLaunchRun(agents, tasks, 100);
    const g = "launch (hollow agents)";
    const label = `${agents} agents, ${tasks} tasks`;
    const note = r.failed ? `${r.failed} tasks failed or unfinished` : undefined;
    figures.push(
      { group: g, name: `${label}: launched (RUNNING) per second`, value: r.launchedPerSecond, unit: "tasks/s", target: { op: ">=", value: 2000 }, ...(note ? { note } : {}) },
      { group: g, name: `${label}: finished per second`, value: r.finishedPerSecond, unit: "tasks/s" },
      { group: g, name: `${label}: ACCEPT→RUNNING p50 / p99`, value: r.runningP50Ms, unit: `ms (p99 ${r.runningP99Ms.toFixed(0)} ms)` },
      { group: g, name: `${label}: ACCEPT→FINISHED p50 / p99`, value: r.finishedP50Ms, unit: `ms (p99 ${r.finishedP99Ms.toFixed(0)} ms)` },
      { group: g, name: `${label}: master requests served per second`, value: r.requestsPerSecond, unit: "req/s" },
    );
  }
  return figures;
};
