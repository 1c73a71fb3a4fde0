/**
 * Garbage collection of finished tasks' sandboxes, as Mesos' agent does (`--gc_delay`,
 * `--gc_disk_headroom`, `--disk_watch_interval`). A sandbox
 * (`<work-dir>/frameworks/<fid>/tasks/<tid>`) is scheduled once the agent forgets its task
 * (terminal and every update acknowledged); it is removed `--gc-delay` after its directory's
 * mtime, sooner when the disk fills: every `--disk-watch-interval` the disk usage of the work
 * dir's file system is read and sandboxes older than
 * `gc-delay × max(0, 1 − gc-disk-headroom − usage)` are removed (Mesos' formula; at 0 % usage
 * with the default headroom that is 0.9 × gc-delay, as in Mesos). Persistent volumes
 * (`<work-dir>/volumes`, reached from sandboxes by symlinks that removal does not follow) and
 * the sandboxes of tasks the agent still knows are never touched; a framework directory left
 * empty goes too. There is no separate state: a starting agent schedules every sandbox of a task
 * it does not know by the directory's mtime, so the schedule survives restarts (scheduling
 * stamps the mtime with the time the task was forgotten). At most one timer runs, and none
 * while nothing is scheduled.
 */
import { readdirSync, rmdirSync, rmSync, statfsSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../system/clock.ts";
import { errorText, type Logger } from "../system/log.ts";

/** Mesos' `--gc_delay` default: one week. */
export const DEFAULT_GC_DELAY = "1weeks";
/** Mesos' `--gc_disk_headroom` default. */
export const DEFAULT_GC_DISK_HEADROOM = 0.1;
/** Mesos' `--disk_watch_interval` default: one minute. */
export const DEFAULT_DISK_WATCH_INTERVAL = "1mins";

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  sec: 1_000,
  secs: 1_000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/**
 * A duration flag's value in ms: a number and a unit as Mesos writes them (`1weeks`, `7days`,
 * `12hrs`, `30mins`, `10secs`, `500ms`; short forms `w d h m s` too), or a bare number of
 * seconds. Undefined when not understood.
 */
export function parseDurationMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/.exec(text.toLowerCase());
  if (!m) return undefined;
  const unit = m[2] === "" ? 1_000 : UNIT_MS[m[2]!];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/** Fraction (0-1) of the file system holding `path` that is used, as Mesos' `fs::usage`; 0 when unknown. */
export function diskUsage(path: string): number {
  try {
    const s = statfsSync(path);
    return s.blocks > 0 ? (s.blocks - s.bfree) / s.blocks : 0;
  } catch {
    return 0;
  }
}

/** What the collector works with. */
export interface SandboxGcDeps {
  workDir: string;
  clock: Clock;
  log: Logger;
  /** `--gc-delay` in ms. */
  delayMs: number;
  /** `--gc-disk-headroom`, 0-1. */
  diskHeadroom: number;
  /** `--disk-watch-interval` in ms. */
  diskWatchIntervalMs: number;
  /** Sandboxes of the tasks the agent still knows: never removed. */
  live: () => ReadonlySet<string>;
  /** Used fraction of the disk holding a path (tests inject one); default `diskUsage`. */
  diskUsage?: (path: string) => number;
}

/** Schedules and removes old sandboxes; `start` once the agent has recovered its tasks. */
export class SandboxGc {
  /** Scheduled sandbox → the time (ms) its age counts from. */
  private readonly scheduled = new Map<string, number>();
  private readonly stopping = new AbortController();
  /** Wakes the loop early (a sandbox was scheduled). */
  private wake: AbortController | undefined;
  /** The current disk-based maximum age (ms); recomputed every disk watch. */
  private maxAgeMs: number;
  private nextDiskWatch = 0;
  private loop: Promise<void> | undefined;

  constructor(private readonly deps: SandboxGcDeps) {
    this.maxAgeMs = deps.delayMs;
  }

  /** The sandboxes now scheduled, with the time each one's age counts from (tests, logs). */
  get pending(): ReadonlyMap<string, number> {
    return this.scheduled;
  }

  /** Schedules every sandbox under the work dir of a task the agent does not know (by mtime), then collects until `stop`. */
  start(): void {
    if (this.loop) return;
    const live = this.deps.live();
    for (const fw of children(join(this.deps.workDir, "frameworks"))) {
      const tasks = join(this.deps.workDir, "frameworks", fw, "tasks");
      const sandboxes = children(tasks);
      if (sandboxes.length === 0) {
        this.removeEmptyFramework(join(this.deps.workDir, "frameworks", fw));
        continue;
      }
      for (const t of sandboxes) {
        const path = join(tasks, t);
        if (live.has(path)) continue;
        try {
          this.scheduled.set(path, statSync(path).mtimeMs);
        } catch {
          /* gone meanwhile */
        }
      }
    }
    if (this.scheduled.size > 0) this.deps.log.info("sandboxes scheduled for removal", { count: this.scheduled.size });
    this.loop = this.run();
  }

  /** A task was forgotten: its sandbox goes after the delay (counted from now, stamped as its mtime). */
  schedule(sandbox: string): void {
    const now = this.deps.clock.now();
    try {
      utimesSync(sandbox, now / 1000, now / 1000);
    } catch {
      return;
    } // no sandbox (never prepared)
    this.scheduled.set(sandbox, now);
    this.wake?.abort();
  }

  /** Stops the loop (nothing is removed meanwhile); resolves when it has ended. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { clock, diskWatchIntervalMs } = this.deps;
    while (!this.stopping.signal.aborted) {
      const now = clock.now();
      if (this.scheduled.size > 0 && now >= this.nextDiskWatch) {
        this.watchDisk();
        this.nextDiskWatch = now + diskWatchIntervalMs;
      }
      this.collect(now);
      this.wake = new AbortController();
      const signal = AbortSignal.any([this.stopping.signal, this.wake.signal]);
      if (this.scheduled.size === 0) {
        this.nextDiskWatch = 0; // a new schedule reads the disk at once
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      } else {
        let oldest = Infinity;
        for (const since of this.scheduled.values()) if (since < oldest) oldest = since;
        const due = Math.min(oldest + this.maxAgeMs, this.nextDiskWatch);
        await clock.sleep(Math.max(0, due - clock.now()), signal);
      }
    }
  }

  /** Reads the disk usage and sets the maximum age from it (Mesos' formula, never above the delay). */
  private watchDisk(): void {
    const { delayMs, diskHeadroom, workDir, log } = this.deps;
    const usage = (this.deps.diskUsage ?? diskUsage)(workDir);
    const maxAge = delayMs * Math.max(0, 1 - diskHeadroom - usage);
    if (maxAge < this.maxAgeMs * 0.99 || maxAge > this.maxAgeMs * 1.01) log.debug("sandbox max age from disk usage", { usage, max_age_ms: maxAge });
    this.maxAgeMs = Math.min(delayMs, maxAge);
  }

  /** Removes every scheduled sandbox older than the maximum age, unless its task is known again. */
  private collect(now: number): void {
    if (this.scheduled.size === 0) return;
    const live = this.deps.live();
    for (const [path, since] of this.scheduled) {
      if (now - since < this.maxAgeMs) continue;
      this.scheduled.delete(path);
      if (live.has(path)) continue; // a task of that id was launched again
      try {
        rmSync(path, { recursive: true, force: true });
        this.deps.log.debug("removed sandbox", { sandbox: path });
      } catch (e) {
        this.deps.log.warn("cannot remove sandbox; will retry after a restart", { sandbox: path, error: errorText(e) });
        continue;
      }
      this.removeEmptyFramework(join(path, "..", ".."));
    }
  }

  /** Removes `<fw>/tasks` and `<fw>` when they are empty. */
  private removeEmptyFramework(fwDir: string): void {
    try {
      const tasks = join(fwDir, "tasks");
      if (children(tasks).length === 0) rmdirSync(tasks);
    } catch {
      /* not empty, or gone */
    }
    try {
      rmdirSync(fwDir);
    } catch {
      /* not empty */
    }
  }
}

function children(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
