/**
 * The peer, side by side in the same run: Slurm on this machine (bench/slurm.ts) and Strata's
 * real agent (bench/processes.ts) running the same number of `true` tasks, with the ratios
 * Strata/Slurm for throughput and for per-task latency (srun true vs ACCEPT→FINISHED).
 */
import { realProcessRuns } from "./processes.ts";
import type { Benchmark, Figure } from "./result.ts";
import { slurmFigures } from "./slurm.ts";

export const peerBenchmark: Benchmark = async ({ quick }) => {
  const tasks = quick ? 200 : 1000;
  const strata = await realProcessRuns({ latencyTasks: quick ? 50 : 200, throughputTasks: tasks });
  const slurm = await slurmFigures(tasks, quick);
  const g = "Strata vs Slurm";
  const figures: Figure[] = [
    { group: g, name: `Strata: ${tasks} 'true' tasks, finished per second`, value: strata.throughput.finishedPerSecond, unit: "tasks/s" },
    { group: g, name: "Strata: ACCEPT→FINISHED p50 (one at a time)", value: strata.latency.finishedP50Ms, unit: "ms" },
  ];
  if ("unavailable" in slurm) {
    figures.push({ group: g, name: "Slurm", value: NaN, unit: "", note: `not measured: ${slurm.unavailable}` });
    return figures;
  }
  figures.push(
    { group: g, name: `Slurm: job array of ${tasks}, per second`, value: slurm.arrayTasksPerSecond, unit: "tasks/s", note: slurm.config },
    { group: g, name: `Slurm: ${tasks} single sbatch, per second`, value: slurm.singleTasksPerSecond, unit: "tasks/s" },
    {
      group: g,
      name: "Slurm: job array, stock scheduler settings",
      value: slurm.stockArrayTasksPerSecond,
      unit: "tasks/s",
      note: `${slurm.stockArrayTasks} tasks`,
    },
    { group: g, name: "Slurm: srun true p50 / p95", value: slurm.srunP50Ms, unit: `ms (p95 ${slurm.srunP95Ms.toFixed(0)} ms)` },
    {
      group: g,
      name: "ratio Strata/Slurm tasks per second (vs job array)",
      value: strata.throughput.finishedPerSecond / slurm.arrayTasksPerSecond,
      unit: "x",
      target: { op: ">=", value: 1 },
    },
    { group: g, name: "ratio Slurm srun p50 / Strata ACCEPT→FINISHED p50", value: slurm.srunP50Ms / strata.latency.finishedP50Ms, unit: "x" },
  );
  return figures;
};
