/**
 * CPU time of processes the benchmarks start (Linux, from /proc/<pid>/stat): one process, or
 * a process and everything below it (the master is Bun running Miniflare running workerd).
 */
import { readdirSync } from "node:fs";
import { procStatFields } from "../agent-bun/src/system/proc.ts";

/** USER_HZ: the clock ticks /proc counts CPU time in. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, fields 14 and 15) from stat fields, 0 without them. */
const secondsOf = (f: string[] | undefined): number => (f ? (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND : 0);

/** CPU seconds `pid` has used so far; throws when there is no such process. */
export function cpuSeconds(pid: number): number {
  const f = procStatFields(pid);
  if (!f) throw new Error(`no process ${pid}`);
  return secondsOf(f);
}

/** `pid` and every process below it, parents first (read from /proc now). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const parent = Number(procStatFields(Number(name))?.[1]); // field 4: ppid
    children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** CPU seconds used so far by `pid` and every process below it (those gone meanwhile count 0). */
export function treeCpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + secondsOf(procStatFields(p)), 0);
}
