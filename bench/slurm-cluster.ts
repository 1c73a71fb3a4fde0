/**
 * The benchmark's private single-node Slurm (bench/slurm.ts): `startCluster` makes a temp folder
 * with its own munged (own key, own socket), slurmctld and slurmd on free loopback ports,
 * `retune` switches it to the throughput tuning, `stopCluster` stops the daemons and removes the
 * folder; plus the squeue/sinfo queries the measurements poll.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { freePort } from "../scripts/cluster-processes.ts";
import { type ConfOpts, slurmConf } from "./slurm-conf.ts";
import { type Bin, currentUser } from "./slurm-install.ts";
import { type Daemon, isRunning, lastLine, logTail, run, sleep, startDaemon, stopDaemon, until } from "./slurm-run.ts";

/** A running private Slurm: its folder and config, the environment for its commands, its daemons (munged, slurmctld, slurmd). */
export interface Cluster {
  dir: string;
  conf: string;
  env: NodeJS.ProcessEnv;
  bins: Record<Bin, string>;
  daemons: Daemon[];
  user: string;
  cpus: number;
  confOpts: ConfOpts;
}

/** The node's state as sinfo reports it ("idle", "mixed", …), or why sinfo failed. */
export async function nodeIdle(bins: Record<Bin, string>, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await run(bins.sinfo, ["-h", "-N", "-n", "localhost", "-o", "%T"], { env, timeoutMs: 5000 });
  return r.code === 0 ? r.stdout.trim() : `sinfo failed: ${lastLine(r.stderr)}`;
}

/**
 * Starts munged, slurmctld and slurmd under a new temp folder (passed to `onDir` at once, so it
 * can be removed on interruption) with the stock config, and waits for the node to come up.
 * Trouble answers `{ unavailable }`, with the cluster so far for `stopCluster`.
 */
export async function startCluster(
  bins: Record<Bin, string>,
  maxJobs: number,
  log: (s: string) => void,
  onDir: (dir: string) => void,
): Promise<Cluster | { unavailable: string; cluster?: Cluster }> {
  const dir = mkdtempSync(join(tmpdir(), "strata-slurm-"));
  onDir(dir);
  chmodSync(dir, 0o700);
  for (const d of ["state", "spool", "work"]) mkdirSync(join(dir, d), { mode: 0o700 });
  writeFileSync(join(dir, "epilog.sh"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const conf = join(dir, "slurm.conf");
  const user = await currentUser();
  const n = cpus().length || 1;
  const confOpts: ConfOpts = {
    ctldPort: await freePort(),
    slurmdPort: await freePort(),
    user,
    cpus: n,
    maxJobs,
    memMb: Math.max(256, Math.floor((totalmem() / 1024 / 1024) * 0.9)),
  };
  writeFileSync(conf, slurmConf(dir, confOpts, false));
  // A clean environment for Slurm's commands: our config, no inherited job context.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SLURM|SBATCH|SRUN|SALLOC|SQUEUE|SINFO)_/.test(k)));
  env.SLURM_CONF = conf;
  const cluster: Cluster = { dir, conf, env, bins, daemons: [], user, cpus: n, confOpts };

  // munged: our own key and socket, so nothing of the machine's munge is touched or needed.
  const key = join(dir, "munge.key");
  writeFileSync(key, randomBytes(1024), { mode: 0o600 });
  const sock = join(dir, "munge.socket");
  const mungeLog = join(dir, "munged.log");
  const munged = startDaemon(
    "munged",
    bins.munged,
    [
      "-F",
      "--force",
      `--socket=${sock}`,
      `--key-file=${key}`,
      `--pid-file=${join(dir, "munged.pid")}`,
      `--log-file=${mungeLog}`,
      `--seed-file=${join(dir, "munged.seed")}`,
      "--num-threads=4",
    ],
    env,
    join(dir, "munged.out"),
  );
  cluster.daemons.push(munged);
  if (
    !(await until(
      () => existsSync(sock),
      10_000,
      () => !isRunning(munged),
    ))
  ) {
    return { unavailable: `munged did not start: ${logTail(mungeLog)} ${logTail(join(dir, "munged.out"))}`, cluster };
  }

  log("slurm: starting slurmctld and slurmd…");
  const ctld = startDaemon("slurmctld", bins.slurmctld, ["-D", "-i", "-f", conf], env, join(dir, "slurmctld.out"));
  const slurmd = startDaemon("slurmd", bins.slurmd, ["-D", "-N", "localhost", "-f", conf], env, join(dir, "slurmd.out"));
  cluster.daemons.push(ctld, slurmd);
  let state = "";
  const up = await until(
    async () => /^(idle|mixed|allocated)$/.test((state = await nodeIdle(bins, env))),
    60_000,
    () => !isRunning(ctld) || !isRunning(slurmd),
    250,
  );
  if (!up) {
    const why = !isRunning(ctld)
      ? `slurmctld exited: ${logTail(join(dir, "slurmctld.log"))} ${logTail(join(dir, "slurmctld.out"))}`
      : !isRunning(slurmd)
        ? `slurmd exited: ${logTail(join(dir, "slurmd.log"))} ${logTail(join(dir, "slurmd.out"))}`
        : `the node did not come up idle within 60 s (state "${state}"): ${logTail(join(dir, "slurmctld.log"))}`;
    return { unavailable: why, cluster };
  }
  return cluster;
}

/** Switches the running cluster to the tuned config (`scontrol reconfigure`). */
export async function retune(c: Cluster): Promise<string | undefined> {
  writeFileSync(c.conf, slurmConf(c.dir, c.confOpts, true));
  const r = await run(c.bins.scontrol, ["reconfigure"], { env: c.env, timeoutMs: 20_000 });
  if (r.code !== 0) return `scontrol reconfigure failed: ${lastLine(r.stderr)}`;
  const shown = await run(c.bins.scontrol, ["show", "config"], { env: c.env, timeoutMs: 10_000 });
  if (!/SchedulerParameters\s*=\s*batch_sched_delay=0/.test(shown.stdout)) return "the tuned config did not take effect";
  let state = "";
  if (!(await until(async () => (state = await nodeIdle(c.bins, c.env)) === "idle", 20_000, undefined, 250)))
    return `node not idle after reconfigure ("${state}")`;
  return undefined;
}

/** Cancels anything still queued, stops slurmd, slurmctld and munged, and removes the folder. */
export async function stopCluster(c: Cluster): Promise<void> {
  const [munged, ctld, slurmd] = c.daemons;
  // Nothing of ours should still be queued; if something is, cancel it so the slurmstepd
  // processes end before their slurmd does.
  if (ctld && isRunning(ctld) && (await queued(c)) !== 0) {
    await run(c.bins.scancel, ["--user", c.user], { env: c.env, timeoutMs: 5000 });
    await until(async () => (await queued(c)) === 0, 10_000, undefined, 250);
  }
  if (slurmd) await stopDaemon(slurmd);
  if (ctld) await stopDaemon(ctld);
  if (munged) await stopDaemon(munged);
  try {
    rmSync(c.dir, { recursive: true, force: true });
  } catch {
    /* best effort */
  }
}

/** Jobs pending, running or completing (squeue's default states); -1 when squeue fails. */
export async function queued(c: Cluster): Promise<number> {
  const r = await run(c.bins.squeue, ["-h", "-r", "-o", "%i"], { env: c.env, timeoutMs: 10_000 });
  if (r.code !== 0) return -1;
  return r.stdout.split("\n").filter((l) => l.trim()).length;
}

/** How many of the jobs named `name` slurmctld holds as COMPLETED (it keeps them MinJobAge, 300 s). */
export async function completed(c: Cluster, name: string): Promise<number> {
  const r = await run(c.bins.squeue, ["-h", "-r", "-t", "all", "-n", name, "-o", "%T"], { env: c.env, timeoutMs: 10_000 });
  return r.stdout.split("\n").filter((l) => l.trim() === "COMPLETED").length;
}

/** Waits until the queue is empty; the elapsed ms since `t0`, or undefined past `deadline`. */
export async function drain(c: Cluster, t0: number, deadline: number): Promise<number | undefined> {
  for (;;) {
    const n = await queued(c);
    const now = performance.now();
    if (n === 0) return now - t0;
    if (now >= deadline) return undefined;
    await sleep(200); // each poll is an squeue process: keep them off the CPUs the jobs need
  }
}
