/**
 * Disk limits of command tasks (Mesos' `disk/du` isolator): every `--container-disk-watch-interval-seconds`
 * the sandbox of each running task that has a `disk` resource is measured the way `du` does
 * (allocated blocks of every file and directory, symlinks not followed, so persistent volumes
 * linked into the sandbox are not counted, as they are not part of the sandbox's quota). A task
 * using more than its disk resource is killed and reported TASK_FAILED with
 * REASON_CONTAINER_LIMITATION_DISK (with `--enforce-disk-limit=false` it is only logged once).
 *
 * Cheap by design: tasks without a disk resource are not walked, one walk visits at most
 * `maxEntries` entries (a sandbox with more is judged by what was counted: a lower bound), and
 * the walk is asynchronous so the agent's poll loop never waits on it.
 */
import { join } from "node:path";
import type { Resource } from "../../../schemas/mesos.ts";
import { MiB } from "../../../sdk/src/units.ts";
import { errorText, type Logger } from "../system/log.ts";

/** Most directory entries one measurement of one sandbox visits. */
export const DISK_WATCH_MAX_ENTRIES = 100_000;

/** What a measurement found: bytes allocated, and whether the entry cap cut it short. */
export interface DiskUsage {
  bytes: number;
  truncated: boolean;
}

/** Allocated bytes under `dir` (like `du -s`), visiting at most `maxEntries` entries. */
export async function sandboxUsage(dir: string, maxEntries = DISK_WATCH_MAX_ENTRIES): Promise<DiskUsage> {
  // Loaded at the first measurement: an agent whose tasks ask for no disk never needs it.
  const { lstat, readdir } = await import("node:fs/promises");
  let bytes = 0;
  let visited = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    try {
      const st = await lstat(current);
      bytes += st.blocks * 512;
      if (!st.isDirectory()) continue;
      for (const name of await readdir(current)) {
        if (++visited > maxEntries) return { bytes, truncated: true };
        pending.push(join(current, name));
      }
    } catch {
      /* removed while walking */
    }
  }
  return { bytes, truncated: false };
}

/** The task's sandbox disk limit in MB: its `disk` resources that are not persistent volumes; 0 when none. */
export function sandboxDiskLimitMB(resources: readonly Resource[]): number {
  return resources.filter((r) => r.name === "disk" && r.type === "SCALAR" && !r.disk?.persistence).reduce((s, r) => s + (r.scalar?.value ?? 0), 0);
}

/** The TASK_FAILED message of a task killed for its disk use. */
export function diskLimitMessage(usedBytes: number, limitMB: number): string {
  return `Disk usage (${(usedBytes / MiB).toFixed(1)} MB) exceeds the task's disk limit (${limitMB} MB)`;
}

/** Options of `DiskWatch`. */
export interface DiskWatchOptions {
  intervalMs: number;
  /** Kill the task when over (`--enforce-disk-limit`); else only log. */
  enforce: boolean;
  log: Logger;
  maxEntries?: number;
}

/** Measures sandboxes of running tasks on a timer. */
export class DiskWatch {
  constructor(private readonly opts: DiskWatchOptions) {}

  /**
   * Watches `sandbox` against `limitMB` until the returned function is called. `exceeded` is
   * called once, with the message, when the task uses more and the limit is enforced.
   */
  watch(sandbox: string, limitMB: number, taskId: string, exceeded: (message: string) => void): () => void {
    const { intervalMs, enforce, log, maxEntries } = this.opts;
    let stopped = false;
    let warned = false;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return; // a slow walk is not started twice
      busy = true;
      void sandboxUsage(sandbox, maxEntries)
        .then((usage) => {
          if (stopped || usage.bytes <= limitMB * MiB) return;
          const message = diskLimitMessage(usage.bytes, limitMB);
          if (enforce) {
            stopped = true;
            clearInterval(timer);
            log.warn("task exceeded its disk limit; killing it", { task_id: taskId, message, truncated: usage.truncated || undefined });
            exceeded(message);
          } else if (!warned) {
            warned = true;
            log.warn("task exceeds its disk limit (not enforced: --enforce-disk-limit=false)", { task_id: taskId, message });
          }
        })
        .catch((e) => log.debug("cannot measure a sandbox", { task_id: taskId, error: errorText(e) }))
        .finally(() => {
          busy = false;
        });
    }, intervalMs);
    timer.unref?.();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }
}
