/** Small process helpers: signalling process groups and telling a live pid from a reused one. */
import { readdirSync, readFileSync } from "node:fs";

/** Sends `signal` to the process group led by `pgid`; false when it no longer exists. */
export function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** This boot's id (Linux), so pids checkpointed before a reboot are never signalled. */
export function bootId(): string | undefined {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * The fields of /proc/<pid>/stat from field 3 (state) on, so field N is at index N - 3;
 * undefined when the process is gone. The command name (field 2) may hold spaces and
 * parentheses, so the split starts after its last ')'.
 */
export function procStatFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** Start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), if known. */
export function processStartTime(pid: number): string | undefined {
  return procStatFields(pid)?.[19];
}

/**
 * True while `pid` is the process that started at `start` (clock ticks since boot) and has not
 * ended: a zombie counts as ended (a restarted agent is not its parent, so someone else reaps it).
 */
export function processRunning(pid: number, start: string | undefined): boolean {
  const fields = procStatFields(pid);
  return fields !== undefined && fields[0] !== "Z" && fields[0] !== "X" && (start === undefined || fields[19] === start);
}

/** The pids of every process now running (the numeric entries of /proc); empty without /proc. */
export function allPids(): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of entries) if (/^\d+$/.test(name)) out.push(Number(name));
  return out;
}

/** Pids of every process in process group `pgid` (field 5 of /proc/<pid>/stat). */
export function groupMembers(pgid: number): number[] {
  return allPids().filter((pid) => procStatFields(pid)?.[2] === String(pgid));
}
