/**
 * Task isolation with Linux cgroups, v1 and v2. Each controller (memory, cpu, pids) is placed where it
 * is usable: the v2 hierarchy when its root lists and can delegate the controller, else the v1
 * hierarchy for it. Task cgroups live at `<hierarchy>/<cgroups-root>/<task>`.
 * All filesystem and signal access goes through `CgroupHost`, so tests can use a fake root.
 */
import { join } from "node:path";
import { errorText, type Logger } from "../system/log.ts";
import { type CgroupHost, CgroupTask, nodeCgroupHost, type Placement, type TaskCgroup, type TaskLimits } from "./cgroup-task.ts";

/** How tasks are isolated: detect (`auto`), force a cgroup version, or run without limits. */
export const CGROUPS_MODES = ["auto", "v1", "v2", "off"] as const;
export type CgroupsMode = (typeof CGROUPS_MODES)[number];

/** Creates and removes task cgroups; `NoCgroups` when isolation is off or impossible. */
export interface Cgroups {
  readonly enabled: boolean;
  /** One line saying where each controller lives, or why there are no limits. */
  readonly description: string;
  create(name: string, limits: TaskLimits): Promise<TaskCgroup | undefined>;
  /** Removes a task cgroup left by an earlier agent process (killing what is in it). */
  destroy(name: string): Promise<void>;
  /** The existing task cgroup `name` (of a task re-attached after an agent restart), untouched. */
  attach(name: string): TaskCgroup | undefined;
  /** Best effort at shutdown: removes `<hierarchy>/<cgroups-root>` where no task cgroup is left. */
  removeRootIfEmpty(): void;
}

/** Isolation off: tasks run without limits. */
export class NoCgroups implements Cgroups {
  readonly enabled = false;
  constructor(readonly description: string) {}
  async create(): Promise<undefined> {
    return undefined;
  }
  async destroy(): Promise<void> {}
  attach(): undefined {
    return undefined;
  }
  removeRootIfEmpty(): void {}
}

/** Cgroups with controllers placed by `detectCgroups`. */
export class LinuxCgroups implements Cgroups {
  readonly enabled = true;
  readonly description: string;

  constructor(
    readonly placements: readonly Placement[],
    private readonly host: CgroupHost = nodeCgroupHost,
  ) {
    this.description = placements.map((p) => `${p.controller}: v${p.version} ${p.base}`).join(", ");
  }

  async create(name: string, limits: TaskLimits): Promise<TaskCgroup> {
    const task = new CgroupTask(name, this.placements, this.host);
    await task.destroy(); // a leftover of the same name (agent crash) would carry stale limits
    task.create(limits);
    return task;
  }

  async destroy(name: string): Promise<void> {
    await new CgroupTask(name, this.placements, this.host).destroy();
  }

  attach(name: string): TaskCgroup {
    return new CgroupTask(name, this.placements, this.host);
  }

  removeRootIfEmpty(): void {
    for (const base of new Set(this.placements.map((p) => p.base))) {
      try {
        this.host.rmdir(base);
      } catch {
        /* task cgroups still there (tasks keep running) */
      }
    }
  }
}

/** Options of `detectCgroups`. */
export interface DetectOptions {
  mode: CgroupsMode;
  cgroupsRoot: string;
  /** Where cgroup filesystems are mounted (tests point this at a temp dir). */
  fsRoot?: string;
  host?: CgroupHost;
  log?: Logger;
  /**
   * Also place the v1 `devices` controller (an agent with GPUs: each task is denied the GPUs
   * not its own). Without a v1 devices hierarchy (cgroup v2 only) GPUs are not isolated beyond
   * the visible-devices variables, and a warning says so.
   */
  devices?: boolean;
}

const CONTROLLERS = ["memory", "cpu", "pids"] as const;
const V1_DIRS: Record<(typeof CONTROLLERS)[number], { dirs: string[]; probe: string }> = {
  memory: { dirs: ["memory"], probe: "memory.limit_in_bytes" },
  cpu: { dirs: ["cpu", "cpu,cpuacct", "cpuacct,cpu"], probe: "cpu.shares" },
  // The root of the v1 pids hierarchy has no pids.* files; its name says what it is.
  pids: { dirs: ["pids"], probe: "cgroup.procs" },
};

/**
 * Finds, per controller, a hierarchy where the agent can create task cgroups, and prepares
 * `<hierarchy>/<cgroupsRoot>`. Returns `NoCgroups` (with the reason) when none is usable in
 * `auto` mode; throws when `--cgroups=v1|v2` was asked for and memory is not usable that way.
 */
export function detectCgroups(opts: DetectOptions): Cgroups {
  const host = opts.host ?? nodeCgroupHost;
  const fsRoot = opts.fsRoot ?? "/sys/fs/cgroup";
  if (opts.mode === "off") return new NoCgroups("cgroups disabled by --cgroups=off");
  if (process.platform !== "linux" && !opts.fsRoot) return new NoCgroups(`cgroups need Linux (this is ${process.platform})`);
  const problems: string[] = [];
  const v2Root = [fsRoot, join(fsRoot, "unified")].find((d) => host.exists(join(d, "cgroup.controllers")));
  const placements: Placement[] = [];
  for (const controller of CONTROLLERS) {
    let placed: Placement | undefined;
    if (opts.mode !== "v1") {
      if (!v2Root) problems.push(`${controller}: no cgroup2 mount under ${fsRoot}`);
      else placed = tryV2(controller, v2Root, opts.cgroupsRoot, host, problems);
    }
    if (!placed && opts.mode !== "v2") placed = tryV1(controller, fsRoot, opts.cgroupsRoot, host, problems);
    if (placed) placements.push(placed);
  }
  const reason = problems.join("; ");
  if (!placements.some((p) => p.controller === "memory")) {
    if (opts.mode !== "auto") throw new Error(`--cgroups=${opts.mode}: memory controller not usable: ${reason}`);
    // A pids limit alone is not task isolation worth the name: as before, no memory and no cpu means none.
    if (!placements.some((p) => p.controller !== "pids")) return new NoCgroups(`no usable cgroup hierarchy (${reason})`);
  }
  if (problems.length && opts.log) opts.log.debug("cgroup controllers not placed everywhere", { problems: reason });
  if (opts.devices) {
    const devices = tryV1Devices(fsRoot, opts.cgroupsRoot, host);
    if (typeof devices === "string")
      opts.log?.warn(`GPUs are not isolated by the devices cgroup: ${devices}; tasks see only their NVIDIA_VISIBLE_DEVICES / CUDA_VISIBLE_DEVICES`);
    else placements.push(devices);
  }
  return new LinuxCgroups(placements, host);
}

function tryV2(controller: string, v2Root: string, cgroupsRoot: string, host: CgroupHost, problems: string[]): Placement | undefined {
  try {
    const available = host.read(join(v2Root, "cgroup.controllers")).split(/\s+/);
    if (!available.includes(controller)) {
      problems.push(`${controller}: not available in cgroup2 at ${v2Root}`);
      return undefined;
    }
    // Delegate the controller from the v2 root down to <cgroupsRoot>, whose children are tasks.
    let dir = v2Root;
    for (const segment of ["", ...cgroupsRoot.split("/")]) {
      dir = segment ? join(dir, segment) : dir;
      if (segment) host.mkdir(dir);
      const control = join(dir, "cgroup.subtree_control");
      const enabled = host.exists(control) ? host.read(control).split(/\s+/) : [];
      if (!enabled.includes(controller)) host.write(control, `+${controller}`);
    }
    return { controller: controller as Placement["controller"], version: 2, base: dir };
  } catch (e) {
    problems.push(`${controller}: cgroup2 at ${v2Root} not writable: ${errorText(e)}`);
    return undefined;
  }
}

/** The v1 devices hierarchy's placement, or why there is none. */
function tryV1Devices(fsRoot: string, cgroupsRoot: string, host: CgroupHost): Placement | string {
  const hierarchy = join(fsRoot, "devices");
  if (!host.exists(join(hierarchy, "devices.deny")))
    return `no cgroup v1 devices hierarchy under ${fsRoot} (cgroup v2 needs eBPF device programs, not supported)`;
  try {
    const base = join(hierarchy, cgroupsRoot);
    host.mkdir(base);
    return { controller: "devices", version: 1, base };
  } catch (e) {
    return `${hierarchy} not writable: ${errorText(e)}`;
  }
}

function tryV1(controller: (typeof CONTROLLERS)[number], fsRoot: string, cgroupsRoot: string, host: CgroupHost, problems: string[]): Placement | undefined {
  const spec = V1_DIRS[controller];
  const hierarchy = spec.dirs.map((d) => join(fsRoot, d)).find((d) => host.exists(join(d, spec.probe)));
  if (!hierarchy) {
    problems.push(`${controller}: no cgroup v1 hierarchy under ${fsRoot}`);
    return undefined;
  }
  try {
    const base = join(hierarchy, cgroupsRoot);
    host.mkdir(base);
    if (controller !== "memory") return { controller, version: 1, base };
    return { controller, version: 1, base, memsw: host.exists(join(hierarchy, "memory.memsw.limit_in_bytes")) };
  } catch (e) {
    problems.push(`${controller}: ${hierarchy} not writable: ${errorText(e)}`);
    return undefined;
  }
}
