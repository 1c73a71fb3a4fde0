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
 * throughput tuning (see TUNING); a short job array under the stock scheduler settings is timed
 * first, for contrast. When the Slurm binaries are missing and we are root it runs
 * `apt-get install -y slurm-wlm` (left installed); the daemons it started are stopped and the
 * folder removed at the end. Slurm trouble never throws: the figures come back as NaN with a note
 * saying why. Every step is bounded in time (quick: about a minute; full: 2–5 minutes).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir, totalmem, userInfo } from "node:os";
import { delimiter, join } from "node:path";
import { performance } from "node:perf_hooks";
import { type Benchmark, type Figure, percentile } from "./result.ts";

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
const BINARIES = ["slurmctld", "slurmd", "sbatch", "srun", "squeue", "sinfo", "scancel", "scontrol", "munged"] as const;
type Bin = (typeof BINARIES)[number];

// ---------------------------------------------------------------------------------------------
// Processes

interface RunResult { code: number | null; stdout: string; stderr: string; ms: number; timedOut: boolean }

/** Runs a command to completion (bounded by `timeoutMs`), collecting its output. */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number; cwd?: string }): Promise<RunResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      resolve({ code: -1, stdout: "", stderr: String(e), ms: 0, timedOut: false });
      return;
    }
    let stdout = "", stderr = "", timedOut = false, done = false;
    child.stdout?.on("data", (d) => { stdout += d; });
    child.stderr?.on("data", (d) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; try { child.kill("SIGKILL"); } catch { /* gone */ } }, opts.timeoutMs);
    const finish = (code: number | null, err?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ code, stdout, stderr: err ? stderr + err : stderr, ms: performance.now() - t0, timedOut });
    };
    child.on("error", (e) => finish(-1, String(e)));
    child.on("close", (code) => finish(code));
  });
}

/** A daemon we started, kept in the foreground (-D / -F) so its pid is ours to stop. */
interface Daemon { name: string; child: ChildProcess; exited: Promise<void> }

function startDaemon(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Daemon {
  const fd = openSync(logFile, "a");
  const child = spawn(cmd, args, { env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((res) => {
    if (child.exitCode !== null || child.signalCode !== null) res();
    child.once("exit", () => res());
    child.once("error", () => res());
  });
  live.add(child);
  void exited.then(() => live.delete(child));
  return { name, child, exited };
}

const isRunning = (d: Daemon) => d.child.exitCode === null && d.child.signalCode === null && d.child.pid !== undefined;

async function stopDaemon(d: Daemon, graceMs = 5000): Promise<void> {
  if (!isRunning(d)) return;
  try { d.child.kill("SIGTERM"); } catch { /* gone */ }
  const killed = await Promise.race([d.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!killed) {
    try { d.child.kill("SIGKILL"); } catch { /* gone */ }
    await Promise.race([d.exited, sleep(2000)]);
  }
}

/** Children still alive: killed on process exit should the benchmark be interrupted. */
const live = new Set<ChildProcess>();
const killLive = () => { for (const c of live) { try { c.kill("SIGKILL"); } catch { /* gone */ } } };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Installation

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Finds an executable on PATH, or in the sbin folders a non-root PATH tends to lack. */
function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try { accessSync(p, constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

function findAll(): { found: Partial<Record<Bin, string>>; missing: Bin[] } {
  const found: Partial<Record<Bin, string>> = {};
  const missing: Bin[] = [];
  for (const b of BINARIES) {
    const p = which(b);
    if (p) found[b] = p; else missing.push(b);
  }
  return { found, missing };
}

/** The Slurm binaries, installing `slurm-wlm` with apt when they are missing and we may. */
async function ensureSlurm(log: (s: string) => void): Promise<{ bins: Record<Bin, string>; installed: boolean } | { unavailable: string }> {
  let { found, missing } = findAll();
  let installed = false;
  if (missing.length) {
    if (!isRoot()) return { unavailable: `Slurm is not installed (${missing.join(", ")} missing) and installing it needs root` };
    const apt = which("apt-get");
    if (!apt) return { unavailable: `Slurm is not installed (${missing.join(", ")} missing) and there is no apt-get to install it` };
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const args = ["install", "-y", "--no-install-recommends", "slurm-wlm"];
    log("slurm: installing slurm-wlm with apt-get…");
    let r = await run(apt, args, { env, timeoutMs: 300_000 });
    if (r.code !== 0 && !r.timedOut) {
      log("slurm: apt-get install failed; trying apt-get update first…");
      await run(apt, ["update"], { env, timeoutMs: 120_000 });
      r = await run(apt, args, { env, timeoutMs: 300_000 });
    }
    if (r.code !== 0) return { unavailable: `apt-get install slurm-wlm failed${r.timedOut ? " (timed out)" : ""}: ${lastLine(r.stderr || r.stdout)}` };
    installed = true;
    ({ found, missing } = findAll());
    if (missing.length) return { unavailable: `slurm-wlm installed but ${missing.join(", ")} still missing` };
  }
  return { bins: found as Record<Bin, string>, installed };
}

/** The user's name (Bun's `os.userInfo()` answers "unknown" for some), falling back to the uid. */
async function currentUser(): Promise<string> {
  const r = await run("id", ["-un"], { timeoutMs: 5000 });
  const name = r.code === 0 ? r.stdout.trim() : "";
  if (name) return name;
  const u = userInfo().username;
  return u && u !== "unknown" ? u : String(process.getuid?.() ?? 0);
}

const lastLine = (s: string) => s.trim().split("\n").filter(Boolean).slice(-1)[0]?.slice(0, 300) ?? "";

function logTail(file: string, lines = 3): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).map((l) => l.replace(/^\[[^\]]*\]\s*/, "")).join(" | ").slice(0, 400);
  } catch { return "(no log)"; }
}

// ---------------------------------------------------------------------------------------------
// The cluster

interface Cluster {
  dir: string;
  conf: string;
  env: NodeJS.ProcessEnv;
  bins: Record<Bin, string>;
  daemons: Daemon[];
  user: string;
  cpus: number;
  confOpts: ConfOpts;
}

interface ConfOpts { ctldPort: number; slurmdPort: number; user: string; cpus: number; memMb: number; maxJobs: number }

/**
 * The single-node slurm.conf: everything under `dir`, no cgroup, no accounting. `tuned` adds
 * the two settings without which Slurm starts batch jobs only on its background tick (see
 * TUNING below); without it the scheduling settings are Slurm's defaults.
 */
function slurmConf(dir: string, o: ConfOpts, tuned: boolean): string {
  return [
    "# Written by Strata's bench/slurm.ts: a private single-node Slurm for a side-by-side benchmark.",
    "ClusterName=stratabench",
    "SlurmctldHost=localhost",
    `SlurmctldPort=${o.ctldPort}`,
    `SlurmdPort=${o.slurmdPort}`,
    `SlurmUser=${o.user}`,
    `SlurmdUser=${o.user}`,
    "AuthType=auth/munge",
    "CredType=cred/munge",
    `AuthInfo=socket=${join(dir, "munge.socket")}`,
    `StateSaveLocation=${join(dir, "state")}`,
    `SlurmdSpoolDir=${join(dir, "spool")}`,
    `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
    `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
    `SlurmctldLogFile=${join(dir, "slurmctld.log")}`,
    `SlurmdLogFile=${join(dir, "slurmd.log")}`,
    "SlurmctldDebug=info",
    "SlurmdDebug=info",
    // No cgroup dependency, no accounting: the least Slurm does per task.
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    "JobCompType=jobcomp/none",
    "SwitchType=switch/none",
    "MpiDefault=none",
    // One task per CPU, as many at once as the machine has CPUs.
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_CPU",
    "SchedulerType=sched/backfill",
    "SlurmdParameters=config_overrides",
    "ReturnToService=2",
    `MaxArraySize=${Math.max(1001, o.maxJobs + 1)}`,
    `MaxJobCount=${Math.max(10000, o.maxJobs * 3 + 100)}`,
    "InactiveLimit=0",
    "KillWait=5",
    "MessageTimeout=10",
    "SlurmdTimeout=300",
    ...(tuned ? TUNING(dir) : []),
    `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${o.cpus} RealMemory=${o.memMb} State=UNKNOWN`,
    "PartitionName=bench Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO",
    "",
  ].join("\n");
}

/**
 * Throughput tuning. With Slurm's defaults a finished batch job frees its CPU without waking the
 * scheduler: the next pending job starts on slurmctld's background pass, at most every
 * `batch_sched_delay` (3 s) — a job array of `true` runs at about CPUs/3 tasks/s. Setting
 * `batch_sched_delay=0` lets that pass run every second; a no-op `Epilog` makes slurmd report
 * each job's epilog completion, and that message runs the scheduler at once.
 */
const TUNING = (dir: string) => ["SchedulerParameters=batch_sched_delay=0", `Epilog=${join(dir, "epilog.sh")}`];
const TUNING_NOTE = "SchedulerParameters=batch_sched_delay=0 and a no-op Epilog";

async function nodeIdle(bins: Record<Bin, string>, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await run(bins.sinfo, ["-h", "-N", "-n", "localhost", "-o", "%T"], { env, timeoutMs: 5000 });
  return r.code === 0 ? r.stdout.trim() : `sinfo failed: ${lastLine(r.stderr)}`;
}

async function startCluster(bins: Record<Bin, string>, maxJobs: number, log: (s: string) => void, onDir: (dir: string) => void): Promise<Cluster | { unavailable: string; cluster?: Cluster }> {
  const dir = mkdtempSync(join(tmpdir(), "strata-slurm-"));
  onDir(dir);
  chmodSync(dir, 0o700);
  for (const d of ["state", "spool", "work"]) mkdirSync(join(dir, d), { mode: 0o700 });
  writeFileSync(join(dir, "epilog.sh"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const conf = join(dir, "slurm.conf");
  const user = await currentUser();
  const n = cpus().length || 1;
  const confOpts: ConfOpts = {
    ctldPort: await freePort(), slurmdPort: await freePort(), user, cpus: n, maxJobs,
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
  const munged = startDaemon("munged", bins.munged, [
    "-F", "--force", `--socket=${sock}`, `--key-file=${key}`, `--pid-file=${join(dir, "munged.pid")}`,
    `--log-file=${mungeLog}`, `--seed-file=${join(dir, "munged.seed")}`, "--num-threads=4",
  ], env, join(dir, "munged.out"));
  cluster.daemons.push(munged);
  if (!(await until(() => existsSync(sock), 10_000, () => !isRunning(munged)))) {
    return { unavailable: `munged did not start: ${logTail(mungeLog)} ${logTail(join(dir, "munged.out"))}`, cluster };
  }

  log("slurm: starting slurmctld and slurmd…");
  const ctld = startDaemon("slurmctld", bins.slurmctld, ["-D", "-i", "-f", conf], env, join(dir, "slurmctld.out"));
  const slurmd = startDaemon("slurmd", bins.slurmd, ["-D", "-N", "localhost", "-f", conf], env, join(dir, "slurmd.out"));
  cluster.daemons.push(ctld, slurmd);
  let state = "";
  const up = await until(async () => /^(idle|mixed|allocated)$/.test(state = await nodeIdle(bins, env)),
    60_000, () => !isRunning(ctld) || !isRunning(slurmd), 250);
  if (!up) {
    const why = !isRunning(ctld) ? `slurmctld exited: ${logTail(join(dir, "slurmctld.log"))} ${logTail(join(dir, "slurmctld.out"))}`
      : !isRunning(slurmd) ? `slurmd exited: ${logTail(join(dir, "slurmd.log"))} ${logTail(join(dir, "slurmd.out"))}`
      : `the node did not come up idle within 60 s (state "${state}"): ${logTail(join(dir, "slurmctld.log"))}`;
    return { unavailable: why, cluster };
  }
  return cluster;
}

/** Switches the running cluster to the tuned config (`scontrol reconfigure`). */
async function retune(c: Cluster): Promise<string | undefined> {
  writeFileSync(c.conf, slurmConf(c.dir, c.confOpts, true));
  const r = await run(c.bins.scontrol, ["reconfigure"], { env: c.env, timeoutMs: 20_000 });
  if (r.code !== 0) return `scontrol reconfigure failed: ${lastLine(r.stderr)}`;
  const shown = await run(c.bins.scontrol, ["show", "config"], { env: c.env, timeoutMs: 10_000 });
  if (!/SchedulerParameters\s*=\s*batch_sched_delay=0/.test(shown.stdout)) return "the tuned config did not take effect";
  let state = "";
  if (!(await until(async () => (state = await nodeIdle(c.bins, c.env)) === "idle", 20_000, undefined, 250))) return `node not idle after reconfigure ("${state}")`;
  return undefined;
}

async function stopCluster(c: Cluster): Promise<void> {
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
  try { rmSync(c.dir, { recursive: true, force: true }); } catch { /* best effort */ }
}

/** Polls `ok` until it holds (true), `deadlineMs` passes or `abort` holds (false). */
async function until(ok: () => boolean | Promise<boolean>, deadlineMs: number, abort?: () => boolean, everyMs = 100): Promise<boolean> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    if (await ok()) return true;
    if (abort?.() || performance.now() >= end) return false;
    await sleep(everyMs);
  }
}

/** Jobs pending, running or completing (squeue's default states); -1 when squeue fails. */
async function queued(c: Cluster): Promise<number> {
  const r = await run(c.bins.squeue, ["-h", "-r", "-o", "%i"], { env: c.env, timeoutMs: 10_000 });
  if (r.code !== 0) return -1;
  return r.stdout.split("\n").filter((l) => l.trim()).length;
}

/** How many of the jobs named `name` slurmctld holds as COMPLETED (it keeps them MinJobAge, 300 s). */
async function completed(c: Cluster, name: string): Promise<number> {
  const r = await run(c.bins.squeue, ["-h", "-r", "-t", "all", "-n", name, "-o", "%T"], { env: c.env, timeoutMs: 10_000 });
  return r.stdout.split("\n").filter((l) => l.trim() === "COMPLETED").length;
}

/** Waits until the queue is empty; the elapsed ms since `t0`, or undefined past `deadline`. */
async function drain(c: Cluster, t0: number, deadline: number): Promise<number | undefined> {
  for (;;) {
    const n = await queued(c);
    const now = performance.now();
    if (n === 0) return now - t0;
    if (now >= deadline) return undefined;
    await sleep(200); // each poll is an squeue process: keep them off the CPUs the jobs need
  }
}

// ---------------------------------------------------------------------------------------------
// The measurements

interface Phase { perSecond: number; note?: string }

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

async function jobArray(c: Cluster, name: string, what: string, tasks: number, budgetMs: number): Promise<Phase> {
  const t0 = performance.now();
  const r = await run(c.bins.sbatch, [...sbatchArgs(c, name), `--array=0-${tasks - 1}`, "--wrap", "true"], { env: c.env, timeoutMs: 30_000 });
  if (r.code !== 0) return { perSecond: NaN, note: `${what}: sbatch --array failed: ${lastLine(r.stderr)}` };
  const elapsed = await drain(c, t0, t0 + budgetMs);
  return phaseResult(c, what, name, tasks, t0, elapsed, budgetMs);
}

async function singles(c: Cluster, tasks: number, budgetMs: number, concurrency: number): Promise<Phase> {
  const name = "bench-single", what = "single submissions";
  const t0 = performance.now();
  const deadline = t0 + budgetMs;
  let next = 0, failed = 0, firstError = "";
  const submitter = async () => {
    while (next < tasks && performance.now() < deadline) {
      next++;
      const r = await run(c.bins.sbatch, [...sbatchArgs(c, name), "--wrap", "true"], { env: c.env, timeoutMs: 30_000 });
      if (r.code !== 0) { failed++; firstError ||= lastLine(r.stderr) || (r.timedOut ? "timed out" : `exit ${r.code}`); }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, submitter));
  const elapsed = next - failed < tasks ? undefined : await drain(c, t0, deadline);
  const p = await phaseResult(c, what, name, tasks, t0, elapsed, budgetMs);
  if (failed) p.note = [p.note, `${failed} sbatch calls failed (${firstError})`].filter(Boolean).join("; ");
  return p;
}

async function srunLatency(c: Cluster, runs: number, budgetMs: number): Promise<{ sample: number[]; note?: string }> {
  const args = ["-N1", "-n1", "-J", "bench-srun", "-D", join(c.dir, "work"), "true"];
  await run(c.bins.srun, args, { env: c.env, timeoutMs: 15_000 }); // warm-up, not counted
  const sample: number[] = [];
  const end = performance.now() + budgetMs;
  let failed = 0, firstError = "";
  for (let i = 0; i < runs && performance.now() < end; i++) {
    // Each srun on an idle node: otherwise it can find the previous one's allocation still
    // completing (epilog) and queue behind it, which measures the loop, not srun.
    await until(async () => (await nodeIdle(c.bins, c.env)) === "idle", 5000, undefined, 20);
    const r = await run(c.bins.srun, args, { env: c.env, timeoutMs: 15_000 });
    if (r.code === 0) sample.push(r.ms); else { failed++; firstError ||= lastLine(r.stderr) || (r.timedOut ? "timed out" : `exit ${r.code}`); }
  }
  const notes: string[] = [];
  if (sample.length < runs) notes.push(`srun: ${sample.length} of ${runs} runs measured`);
  if (failed) notes.push(`${failed} srun calls failed (${firstError})`);
  return { sample, note: notes.join("; ") || undefined };
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Installs Slurm (when missing and root), starts a private single-node Slurm and measures, with
 * the throughput tuning above: a job array of `tasks` `true` tasks and `tasks` single
 * `sbatch --wrap true` submissions (both tasks/s, from the first submission until squeue is
 * empty), and `srun true` latency on an idle node (p50/p95 over 50 runs, 20 with `quick`).
 * Before tuning, it also times a short job array under Slurm's stock scheduler settings. Never throws for Slurm
 * trouble: it answers `{ unavailable }` instead.
 */
export async function slurmFigures(tasks: number, quick: boolean, log: (s: string) => void = (s) => console.error(s)): Promise<SlurmFigures> {
  let cluster: Cluster | undefined;
  let dir: string | undefined;
  // Should the benchmark be interrupted, take the daemons down with it.
  const onExit = () => { killLive(); if (dir) try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ } };
  const onSignal = (sig: NodeJS.Signals) => { onExit(); detach(); process.kill(process.pid, sig); };
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
    const started = await startCluster(found.bins, tasks, log, (d) => { dir = d; });
    if ("unavailable" in started) { cluster = started.cluster; return { unavailable: started.unavailable }; }
    const c = (cluster = started);

    const budget = quick
      ? { stock: 20_000, array: 25_000, single: 30_000, srun: 10_000 }
      : { stock: 45_000, array: 90_000, single: 120_000, srun: 45_000 };
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
    if (cluster) { try { await stopCluster(cluster); } catch { /* best effort */ } }
    killLive();
    if (dir) try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
    detach();
  }
}

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
    { group: GROUP, name: `${names.stock}, ${f.stockArrayTasks} × true`, value: f.stockArrayTasksPerSecond, unit: "tasks/s", note: "no SchedulerParameters, no Epilog: pending jobs start on slurmctld's background pass (batch_sched_delay, 3 s)" },
  ];
  if (f.note) figures[0]!.note += `; ${f.note}`;
  return figures;
};
