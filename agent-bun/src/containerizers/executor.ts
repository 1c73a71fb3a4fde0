/**
 * The per-task executor: a few lines of POSIX sh that the agent starts in a new session (so it
 * is in neither the agent's process group nor its cgroup), that runs the task's command as its
 * child, records the command's exit status in the sandbox (temp file, then rename) and exits.
 * It does not die with the agent: a restarted agent finds it by pid + start time + boot id
 * (the checkpointed `ContainerIdentity`), watches for its end and reads the status it left.
 *
 * Why sh and not the agent binary in an executor mode: one executor runs per task, and a Bun
 * process costs tens of MB resident, a `sh` about 1.7 MB (mostly shared libc pages; ~110 KB
 * of its own). The price is that sh only sees `$?`: a command killed by signal N and one that
 * exits with status 128 + N look alike, and both are reported as "terminated with signal N"
 * (shells report them the same way).
 *
 * Signals: the task runs in the executor's process group (the executor is its leader, so a
 * kill reaches every process the task started). The executor catches the signals a kill or
 * a task may send to the group with a handler that does nothing, so it survives them while
 * its child, which gets default handlers at exec, does not. SIGKILL cannot be caught: the agent
 * sends it to every process of the group and cgroup except the executor (`killTaskProcesses`).
 * The command runs in the foreground (not `&`), so it does not get SIGINT and SIGQUIT ignored
 * as a non-interactive shell's background jobs do.
 */
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { allPids } from "../system/proc.ts";

/** argv[0] of every executor: how a restarted agent tells one from an older agent's bare task. */
export const EXECUTOR_ARGV0 = "strata-executor";

/** File in the task's sandbox where the executor records the command's exit status (`$?`). */
export const EXIT_FILE = ".strata-exit";

/** Exit status of an executor whose go-ahead pipe closed before the agent wrote to it. */
export const NO_GO_AHEAD_STATUS = 111;

/**
 * `sh -c <script> strata-executor <exit file> <go|run> <command…>`: with `go`, wait on fd 3
 * until the agent has put the executor into the task's cgroup (so the command never runs
 * outside its limits), then run the command, record `$?` atomically, exit with it.
 */
export const EXECUTOR_SCRIPT = [
  "trap : HUP INT QUIT PIPE ALRM TERM USR1 USR2",
  "f=$1; shift",
  `if [ "$1" = go ]; then IFS= read -r _ <&3 || exit ${NO_GO_AHEAD_STATUS}; exec 3<&-; fi`,
  "shift",
  '"$@"',
  "s=$?",
  'printf \'%s\\n\' "$s" >"$f.tmp" && /bin/mv -f "$f.tmp" "$f"',
  'exit "$s"',
].join("\n");

/** The argv (after `/bin/sh`) that starts an executor for `command` (file first, then its arguments). */
export function executorArgs(sandbox: string, waitForGo: boolean, command: readonly string[]): string[] {
  return ["-c", EXECUTOR_SCRIPT, EXECUTOR_ARGV0, join(sandbox, EXIT_FILE), waitForGo ? "go" : "run", ...command];
}

/** The status the executor recorded in `sandbox`, or undefined when there is none (yet). */
export function readExitStatus(sandbox: string): number | undefined {
  try {
    const text = readFileSync(join(sandbox, EXIT_FILE), "utf8").trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/** A shell's `$?` as an exit code or a signal name (128 + N for a known signal N is the signal). */
export function exitFromStatus(status: number): { code: number | null; signal: string | null } {
  const signal = status > 128 ? Object.entries(constants.signals).find(([, n]) => n === status - 128)?.[0] : undefined;
  return signal ? { code: null, signal } : { code: status, signal: null };
}

/** True when `pid` runs an executor (its argv[0] is `EXECUTOR_ARGV0`). */
export function isExecutor(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] === EXECUTOR_ARGV0;
  } catch {
    return false;
  }
}

/**
 * The pid of the executor running the task of `sandbox`, found by its command line: for a task
 * whose executor was spawned but whose pid was not checkpointed before the agent died.
 */
export function findExecutor(sandbox: string): number | undefined {
  const exitFile = join(sandbox, EXIT_FILE);
  for (const pid of allPids()) {
    try {
      // argv: strata-executor -c <script> strata-executor <exit file> <go|run> <command…>
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (argv[0] === EXECUTOR_ARGV0 && argv[4] === exitFile) return pid;
    } catch {
      /* gone */
    }
  }
  return undefined;
}
