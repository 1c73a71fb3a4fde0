/**
 * One task's cgroup directories: limits, membership, OOM detection and removal (v1 and v2), and
 * what they are made of: the limits, the `TaskCgroup` interface, and the host operations.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MiB } from "../../../sdk/src/units.ts";

/** Where one controller lives: `base` is `<hierarchy>/<cgroups-root>`. */
export interface Placement {
  /** `devices` is v1 only (v2 controls devices with eBPF programs, which the agent does not load). */
  controller: "memory" | "cpu" | "devices" | "pids";
  version: 1 | 2;
  base: string;
  /** v1 memory: the hierarchy has memory.memsw.* (swap accounting). */
  memsw?: boolean;
}

/** Limits applied to a task's cgroup; absent means unlimited. */
export interface TaskLimits {
  cpus?: number;
  memMB?: number;
  /** Most processes and threads the task may have at once (`--task-pids-limit`): a fork bomb hits it, not the machine. */
  pids?: number;
  /** false: cpus give only a weight (shares), no CFS quota (hard limit); `--cgroups-enable-cfs=false`. */
  cpuQuota?: boolean;
  /** Devices cgroup (v1) entries like `c 195:1 rwm` the task may not open (GPUs not its own; gpu-assignment.ts). */
  devicesDeny?: string[];
}

/** A task's cgroup(s): one per hierarchy holding one of its controllers. */
export interface TaskCgroup {
  readonly name: string;
  /** Moves `pid` into the cgroup (before it runs the task's command). */
  addProcess(pid: number): void;
  /**
   * True when the kernel's OOM killer killed something in the cgroup. `strict` accepts only the
   * kernel's oom_kill counter (no inference from having hit the limit), for use while running.
   */
  oomKilled(strict?: boolean): boolean;
  /** Every pid in the task's cgroup(s) (a kill reaches processes that left the task's group). */
  pids(): number[];
  /** Kills whatever is left in the cgroup and removes it. */
  destroy(): Promise<void>;
}

/** The file and process operations cgroups need. */
export interface CgroupHost {
  exists(path: string): boolean;
  read(path: string): string;
  write(path: string, data: string): void;
  mkdir(path: string): void;
  rmdir(path: string): void;
  kill(pid: number, signal: NodeJS.Signals): void;
}

/** The real filesystem and `process.kill`. */
export const nodeCgroupHost: CgroupHost = {
  exists: (p) => existsSync(p),
  read: (p) => readFileSync(p, "utf8"),
  write: (p, d) => writeFileSync(p, d),
  mkdir: (p) => {
    mkdirSync(p, { recursive: true });
  },
  rmdir: (p) => rmdirSync(p),
  kill: (pid, sig) => process.kill(pid, sig),
};

/** CFS period used for cpu quotas, as Mesos. */
export const CPU_PERIOD_US = 100_000;
/** Smallest CFS quota the kernel accepts. */
const MIN_CPU_QUOTA_US = 1_000;

/** Implements `TaskCgroup` for a set of controller placements. */
export class CgroupTask implements TaskCgroup {
  /** Distinct task directories (v2 controllers share one). */
  readonly dirs: string[];

  constructor(
    readonly name: string,
    private readonly placements: readonly Placement[],
    private readonly host: CgroupHost,
  ) {
    this.dirs = [...new Set(placements.map((p) => join(p.base, name)))];
  }

  /** Makes the directories and writes the limits. */
  create(limits: TaskLimits): void {
    for (const dir of this.dirs) this.host.mkdir(dir);
    for (const p of this.placements) {
      const dir = join(p.base, this.name);
      if (p.controller === "memory" && limits.memMB !== undefined && limits.memMB > 0) {
        const bytes = String(Math.floor(limits.memMB * MiB));
        if (p.version === 2) {
          this.host.write(join(dir, "memory.max"), bytes);
          // No swapping past the limit (the file exists only with swap accounting).
          if (this.host.exists(join(dir, "memory.swap.max")) || this.host.exists(join(p.base, "memory.swap.max"))) {
            this.host.write(join(dir, "memory.swap.max"), "0");
          }
        } else {
          this.host.write(join(dir, "memory.limit_in_bytes"), bytes);
          if (p.memsw) this.host.write(join(dir, "memory.memsw.limit_in_bytes"), bytes);
        }
      }
      if (p.controller === "devices" && p.version === 1) {
        for (const entry of limits.devicesDeny ?? []) this.host.write(join(dir, "devices.deny"), entry);
      }
      // Same file in v1 and v2.
      if (p.controller === "pids" && limits.pids !== undefined && limits.pids > 0) this.host.write(join(dir, "pids.max"), String(limits.pids));
      if (p.controller === "cpu" && limits.cpus !== undefined && limits.cpus > 0) {
        const quota = String(Math.max(MIN_CPU_QUOTA_US, Math.round(limits.cpus * CPU_PERIOD_US)));
        const shares = Math.max(2, Math.round(limits.cpus * 1024));
        const hardLimit = limits.cpuQuota !== false; // `--cgroups-enable-cfs`
        if (p.version === 2) {
          if (hardLimit) this.host.write(join(dir, "cpu.max"), `${quota} ${CPU_PERIOD_US}`);
          // systemd's shares → weight conversion.
          const weight = Math.min(10_000, Math.max(1, Math.round(1 + ((shares - 2) * 9999) / 262142)));
          this.host.write(join(dir, "cpu.weight"), String(weight));
        } else {
          this.host.write(join(dir, "cpu.shares"), String(shares));
          if (hardLimit) {
            this.host.write(join(dir, "cpu.cfs_period_us"), String(CPU_PERIOD_US));
            this.host.write(join(dir, "cpu.cfs_quota_us"), quota);
          }
        }
      }
    }
  }

  addProcess(pid: number): void {
    for (const dir of this.dirs) this.host.write(join(dir, "cgroup.procs"), String(pid));
  }

  oomKilled(strict = false): boolean {
    for (const p of this.placements) {
      if (p.controller !== "memory") continue;
      const dir = join(p.base, this.name);
      try {
        if (p.version === 2) return counter(this.host.read(join(dir, "memory.events")), "oom_kill") > 0;
        const control = this.host.read(join(dir, "memory.oom_control"));
        if (/^oom_kill\s/m.test(control)) return counter(control, "oom_kill") > 0;
        // Old kernels have no oom_kill counter: hitting the limit is the best evidence left
        // (after the task ended; while it runs, reclaim also counts, so `strict` says no).
        if (strict) return false;
        return Number(this.host.read(join(dir, "memory.failcnt")).trim()) > 0;
      } catch {
        return false;
      }
    }
    return false;
  }

  /** Every pid in the task's cgroups. */
  pids(): number[] {
    const out = new Set<number>();
    for (const dir of this.dirs) {
      try {
        for (const line of this.host.read(join(dir, "cgroup.procs")).split("\n")) if (/^\d+$/.test(line.trim())) out.add(Number(line));
      } catch {
        /* gone */
      }
    }
    return [...out];
  }

  async destroy(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      for (const pid of this.pids()) {
        try {
          this.host.kill(pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      let busy: unknown;
      for (const dir of this.dirs) {
        if (!this.host.exists(dir)) continue;
        try {
          this.host.rmdir(dir);
        } catch (e) {
          busy = e;
        }
      }
      if (!busy) return;
      // Killed processes take a moment to leave the cgroup.
      if (attempt >= 100) throw new Error(`cannot remove cgroup ${this.name}: ${(busy as Error).message}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function counter(text: string, key: string): number {
  const m = new RegExp(`^${key}\\s+(\\d+)`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}
