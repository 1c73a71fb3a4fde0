/**
 * The peer, side by side: Slurm (Debian's `slurm-wlm`, slurmctld + slurmd on this machine)
 * running trivial tasks — a job array of N `true` tasks and N single `sbatch` submissions
 * (tasks/s, from the first submission until squeue is empty), and `srun true` latency
 * (p50/p95). `slurmFigures` returns the raw numbers so another benchmark can compute
 * Strata/Slurm ratios.
 *
 * Everything is private to one temp folder: its own munged (own key, own socket), a single-node
 * slurm.conf (cons_tres, one task per CPU, proctrack/linuxproc, task/none, no accounting), state,
 * spool and logs, daemons on free loopback ports. The headline figures are taken with Slurm's
 * throughput tuning (see TUNING in bench/slurm-conf.ts); a short job array under the stock
 * scheduler settings is timed first, for contrast. When the Slurm binaries are missing and we are
 * root it runs `apt-get install -y slurm-wlm` (left installed); the daemons it started are stopped
 * and the folder removed at the end. Slurm trouble never throws: the figures come back as NaN with a note
 * saying why. Every step is bounded in time (quick: about a minute; full: 2–5 minutes).
 *
 * The parts: slurm-install.ts (finding or installing the binaries), slurm-conf.ts (slurm.conf),
 * slurm-cluster.ts (starting and stopping munged, slurmctld, slurmd), slurm-measurements.ts (the
 * phases timed), slurm-run.ts (child processes).
 */
import { rmSync } from "node:fs";
import { type Benchmark, type Figure, percentile } from "./result.ts";
import { type Cluster, retune, startCluster, stopCluster } from "./slurm-cluster.ts";
import { TUNING_NOTE } from "./slurm-conf.ts";
import { ensureSlurm } from "./slurm-install.ts";
import { jobArray, singles, srunLatency } from "./slurm-measurements.ts";
import { killLive, run } from "./slurm-run.ts";

/** What `slurmFigures` measured, or why it could not. */
export type SlurmFigures =
  | {
      arrayTasksPerSecond: number;
      singleTasksPerSecond: number;
      srunP50Ms: number;
      srunP95Ms: number;
      /** tasks/s of a short job array under Slurm's stock scheduler settings, and its size. */
      stockArrayTasksPerSecond: number;
      stockArrayTasks: number;
      /** `slurmctld -V`, e.g. "slurm-wlm 22.05.8". */
      version: string;
      /** The configuration measured, in words. */
      config: string;
      /** How many `srun true` runs the percentiles are over. */
      srunRuns: number;
      /** Anything partial (a phase that ran out of time, tasks that did not complete). */
      note?: string;
    }
  | { unavailable: string };

const GROUP = "slurm";

/**
 * Installs Slurm (when missing and root), starts a private single-node Slurm and measures, with
 * the throughput tuning (bench/slurm-conf.ts): a job array of `tasks` `true` tasks and `tasks` single
 * `sbatch --wrap true` submissions (both tasks/s, from the first submission until squeue is
 * empty), and `srun true` latency on an idle node (p50/p95 over 50 runs, 20 with `quick`).
 * Before tuning, it also times a short job array under Slurm's stock scheduler settings. Never throws for Slurm
 * trouble: it answers `{ unavailable }` instead.
 */
export async function slurmFigures(tasks: number, quick: boolean, log: (s: string) => void = (s) => console.error(s)): Promise<SlurmFigures> {
  let cluster: Cluster | undefined;
  let dir: string | undefined;
  // Should the benchmark be interrupted, take the daemons down with it.
  const onExit = () => {
    killLive();
    if (dir)
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    onExit();
    detach();
    process.kill(process.pid, sig);
  };
  const detach = () => {
    process.removeListener("exit", onExit);
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  };
  process.once("exit", onExit);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    tasks = Math.max(1, Math.floor(tasks));
    const found = await ensureSlurm(log);
    if ("unavailable" in found) return found;
    const version = (await run(found.bins.slurmctld, ["-V"], { timeoutMs: 5000 })).stdout.trim() || "unknown";
    const started = await startCluster(found.bins, tasks, log, (d) => {
      dir = d;
    });
    if ("unavailable" in started) {
      cluster = started.cluster;
      return { unavailable: started.unavailable };
    }
    const c = (cluster = started);

    const budget = quick ? { stock: 20_000, array: 25_000, single: 30_000, srun: 10_000 } : { stock: 45_000, array: 90_000, single: 120_000, srun: 45_000 };
    const stockTasks = quick ? 10 : 20;
    const srunRuns = quick ? 20 : 50;
    const concurrency = Math.max(2, Math.min(8, c.cpus * 2));

    log(`slurm: job array of ${stockTasks} tasks, stock scheduler settings…`);
    const stock = await jobArray(c, "bench-stock", "stock array", stockTasks, budget.stock);
    const tuneError = await retune(c);
    if (tuneError) return { unavailable: `switching to the tuned config: ${tuneError}` };
    log(`slurm: job array of ${tasks} tasks…`);
    const array = await jobArray(c, "bench-array", "array", tasks, budget.array);
    log(`slurm: ${tasks} single submissions (${concurrency} at a time)…`);
    const single = await singles(c, tasks, budget.single, concurrency);
    log(`slurm: srun true × ${srunRuns}…`);
    const lat = await srunLatency(c, srunRuns, budget.srun);
    return {
      arrayTasksPerSecond: array.perSecond,
      singleTasksPerSecond: single.perSecond,
      srunP50Ms: percentile(lat.sample, 50),
      srunP95Ms: percentile(lat.sample, 95),
      stockArrayTasksPerSecond: stock.perSecond,
      stockArrayTasks: stockTasks,
      version: version + (found.installed ? " (installed by this run)" : ""),
      config: `single node, ${c.cpus} CPUs, cons_tres CR_CPU, proctrack/linuxproc, task/none, no accounting; throughput: ${TUNING_NOTE}, ${concurrency} sbatch at a time`,
      srunRuns: lat.sample.length,
      note: [stock.note, array.note, single.note, lat.note].filter(Boolean).join("; ") || undefined,
    };
  } catch (e) {
    return { unavailable: `Slurm benchmark failed: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    if (cluster) {
      try {
        await stopCluster(cluster);
      } catch {
        /* best effort */
      }
    }
    killLive();
    if (dir)
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    detach();
  }
}

/** The Slurm figures on their own (group "slurm"), NaN with a note when Slurm is unavailable. */
export const slurmBenchmark: Benchmark = async ({ quick }) => {
  const tasks = quick ? 200 : 1000;
  const f = await slurmFigures(tasks, quick);
  const names = {
    array: `job array, ${tasks} × true`,
    single: `single sbatch, ${tasks} × true`,
    p50: "srun true latency p50",
    p95: "srun true latency p95",
    stock: "job array, stock scheduler settings",
  };
  if ("unavailable" in f) {
    const note = `Slurm unavailable: ${f.unavailable}`;
    return [
      { group: GROUP, name: names.array, value: NaN, unit: "tasks/s", note },
      { group: GROUP, name: names.single, value: NaN, unit: "tasks/s", note },
      { group: GROUP, name: names.p50, value: NaN, unit: "ms", note },
      { group: GROUP, name: names.p95, value: NaN, unit: "ms", note },
      { group: GROUP, name: names.stock, value: NaN, unit: "tasks/s", note },
    ];
  }
  const figures: Figure[] = [
    { group: GROUP, name: names.array, value: f.arrayTasksPerSecond, unit: "tasks/s", note: `${f.version}; ${f.config}` },
    { group: GROUP, name: names.single, value: f.singleTasksPerSecond, unit: "tasks/s" },
    { group: GROUP, name: `${names.p50} (${f.srunRuns} runs, idle node)`, value: f.srunP50Ms, unit: "ms" },
    { group: GROUP, name: `${names.p95} (${f.srunRuns} runs, idle node)`, value: f.srunP95Ms, unit: "ms" },
    {
      group: GROUP,
      name: `${names.stock}, ${f.stockArrayTasks} × true`,
      value: f.stockArrayTasksPerSecond,
      unit: "tasks/s",
      note: "no SchedulerParameters, no Epilog: pending jobs start on slurmctld's background pass (batch_sched_delay, 3 s)",
    },
  ];
  if (f.note) figures[0]!.note += `; ${f.note}`;
  return figures;
};
