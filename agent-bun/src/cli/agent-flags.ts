/** The agent's configuration as flags.ts hands it to main.ts, and the error a bad flag raises. */
import type { Attribute, Resource } from "../../../schemas/mesos.ts";
import type { RecoverMode } from "../core/task-manager.ts";
import type { CgroupsMode } from "../isolation/cgroups.ts";
import type { LogLevel } from "../system/log.ts";

/** The agent's configuration once flags and environment are parsed and validated. */
export interface AgentFlags {
  master: string;
  joinToken: string;
  workDir: string;
  hostname: string;
  /** The IP announced to the master (`--ip`, Mesos' `--ip`), when given: maintenance may name the machine by it. */
  ip?: string;
  port: number;
  /** Entries from `--resources`; they replace detected resources of the same name. */
  resources: Resource[];
  attributes: Attribute[];
  cgroups: CgroupsMode;
  cgroupsRoot: string;
  /** `--recover`: re-attach to the previous run's tasks, or kill them. */
  recover: RecoverMode;
  pollWaitSeconds: number;
  logLevel: LogLevel;
  /** Simulated ("hollow") agents to run in this process; 0 runs one normal agent. */
  hollow: number;
  /** How long a hollow agent's task "runs" before TASK_FINISHED, in ms. */
  hollowTaskMs: number;
  /** Seconds between usage reports of running tasks (docs/oversubscription.md); 0 sends none. */
  usageIntervalSeconds: number;
  /** Share of its cpus and mem a hollow agent's task reports using; 0 sends no usage reports. */
  hollowUsageFraction: number;
  /** The config file read (`--config`, config-file.ts), when there was one: the start log names it. */
  configFile?: string;
  /** The fetcher cache's directory (`--fetcher-cache-dir`); default `<work-dir>/fetcher-cache`. */
  fetcherCacheDir?: string;
  /** Bytes the fetcher cache may hold; 0 turns it off. */
  fetcherCacheSize: number;
  /** Largest file one URI may fetch, in bytes. */
  fetcherMaxSize: number;
  /** A fetch receiving nothing for this long fails. */
  fetcherStallTimeoutSeconds: number;
  /** Containerizers to run tasks with (`--containerizers`, as Mesos): always `mesos`, plus `docker` for DOCKER tasks. */
  containerizers: Containerizers[];
  /** The Docker engine's unix socket (`--docker-socket`). */
  dockerSocket: string;
  /** `--nvidia-gpu-devices` (Mesos' `--nvidia_gpu_devices`): indices of the GPUs to offer; all detected when absent (gpus.ts). */
  nvidiaGpuDevices?: number[];
  /** `--switch-user`: a root agent runs tasks as CommandInfo.user / FrameworkInfo.user (task-user.ts). */
  switchUser: boolean;
  /** `--allow-root-tasks`: tasks may run as root. */
  allowRootTasks: boolean;
  /** `--task-pids-limit`: pids.max of each task's cgroup; 0 for none. */
  taskPidsLimit: number;
  /** `--cgroups-enable-cfs` (Mesos' `--cgroups_enable_cfs`): a task's cpus are a hard CFS quota, not only a weight. */
  cgroupsEnableCfs: boolean;
  /** `--container-disk-watch-interval-seconds`: how often sandboxes of tasks with a disk resource are measured (disk-watch.ts). */
  containerDiskWatchIntervalSeconds: number;
  /** `--enforce-disk-limit`: a task using more disk than its `disk` resource is killed (else only logged). */
  enforceDiskLimit: boolean;
  /** `--gc-delay` in ms: how long a finished task's sandbox is kept (sandbox-gc.ts). */
  gcDelayMs: number;
  /** `--gc-disk-headroom`: share of the disk kept free by removing sandboxes sooner. */
  gcDiskHeadroom: number;
  /** `--disk-watch-interval` in ms: how often disk usage is read while sandboxes are scheduled. */
  diskWatchIntervalMs: number;
}

/** Values of `--containerizers`: `mesos` runs command tasks as processes, `docker` runs DOCKER tasks. */
export const CONTAINERIZERS = ["mesos", "docker"] as const;
export type Containerizers = (typeof CONTAINERIZERS)[number];

/** A flag with a bad or missing value. `flag` is the flag's name, e.g. `--port`. */
export class FlagError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(`${flag}: ${message}`);
    this.name = "FlagError";
  }
}

/** The flags with the join token hidden, for logging. */
export function redactFlags(flags: AgentFlags): Record<string, unknown> {
  return { ...flags, joinToken: "<redacted>" };
}
