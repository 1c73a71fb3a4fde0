/**
 * Launch throughput and latency through the local master: hollow agents (the real agent core
 * with a fake executor, `--hollow N`) and the benchmark framework launching M tasks.
 * Tasks/s launched and finished, ACCEPT→RUNNING and ACCEPT→FINISHED p50/p99, and the
 * requests per second the master served meanwhile.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localSecrets, startAgent, startMaster } from "../scripts/cluster-processes.ts";
import { authorizationHeader } from "../sdk/src/auth.ts";
import { parseResources } from "../sdk/src/resources.ts";
import { freePort } from "../scripts/cluster-processes.ts";
import { launchTasks } from "./launch-driver.ts";
import type { Benchmark, Figure } from "./result.ts";

async function requestsServed(master: string, auth: string): Promise<number> {
  const m = await fetch(`${master}/metrics/snapshot`, { headers: { authorization: auth } }).then((r) => r.json() as Promise<Record<string, number>>);
  return m["master/http_requests"] ?? NaN;
}

/** One run: `agents` hollow agents, `tasks` tasks of cpus 0.01 / mem 8 each running `taskMs`. */
export async function hollowLaunchRun(agents: number, tasks: number, taskMs: number) {
  const stateDir = mkdtempSync(join(tmpdir(), "strata-bench-launch-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const master = await startMaster({ port, stateDir });
  const secrets = localSecrets(stateDir);
  const auth = authorizationHeader({ principal: secrets.principal, secret: secrets.secret })!;
  const fleet = startAgent({
    master: url, workDir: join(stateDir, "hollow"), joinToken: secrets.joinToken, logFile: join(stateDir, "hollow.log"),
    extraArgs: ["--hollow", String(agents), "--hollow-task-ms", String(taskMs)],
  });
  try {
    for (let i = 0; i < 240; i++) {
      const state = await fetch(`${url}/master/state`, { headers: { authorization: auth } }).then((r) => r.json() as Promise<{ activated_slaves: number }>);
      if (state.activated_slaves >= agents) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const before = await requestsServed(url, auth);
    const t0 = performance.now();
    const run = await launchTasks({
      master: url, principal: secrets.principal, secret: secrets.secret, count: tasks,
      resources: parseResources("cpus:0.01;mem:8"), shell: "true", timeoutMs: 300_000,
    });
    const seconds = (performance.now() - t0) / 1000;
    const served = (await requestsServed(url, auth)) - before;
    return { ...run, requestsPerSecond: served / seconds };
  } finally {
    await fleet.stop();
    await master.stop();
    if (process.env.STRATA_KEEP_BENCH_STATE) console.error(`bench state kept in ${stateDir}`);
    else rmSync(stateDir, { recursive: true, force: true });
  }
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
