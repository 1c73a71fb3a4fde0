/**
 * Settings Bun reads only when a process starts, from its environment. To change one the agent
 * replaces its process with itself (`execve`: same pid, arguments and open files), the
 * variable set; whoever started it sees no difference. No-ops under Node (tests).
 */
import type { Logger } from "./log.ts";

/**
 * Re-executes this process with `vars` added to `env`; does not return when it can. Returns
 * false under Node and on a Bun without `process.execve`.
 */
export function reexecWith(vars: Record<string, string>, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!process.versions.bun || typeof process.execve !== "function") return false;
  // A compiled binary's argv[1] is its embedded entry point (/$bunfs/… or B:/~BUN/…), not an argument.
  const script = process.argv[1] ?? "";
  const compiled = script.startsWith("/$bunfs/") || script.startsWith("B:/~BUN/");
  const args = [process.execPath, ...process.execArgv, ...(compiled ? [] : [script]), ...process.argv.slice(2)];
  process.execve(process.execPath, args, { ...env, ...vars });
  return true; // not reached: execve replaced the process
}

/** JavaScriptCore's switch for all its JIT compilers (JS, RegExp), read at process start. */
export const BUN_JIT_ENV = "BUN_JSC_useJIT";

/**
 * Runs the agent without JavaScriptCore's JIT compilers, re-executing it with
 * `BUN_JSC_useJIT=0` unless that variable is set (`BUN_JSC_useJIT=1` keeps the JIT).
 *
 * Why: most of an idle agent's RSS is Bun's own machine code, mapped from the executable and
 * resident once run. Startup (loading modules, constructing the schemas) is hot enough to tier
 * functions up, which brings in the JIT compilers' code and their output: 5.7 MB of an idle
 * agent's RSS (44.2 → 38.5 MB; BENCHMARKS.md, footprint). The agent's own JavaScript is not
 * where its time goes (spawning, syscalls, JSON and HTTP are native): in the real-processes
 * benchmark, agent CPU per task and launch latency did not get worse without the JIT.
 * Validating a poll answer with 200 launches takes ~14 ms instead of 3–7 ms. A hollow fleet,
 * thousands of agents in one process, keeps the JIT (it never calls this). Tasks do not inherit
 * the variable: they get an environment of their own (task-env.ts).
 */
export function ensureJitOff(log: Logger, env: NodeJS.ProcessEnv = process.env): void {
  if (!process.versions.bun || (env[BUN_JIT_ENV] ?? "") !== "") return;
  log.debug(`re-executing with ${BUN_JIT_ENV}=0`);
  if (!reexecWith({ [BUN_JIT_ENV]: "0" }, env)) log.debug("this Bun cannot re-execute itself: the JIT stays on");
}
