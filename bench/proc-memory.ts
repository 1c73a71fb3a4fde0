/**
 * Resident memory of processes the benchmarks start (Linux, from /proc/<pid>/status), e.g. the
 * workerd process below the master's Bun/Miniflare process.
 */
import { readFileSync } from "node:fs";
import { processTree } from "./proc-cpu.ts";

/** `pid`'s resident set (VmRSS) in bytes; undefined when it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The first process named `name` (its `comm`) at or below `pid`; undefined when there is none. */
export function findBelow(pid: number, name: string): number | undefined {
  return processTree(pid).find((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, "utf8").trim() === name;
    } catch {
      return false;
    }
  });
}
