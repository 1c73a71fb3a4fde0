/**
 * The child-process plumbing of the Slurm benchmark (bench/slurm.ts): `run` for a command to
 * completion, `startDaemon`/`stopDaemon` for the daemons it keeps in the foreground (and
 * `killLive` to take them down should the benchmark be interrupted), and the small waits and
 * log helpers around them. Nothing here knows about Slurm.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

/** How a command ended: exit code (-1 when it could not start), output, duration, whether it was killed for time. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs a command to completion (bounded by `timeoutMs`), collecting its output. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number; cwd?: string }): Promise<RunResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      resolve({ code: -1, stdout: "", stderr: String(e), ms: 0, timedOut: false });
      return;
    }
    let stdout = "",
      stderr = "",
      timedOut = false,
      done = false;
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        child.kill("SIGKILL");
      } catch {
        /* gone */
      }
    }, opts.timeoutMs);
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
export interface Daemon {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * Starts `cmd` as a foreground daemon, its output appended to `logFile`; tracked as live until
 * it exits, so that `killLive` can take it down.
 */
export function startDaemon(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Daemon {
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

/** Whether the daemon has neither exited nor been killed. */
export const isRunning = (d: Daemon) => d.child.exitCode === null && d.child.signalCode === null && d.child.pid !== undefined;

/** Stops a daemon: SIGTERM, then SIGKILL if it is still up after `graceMs`. */
export async function stopDaemon(d: Daemon, graceMs = 5000): Promise<void> {
  if (!isRunning(d)) return;
  try {
    d.child.kill("SIGTERM");
  } catch {
    /* gone */
  }
  const killed = await Promise.race([d.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!killed) {
    try {
      d.child.kill("SIGKILL");
    } catch {
      /* gone */
    }
    await Promise.race([d.exited, sleep(2000)]);
  }
}

/** Children still alive: killed on process exit should the benchmark be interrupted. */
const live = new Set<ChildProcess>();
/** SIGKILLs every daemon still alive: for exit and signal handlers, and as a last resort. */
export const killLive = () => {
  for (const c of live) {
    try {
      c.kill("SIGKILL");
    } catch {
      /* gone */
    }
  }
};

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The last non-empty line of a command's output (300 characters at most), for a note. */
export const lastLine = (s: string) => s.trim().split("\n").filter(Boolean).slice(-1)[0]?.slice(0, 300) ?? "";

/** The last `lines` lines of a log file, timestamps stripped, on one line: why a daemon died. */
export function logTail(file: string, lines = 3): string {
  try {
    return readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .slice(-lines)
      .map((l) => l.replace(/^\[[^\]]*\]\s*/, ""))
      .join(" | ")
      .slice(0, 400);
  } catch {
    return "(no log)";
  }
}

/** Polls `ok` until it holds (true), `deadlineMs` passes or `abort` holds (false). */
export async function until(ok: () => boolean | Promise<boolean>, deadlineMs: number, abort?: () => boolean, everyMs = 100): Promise<boolean> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    if (await ok()) return true;
    if (abort?.() || performance.now() >= end) return false;
    await sleep(everyMs);
  }
}
