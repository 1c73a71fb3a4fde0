/**
 * The Slurm benchmark's measurements (bench/slurm.ts), each on a running private cluster and
 * bounded by its budget: a job array of `true` tasks and single `sbatch` submissions (tasks/s,
 * from the first submission until squeue is empty), and `srun true` latency on an idle node.
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { type Cluster, completed, drain, nodeIdle, queued } from "./slurm-cluster.ts";
import { lastLine, run, until } from "./slurm-run.ts";

/** A throughput phase's tasks/s, and what went partly wrong, if anything. */
export interface Phase {
  perSecond: number;
  note?: string;
}

const sbatchArgs = (c: Cluster, name: string) => ["--parsable", "-o", "/dev/null", "-e", "/dev/null", "-D", join(c.dir, "work"), "-J", name];

/** tasks/s for a phase of `tasks` jobs named `name` started at `t0`; cancels leftovers on a timeout. */
async function phaseResult(c: Cluster, what: string, name: string, tasks: number, t0: number, elapsed: number | undefined, budgetMs: number): Promise<Phase> {
  const ms = elapsed ?? performance.now() - t0;
  const done = await completed(c, name);
  if (elapsed === undefined) {
    await run(c.bins.scancel, ["--user", c.user], { env: c.env, timeoutMs: 5000 });
    await until(async () => (await queued(c)) === 0, 15_000, undefined, 250);
    return { perSecond: done / (ms / 1000), note: `${what}: ran out of its ${Math.round(budgetMs / 1000)} s; ${done} of ${tasks} completed (rate over those)` };
  }
  return { perSecond: tasks / (ms / 1000), note: done < tasks ? `${what}: only ${done} of ${tasks} ended COMPLETED` : undefined };
}

/** tasks/s of one `sbatch --array` of `tasks` `true` tasks named `name`, until squeue is empty. */
export async function jobArray(c: Cluster, name: string, what: string, tasks: number, budgetMs: number): Promise<Phase> {
  const t0 = performance.now();
  const r = await run(c.bins.sbatch, [...sbatchArgs(c, name), `--array=0-${tasks - 1}`, "--wrap", "true"], { env: c.env, timeoutMs: 30_000 });
  if (r.code !== 0) return { perSecond: NaN, note: `${what}: sbatch --array failed: ${lastLine(r.stderr)}` };
  const elapsed = await drain(c, t0, t0 + budgetMs);
  return phaseResult(c, what, name, tasks, t0, elapsed, budgetMs);
}

/** tasks/s of `tasks` single `sbatch --wrap true` submissions, `concurrency` at a time, until squeue is empty. */
export async function singles(c: Cluster, tasks: number, budgetMs: number, concurrency: number): Promise<Phase> {
  const name = "bench-single",
    what = "single submissions";
  const t0 = performance.now();
  const deadline = t0 + budgetMs;
  let next = 0,
    failed = 0,
    firstError = "";
  const submitter = async () => {
    while (next < tasks && performance.now() < deadline) {
      next++;
      const r = await run(c.bins.sbatch, [...sbatchArgs(c, name), "--wrap", "true"], { env: c.env, timeoutMs: 30_000 });
      if (r.code !== 0) {
        failed++;
        firstError ||= lastLine(r.stderr) || (r.timedOut ? "timed out" : `exit ${r.code}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, submitter));
  const elapsed = next - failed < tasks ? undefined : await drain(c, t0, deadline);
  const p = await phaseResult(c, what, name, tasks, t0, elapsed, budgetMs);
  if (failed) p.note = [p.note, `${failed} sbatch calls failed (${firstError})`].filter(Boolean).join("; ");
  return p;
}

/** Wall times of up to `runs` `srun true` (after one warm-up), each on an idle node. */
export async function srunLatency(c: Cluster, runs: number, budgetMs: number): Promise<{ sample: number[]; note?: string }> {
  const args = ["-N1", "-n1", "-J", "bench-srun", "-D", join(c.dir, "work"), "true"];
  await run(c.bins.srun, args, { env: c.env, timeoutMs: 15_000 }); // warm-up, not counted
  const sample: number[] = [];
  const end = performance.now() + budgetMs;
  let failed = 0,
    firstError = "";
  for (let i = 0; i < runs && performance.now() < end; i++) {
    // Each srun on an idle node: otherwise it can find the previous one's allocation still
    // completing (epilog) and queue behind it, which measures the loop, not srun.
    await until(async () => (await nodeIdle(c.bins, c.env)) === "idle", 5000, undefined, 20);
    const r = await run(c.bins.srun, args, { env: c.env, timeoutMs: 15_000 });
    if (r.code === 0) sample.push(r.ms);
    else {
      failed++;
      firstError ||= lastLine(r.stderr) || (r.timedOut ? "timed out" : `exit ${r.code}`);
    }
  }
  const notes: string[] = [];
  if (sample.length < runs) notes.push(`srun: ${sample.length} of ${runs} runs measured`);
  if (failed) notes.push(`${failed} srun calls failed (${firstError})`);
  return { sample, note: notes.join("; ") || undefined };
}
