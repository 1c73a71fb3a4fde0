/**
 * Usage reports: what the agent's running tasks actually use (cores over the last interval,
 * resident memory), sent to the master with a poll so that it can offer allocated-but-unused
 * resources as revocable ones and evict revocable tasks when regular ones need them back
 * (docs/oversubscription.md). Mesos measures the same in the agent's resource monitor
 * (`ResourceStatistics`); here the master does the estimating.
 *
 * Kept cheap: nothing is measured while no task runs; a report is made at most every interval
 * (`--usage-interval-seconds`) and sent only when it differs from the last one the master got
 * by more than `USAGE_CPU_CHANGE` cores or `USAGE_MEM_CHANGE_MB` for some task, or names other
 * tasks. A task's cpu rate needs two measurements, so a task is first reported one interval
 * after it was first seen running.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { UsageReport } from "../../../schemas/agent.ts";
import type { TaskInfo } from "../../../schemas/mesos.ts";
import { taskKey } from "../../../sdk/src/ids.ts";
import { roundScalar, scalarOf } from "../../../sdk/src/resources.ts";
import { MiB } from "../../../sdk/src/units.ts";
import type { Placement } from "../isolation/cgroup-task.ts";
import type { TaskRecord } from "../state/checkpoint.ts";
import type { Clock } from "../system/clock.ts";
import { allPids, procStatFields } from "../system/proc.ts";

/**
 * One measurement of a task: cpu time used since it started (seconds), resident memory now
 * (bytes), and, when the source splits it, the cpu time in user and in system mode.
 */
export interface UsageSample {
  cpuSeconds: number;
  memBytes: number;
  userSeconds?: number;
  systemSeconds?: number;
}

/** A running task to measure: its checkpointed record and, when known, its TaskInfo. */
export interface MeasuredTask {
  record: TaskRecord;
  info: TaskInfo | undefined;
}

/** Measures tasks; an entry is undefined for a task it cannot measure (gone, unreadable). */
export interface UsageSampler {
  sample(tasks: readonly MeasuredTask[], now: number): Array<UsageSample | undefined>;
}

/** A change in a task's cpus (cores) worth a new report. */
export const USAGE_CPU_CHANGE = 0.05;
/** A change in a task's memory (MB) worth a new report. */
export const USAGE_MEM_CHANGE_MB = 8;
/** The shortest measuring window a cpu rate is computed over. */
export const USAGE_MIN_WINDOW_MS = 1_000;
/** Kernel clock ticks per second in /proc/<pid>/stat (USER_HZ: 100 on every mainstream Linux). */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Real tasks: from the task's cgroup when it has one (cgroup v2 `cpu.stat` usage_usec and
 * `memory.stat` anon; v1 `cpuacct.usage` and `memory.stat` total_rss), otherwise from /proc,
 * summing the task's process group (utime + stime of its live processes and of the children
 * they have waited for; VmRSS).
 */
export class ProcUsageSampler implements UsageSampler {
  constructor(
    private readonly placements: readonly Placement[] = [],
    private readonly read: (path: string) => string = (p) => readFileSync(p, "utf8"),
  ) {}

  sample(tasks: readonly MeasuredTask[], _now?: number): Array<UsageSample | undefined> {
    let groups: Map<number, UsageSample> | undefined;
    return tasks.map(({ record }) => {
      const fromCgroup = record.cgroup !== undefined ? this.cgroupSample(record.cgroup) : undefined;
      if (fromCgroup) return fromCgroup;
      if (record.pid === undefined) return undefined;
      groups ??= processGroups(new Set(tasks.flatMap((t) => (t.record.pid !== undefined ? [t.record.pid] : []))));
      return groups.get(record.pid);
    });
  }

  private cgroupSample(name: string): UsageSample | undefined {
    let cpuSeconds: number | undefined, memBytes: number | undefined;
    let split: Pick<UsageSample, "userSeconds" | "systemSeconds"> = {};
    for (const p of this.placements) {
      const dir = join(p.base, name);
      try {
        if (p.controller === "cpu" && p.version === 2) {
          const stat = this.read(join(dir, "cpu.stat"));
          cpuSeconds = statValue(stat, "usage_usec") / 1e6;
          split = splitTimes(statValue(stat, "user_usec") / 1e6, statValue(stat, "system_usec") / 1e6);
        } else if (p.controller === "cpu") {
          cpuSeconds = Number(this.read(join(dir, "cpuacct.usage")).trim()) / 1e9;
          try {
            const stat = this.read(join(dir, "cpuacct.stat"));
            split = splitTimes(statValue(stat, "user") / CLOCK_TICKS_PER_SECOND, statValue(stat, "system") / CLOCK_TICKS_PER_SECOND);
          } catch {
            /* no split */
          }
        } else {
          memBytes = statValue(this.read(join(dir, "memory.stat")), p.version === 2 ? "anon" : "total_rss");
        }
      } catch {
        /* not there (e.g. v1 cpu without cpuacct): fall back to /proc */
      }
    }
    if (cpuSeconds === undefined || memBytes === undefined || !Number.isFinite(cpuSeconds) || !Number.isFinite(memBytes)) return undefined;
    return { cpuSeconds, memBytes, ...split };
  }
}

/** Both times when both are numbers, else none. */
function splitTimes(userSeconds: number, systemSeconds: number): Pick<UsageSample, "userSeconds" | "systemSeconds"> {
  return Number.isFinite(userSeconds) && Number.isFinite(systemSeconds) ? { userSeconds, systemSeconds } : {};
}

/** The usage of each process group led by one of `leaders`, from one pass over /proc. */
export function processGroups(leaders: ReadonlySet<number>): Map<number, UsageSample> {
  const out = new Map<number, UsageSample>();
  if (leaders.size === 0) return out;
  for (const pid of allPids()) {
    const f = procStatFields(pid);
    if (!f) continue;
    const group = Number(f[2]); // field 5: pgrp
    if (!leaders.has(group)) continue;
    // fields 14-17: utime, stime, cutime, cstime
    const user = (Number(f[11]) + Number(f[13])) / CLOCK_TICKS_PER_SECOND,
      system = (Number(f[12]) + Number(f[14])) / CLOCK_TICKS_PER_SECOND;
    const s = out.get(group) ?? { cpuSeconds: 0, memBytes: 0, userSeconds: 0, systemSeconds: 0 };
    s.cpuSeconds += user + system;
    s.userSeconds! += user;
    s.systemSeconds! += system;
    s.memBytes += residentBytes(pid);
    out.set(group, s);
  }
  return out;
}

/** VmRSS of `pid` in bytes (0 when gone or a kernel thread). */
function residentBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The value of `key` in a flat-keyed stat file (`key value` lines); NaN when missing. */
function statValue(text: string, key: string): number {
  const m = new RegExp(`^${key}\\s+(\\d+)`, "m").exec(text);
  return m ? Number(m[1]) : NaN;
}

/**
 * Hollow agents' tasks (no processes): each "uses" `fraction` of the cpus and mem it was
 * given, so benchmarks and tests can drive oversubscription with a known slack.
 */
export class HollowUsageSampler implements UsageSampler {
  private readonly started = new WeakMap<TaskRecord, number>();

  constructor(private readonly fraction: number) {}

  sample(tasks: readonly MeasuredTask[], now: number): Array<UsageSample | undefined> {
    return tasks.map(({ record, info }) => {
      let since = this.started.get(record);
      if (since === undefined) this.started.set(record, (since = now));
      const resources = info?.resources ?? [];
      const cpuSeconds = (this.fraction * scalarOf(resources, "cpus") * (now - since)) / 1000;
      return { cpuSeconds, memBytes: this.fraction * scalarOf(resources, "mem") * MiB, userSeconds: cpuSeconds, systemSeconds: 0 };
    });
  }
}

/** What the reporter needs: how to measure, the time, how often, and which tasks run. */
export interface UsageReporterDeps {
  sampler: UsageSampler;
  clock: Clock;
  /** At most one report per this many ms. */
  intervalMs: number;
  running: () => MeasuredTask[];
}

type Entry = UsageReport["tasks"][number];

/** Makes the usage reports an agent sends with its polls; see the file comment. */
export class UsageReporter {
  /** Each running task's last measurement of cpu time, to compute the next rate from. */
  private readonly baselines = new Map<string, { at: number; cpuSeconds: number }>();
  /** The last report the master got (by task key), and the one on its way. */
  private sent: Map<string, Entry> = new Map();
  private pending: Map<string, Entry> | undefined;
  private lastReportAt = -Infinity;
  private runningNow = 0;

  constructor(private readonly deps: UsageReporterDeps) {}

  /**
   * The report to send with the next poll, or undefined: not due yet, nothing changed, or
   * nothing runs (and the master already knows so). Call `delivered()` once the poll is answered.
   */
  due(): UsageReport | undefined {
    const { clock, sampler, intervalMs } = this.deps;
    const tasks = this.deps.running();
    this.runningNow = tasks.length;
    if (tasks.length === 0 && this.baselines.size === 0 && this.sent.size === 0) return undefined;
    const now = clock.now();
    if (now - this.lastReportAt < intervalMs) {
      // Not due: take a first measurement of tasks seen for the first time, so that their
      // first report has a rate.
      const fresh = tasks.filter((t) => !this.baselines.has(keyOf(t)));
      if (fresh.length > 0)
        sampler.sample(fresh, now).forEach((s, i) => {
          if (s) this.baselines.set(keyOf(fresh[i]!), { at: now, cpuSeconds: s.cpuSeconds });
        });
      return undefined;
    }
    this.lastReportAt = now;
    const samples = sampler.sample(tasks, now);
    const values = new Map<string, Entry>();
    const live = new Set<string>();
    tasks.forEach((t, i) => {
      const key = keyOf(t),
        s = samples[i];
      live.add(key);
      if (!s) return;
      const before = this.baselines.get(key);
      this.baselines.set(key, { at: now, cpuSeconds: s.cpuSeconds });
      if (!before || now - before.at < USAGE_MIN_WINDOW_MS) return;
      const cpus = roundScalar(Math.max(0, s.cpuSeconds - before.cpuSeconds) / ((now - before.at) / 1000));
      values.set(key, {
        framework_id: { value: t.record.framework_id },
        task_id: { value: t.record.task_id },
        cpus,
        mem_mb: Math.round(s.memBytes / MiB),
        mem_rss_bytes: Math.round(s.memBytes),
        ...(s.userSeconds !== undefined && s.systemSeconds !== undefined
          ? { cpus_user_time_secs: roundScalar(s.userSeconds), cpus_system_time_secs: roundScalar(s.systemSeconds) }
          : {}),
      });
    });
    for (const key of this.baselines.keys()) if (!live.has(key)) this.baselines.delete(key);
    if (!differs(this.sent, values)) return undefined;
    this.pending = values;
    return { tasks: [...values.values()] };
  }

  /** The poll carrying the last report from `due()` was answered: the master has it. */
  delivered(): void {
    if (this.pending) this.sent = this.pending;
    this.pending = undefined;
  }

  /** The master may not know the last report (a new master instance, a new agent id): the next due report is sent whatever it holds. */
  resend(): void {
    this.sent = new Map();
  }

  /**
   * How long the master may hold the next poll: while tasks run no longer than the interval
   * (a report rides on a poll, and a held poll would hold it back), else `maxSeconds`.
   */
  pollWait(maxSeconds: number): number {
    return this.runningNow > 0 ? Math.min(maxSeconds, this.deps.intervalMs / 1000) : maxSeconds;
  }
}

const keyOf = (t: MeasuredTask): string => taskKey(t.record.framework_id, t.record.task_id);

/** True when `next` names other tasks than `last`, or a task's usage moved by more than the thresholds. */
function differs(last: ReadonlyMap<string, Entry>, next: ReadonlyMap<string, Entry>): boolean {
  if (last.size !== next.size) return true;
  for (const [key, n] of next) {
    const l = last.get(key);
    if (!l) return true;
    if (Math.abs(l.cpus - n.cpus) >= USAGE_CPU_CHANGE || Math.abs(l.mem_mb - n.mem_mb) >= USAGE_MEM_CHANGE_MB) return true;
  }
  return false;
}
