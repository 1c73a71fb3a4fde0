/**
 * Command-line flags of `strata-agent`. Each flag can also come from an environment variable
 * or the config file (config-file.ts): flag > environment > config file > default. Bad input
 * throws `FlagError` naming the flag (and the file and line for a value from the config file);
 * main.ts exits with status 2.
 */
import { readFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { MAX_POLL_HOLD_SECONDS } from "../../../schemas/agent-limits.ts";
import type { Attribute, Resource } from "../../../schemas/mesos.ts";
import { DEFAULT_MASTER_URL } from "../../../sdk/src/defaults.ts";
import { parseResources } from "../../../sdk/src/resources.ts";
import { LOG_LEVELS, type LogLevel } from "../system/log.ts";
import { parseAttributes } from "../system/fingerprint.ts";
import { CONFIG_FLAG, type ConfigFile, configEntryWhere, readConfigFile } from "./config-file.ts";
import { parseByteSize } from "../fetcher/fetcher-size.ts";
import { DEFAULT_DOCKER_SOCKET } from "../docker/docker-client.ts";
import { parseGpuIndices } from "../gpu/gpus.ts";
import { DEFAULT_DISK_WATCH_INTERVAL, DEFAULT_GC_DELAY, DEFAULT_GC_DISK_HEADROOM, parseDurationMs } from "../sandbox/sandbox-gc.ts";
import { CGROUPS_MODES, type CgroupsMode } from "../isolation/cgroups.ts";
import { RECOVER_MODES, type RecoverMode } from "../core/task-manager.ts";

/**
 * True for an IPv4 dotted quad or an IPv6 address. Not `node:net`'s `isIP`: loading node:net
 * costs the idle agent about a megabyte of memory; the URL parser (always loaded) checks IPv6.
 * IPv6 zone ids (`fe80::1%eth0`) are refused: a machine is not named by a link-local address.
 */
export function isIpAddress(text: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return text.split(".").every((p) => Number(p) <= 255 && (p === "0" || !p.startsWith("0")));
  if (!text.includes(":") || /[^0-9a-fA-F:.%a-zA-Z0-9]/.test(text)) return false;
  try { return new URL(`http://[${text}]/`).hostname.length > 2; } catch { return false; }
}

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
  constructor(readonly flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.name = "FlagError";
  }
}

/** Most hollow agents one process may run (Bun allows at most 65,535 fetch requests at once). */
export const MAX_HOLLOW = 30_000;

interface FlagSpec { name: string; env: string; default: string; help: string }

/**
 * Every flag, its environment variable, default and meaning (used by `--help` and the README).
 * Defaults like `(required)` or `os.hostname()` only describe; the others are what `validate`
 * falls back to, so each is written once.
 */
export const FLAG_SPECS: readonly FlagSpec[] = [
  { name: CONFIG_FLAG, env: "STRATA_CONFIG", default: "", help: "File of KEY=value lines setting any other flag by its name or env var ('master=…' or 'STRATA_MASTER=…'); flags and env vars win over it" },
  { name: "master", env: "STRATA_MASTER", default: DEFAULT_MASTER_URL, help: "Base URL of the Strata master" },
  { name: "join-token", env: "STRATA_JOIN_TOKEN", default: "(required)", help: "Cluster join token (sent as a Bearer token, never logged)" },
  { name: "join-token-file", env: "STRATA_JOIN_TOKEN_FILE", default: "", help: "File holding the join token (alternative to --join-token)" },
  { name: "work-dir", env: "STRATA_WORK_DIR", default: "./.strata/agent", help: "Checkpoints and task sandboxes" },
  { name: "hostname", env: "STRATA_HOSTNAME", default: "os.hostname()", help: "Hostname advertised to the master" },
  { name: "ip", env: "STRATA_IP", default: "", help: "IPv4 or IPv6 address announced to the master (none by default); maintenance windows may name the machine by it" },
  { name: "port", env: "STRATA_PORT", default: "5051", help: "Port advertised in offers (the agent never listens)" },
  { name: "resources", env: "STRATA_RESOURCES", default: "(detected)", help: "Mesos form, e.g. 'cpus:2;mem:1024;ports:[31000-31100]'; overrides detected resources (with --hollow: cpus:2;mem:1024;disk:4096;ports:[31000-32000]) of the same name" },
  { name: "attributes", env: "STRATA_ATTRIBUTES", default: "", help: "e.g. 'rack:r1;zone:a' (numbers are SCALAR, else TEXT); hollow agents add 'hollow:<i>'" },
  { name: "cgroups", env: "STRATA_CGROUPS", default: "auto", help: "Task isolation: auto | v1 | v2 | off" },
  { name: "cgroups-root", env: "STRATA_CGROUPS_ROOT", default: "strata", help: "Cgroup under each hierarchy holding this agent's task cgroups" },
  { name: "recover", env: "STRATA_RECOVER", default: "reconnect", help: "Tasks left by the previous agent run: reconnect (re-attach; they keep running) | cleanup (kill them, report them failed)" },
  { name: "poll-wait-seconds", env: "STRATA_POLL_WAIT_SECONDS", default: String(MAX_POLL_HOLD_SECONDS), help: `How long the master may hold a poll (it caps it at ${MAX_POLL_HOLD_SECONDS})` },
  { name: "log-level", env: "STRATA_LOG_LEVEL", default: "info", help: "debug | info | warn | error" },
  { name: "hollow", env: "STRATA_HOLLOW", default: "0", help: `Run N simulated agents in this process (fake tasks, no disk writes; load testing), 0-${MAX_HOLLOW}; 0 is a normal agent` },
  { name: "hollow-task-ms", env: "STRATA_HOLLOW_TASK_MS", default: "1000", help: "How long a hollow agent's task runs before TASK_FINISHED, in ms" },
  { name: "usage-interval-seconds", env: "STRATA_USAGE_INTERVAL_SECONDS", default: "30", help: "Report running tasks' cpu and memory usage to the master (for oversubscription) at most this often, 0-3600; 0 reports none" },
  { name: "hollow-usage-fraction", env: "STRATA_HOLLOW_USAGE_FRACTION", default: "0", help: "Share (0-1) of its cpus and mem each hollow task reports using; 0: hollow agents report no usage" },
  { name: "fetcher-cache-dir", env: "STRATA_FETCHER_CACHE_DIR", default: "", help: "Directory of the fetcher cache (files of URIs fetched with cache: true); default <work-dir>/fetcher-cache" },
  { name: "fetcher-cache-size", env: "STRATA_FETCHER_CACHE_SIZE", default: "2GB", help: "Most the fetcher cache holds (e.g. 512MB, 2GB); least recently used files are evicted; 0 turns caching off" },
  { name: "fetcher-max-size", env: "STRATA_FETCHER_MAX_SIZE", default: "4GB", help: "Largest file a task's URI may fetch (e.g. 100MB); a larger one fails the task" },
  { name: "fetcher-stall-timeout-seconds", env: "STRATA_FETCHER_STALL_TIMEOUT_SECONDS", default: "60", help: "A download that receives nothing for this long fails its task, 1-3600" },
  { name: "containerizers", env: "STRATA_CONTAINERIZERS", default: "mesos", help: "Comma-separated: mesos (command tasks as processes) and docker (DOCKER tasks through the Docker engine), e.g. mesos,docker" },
  { name: "docker-socket", env: "STRATA_DOCKER_SOCKET", default: DEFAULT_DOCKER_SOCKET, help: "Unix socket of the Docker engine (with --containerizers=...,docker)" },
  { name: "nvidia-gpu-devices", env: "STRATA_NVIDIA_GPU_DEVICES", default: "", help: "Comma-separated indices (as nvidia-smi numbers them) of the NVIDIA GPUs to offer, e.g. 0,1; default all detected" },
  { name: "switch-user", env: "STRATA_SWITCH_USER", default: "true", help: "true | false: an agent running as root runs each task as its CommandInfo.user, else its FrameworkInfo.user (an unknown user fails the task); false runs tasks as the agent's user" },
  { name: "allow-root-tasks", env: "STRATA_ALLOW_ROOT_TASKS", default: "false", help: "true | false: tasks may run as root (a task naming root, or naming no user on a root agent); false (the default) fails them, so no task runs as root unless the operator allowed it" },
  { name: "cgroups-enable-cfs", env: "STRATA_CGROUPS_ENABLE_CFS", default: "true", help: "true | false: a task's cpus are also a hard limit (CFS quota); false gives them only a weight (cpu shares), so idle CPU can be used" },
  { name: "task-pids-limit", env: "STRATA_TASK_PIDS_LIMIT", default: "4096", help: "Most processes/threads one task may have (pids.max of its cgroup), 0-4194304; 0: no limit" },
  { name: "container-disk-watch-interval-seconds", env: "STRATA_CONTAINER_DISK_WATCH_INTERVAL_SECONDS", default: "15", help: "How often the sandbox of a task with a disk resource is measured, 1-3600" },
  { name: "enforce-disk-limit", env: "STRATA_ENFORCE_DISK_LIMIT", default: "true", help: "true | false: kill a task whose sandbox grows past its disk resource (TASK_FAILED, REASON_CONTAINER_LIMITATION_DISK); false only logs it" },
  { name: "gc-delay", env: "STRATA_GC_DELAY", default: DEFAULT_GC_DELAY, help: "How long a finished task's sandbox is kept (e.g. 1weeks, 2days, 12hrs, 30mins, 90secs; a bare number is seconds); sooner when the disk fills" },
  { name: "gc-disk-headroom", env: "STRATA_GC_DISK_HEADROOM", default: String(DEFAULT_GC_DISK_HEADROOM), help: "Share (0-1) of the disk to keep free: sandboxes older than gc-delay × max(0, 1 − headroom − disk usage) are removed" },
  { name: "disk-watch-interval", env: "STRATA_DISK_WATCH_INTERVAL", default: DEFAULT_DISK_WATCH_INTERVAL, help: "How often disk usage is checked while sandboxes await removal (e.g. 1mins, 30secs)" },
];

/** `--help` text. */
export function helpText(): string {
  const rows = FLAG_SPECS.map((f) => `  --${f.name.padEnd(18)} ${f.help}\n  ${"".padEnd(20)} env ${f.env}${f.default ? `, default ${f.default}` : ""}`);
  return `Usage: strata-agent [--flag=value | --flag value]...\n\nThe Strata agent: registers with the master, long-polls for tasks and runs them.\n\n${rows.join("\n")}\n  --help               Print this help\n  --version            Print the version\n`;
}

/** Result of reading argv: a request for help/version, or the validated flags to run with. */
export type ParsedArgs = { kind: "help" } | { kind: "version" } | { kind: "run"; flags: AgentFlags };

function splitArgv(argv: readonly string[]): Map<string, string> | "help" | "version" {
  const known = new Set(FLAG_SPECS.map((f) => f.name));
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--version") return "version";
    const m = /^--([a-z][a-z-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (!m) throw new FlagError(arg, "unexpected argument (flags look like --name=value)");
    const name = m[1]!;
    if (!known.has(name)) throw new FlagError(`--${name}`, "unknown flag (see --help)");
    let value = m[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new FlagError(`--${name}`, "missing value");
      i++;
    }
    out.set(name, value);
  }
  return out;
}

/** Parses argv (without node/binary) and the environment into validated flags. */
export function parseFlags(argv: readonly string[], env: Record<string, string | undefined> = process.env): ParsedArgs {
  const given = splitArgv(argv);
  if (given === "help") return { kind: "help" };
  if (given === "version") return { kind: "version" };
  const fromEnv = (name: string): string | undefined => {
    const spec = FLAG_SPECS.find((f) => f.name === name)!;
    return env[spec.env] !== undefined && env[spec.env] !== "" ? env[spec.env] : undefined;
  };
  const configPath = given.get(CONFIG_FLAG) ?? fromEnv(CONFIG_FLAG);
  let config: ConfigFile | undefined;
  if (configPath !== undefined) {
    try { config = readConfigFile(configPath, FLAG_SPECS); } catch (e) { throw new FlagError(`--${CONFIG_FLAG}`, (e as Error).message); }
  }
  const explicit = (name: string): string | undefined => given.get(name) ?? fromEnv(name);
  const raw = (name: string): string | undefined => explicit(name) ?? config?.entries.get(name)?.value;
  try {
    const flags = validate(raw);
    return { kind: "run", flags: config ? { ...flags, configFile: config.path } : flags };
  } catch (e) {
    // A bad value taken from the config file: say where it was set.
    const where = e instanceof FlagError && config && explicit(e.flag.slice(2)) === undefined ? configEntryWhere(config, e.flag.slice(2)) : undefined;
    if (e instanceof FlagError && where) throw new FlagError(e.flag, `${e.message.slice(e.flag.length + 2)} (set at ${where})`);
    throw e;
  }
}

function validate(raw: (name: string) => string | undefined): AgentFlags {
  // The given value, else the flag's default in FLAG_SPECS (for flags whose default is a value).
  const withDefault = (name: string): string => raw(name) ?? FLAG_SPECS.find((f) => f.name === name)!.default;
  const master = withDefault("master");
  let url: URL;
  try { url = new URL(master); } catch { throw new FlagError("--master", `not a URL: '${master}'`); }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new FlagError("--master", `must be http(s), got '${master}'`);

  let joinToken = raw("join-token");
  const tokenFile = raw("join-token-file");
  if (joinToken === undefined && tokenFile !== undefined) {
    try { joinToken = readFileSync(tokenFile, "utf8").trim(); } catch (e) {
      throw new FlagError("--join-token-file", `cannot read '${tokenFile}': ${(e as Error).message}`);
    }
    if (!joinToken) throw new FlagError("--join-token-file", `'${tokenFile}' is empty`);
  }
  if (!joinToken) throw new FlagError("--join-token", "required (or --join-token-file, or STRATA_JOIN_TOKEN)");

  const workDir = withDefault("work-dir");
  if (!workDir.trim()) throw new FlagError("--work-dir", "must not be empty");

  const hostname = raw("hostname") ?? osHostname();
  if (!hostname.trim()) throw new FlagError("--hostname", "must not be empty");

  const ip = raw("ip");
  if (ip !== undefined && !isIpAddress(ip)) throw new FlagError("--ip", `expected an IPv4 or IPv6 address like 10.0.0.5 or fd00::5, got '${ip}'`);

  const portText = withDefault("port");
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new FlagError("--port", `expected an integer 0-65535, got '${portText}'`);

  let resources: Resource[] = [];
  const resourcesText = raw("resources");
  if (resourcesText !== undefined) {
    try { resources = parseResources(resourcesText); } catch (e) { throw new FlagError("--resources", (e as Error).message); }
  }
  let attributes: Attribute[] = [];
  const attributesText = raw("attributes");
  if (attributesText !== undefined) {
    try { attributes = parseAttributes(attributesText); } catch (e) { throw new FlagError("--attributes", (e as Error).message); }
  }

  const cgroups = withDefault("cgroups") as CgroupsMode;
  if (!CGROUPS_MODES.includes(cgroups)) throw new FlagError("--cgroups", `expected one of ${CGROUPS_MODES.join(", ")}, got '${cgroups}'`);

  const cgroupsRoot = withDefault("cgroups-root");
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(cgroupsRoot) || cgroupsRoot.split("/").some((s) => s === "." || s === "..")) {
    throw new FlagError("--cgroups-root", `expected a relative cgroup path like 'strata' or 'strata/agent1', got '${cgroupsRoot}'`);
  }

  const recover = withDefault("recover") as RecoverMode;
  if (!RECOVER_MODES.includes(recover)) throw new FlagError("--recover", `expected one of ${RECOVER_MODES.join(", ")}, got '${recover}'`);

  const waitText = withDefault("poll-wait-seconds");
  const pollWaitSeconds = Number(waitText);
  if (!waitText.trim() || !Number.isFinite(pollWaitSeconds) || pollWaitSeconds < 0 || pollWaitSeconds > 300) {
    throw new FlagError("--poll-wait-seconds", `expected a number of seconds 0-300, got '${waitText}'`);
  }

  const logLevel = withDefault("log-level") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new FlagError("--log-level", `expected one of ${LOG_LEVELS.join(", ")}, got '${logLevel}'`);

  const hollowText = withDefault("hollow");
  const hollow = Number(hollowText);
  if (!/^\d+$/.test(hollowText) || hollow > MAX_HOLLOW) throw new FlagError("--hollow", `expected a number of agents 0-${MAX_HOLLOW}, got '${hollowText}'`);

  const taskMsText = withDefault("hollow-task-ms");
  const hollowTaskMs = Number(taskMsText);
  if (!/^\d+$/.test(taskMsText) || hollowTaskMs > 86_400_000) throw new FlagError("--hollow-task-ms", `expected milliseconds 0-86400000, got '${taskMsText}'`);

  const usageText = withDefault("usage-interval-seconds");
  const usageIntervalSeconds = Number(usageText);
  if (!usageText.trim() || !Number.isFinite(usageIntervalSeconds) || usageIntervalSeconds < 0 || usageIntervalSeconds > 3600) {
    throw new FlagError("--usage-interval-seconds", `expected a number of seconds 0-3600, got '${usageText}'`);
  }

  const fractionText = withDefault("hollow-usage-fraction");
  const hollowUsageFraction = Number(fractionText);
  if (!fractionText.trim() || !Number.isFinite(hollowUsageFraction) || hollowUsageFraction < 0 || hollowUsageFraction > 1) {
    throw new FlagError("--hollow-usage-fraction", `expected a number 0-1, got '${fractionText}'`);
  }

  const fetcherCacheDir = raw("fetcher-cache-dir");
  const size = (name: string): number => {
    const text = withDefault(name);
    const bytes = parseByteSize(text);
    if (bytes === undefined) throw new FlagError(`--${name}`, `expected a size like 512MB or 2GB (B, KB, MB, GB, TB; 1KB = 1024 B), got '${text}'`);
    return bytes;
  };
  const fetcherCacheSize = size("fetcher-cache-size");
  const fetcherMaxSize = size("fetcher-max-size");
  if (fetcherMaxSize === 0) throw new FlagError("--fetcher-max-size", "must be more than 0");
  const stallText = withDefault("fetcher-stall-timeout-seconds");
  const fetcherStallTimeoutSeconds = Number(stallText);
  if (!stallText.trim() || !Number.isFinite(fetcherStallTimeoutSeconds) || fetcherStallTimeoutSeconds < 1 || fetcherStallTimeoutSeconds > 3600) {
    throw new FlagError("--fetcher-stall-timeout-seconds", `expected a number of seconds 1-3600, got '${stallText}'`);
  }
  const containerizersText = withDefault("containerizers");
  const containerizers = [...new Set(containerizersText.split(",").map((s) => s.trim()))] as Containerizers[];
  if (containerizers.some((c) => !CONTAINERIZERS.includes(c))) {
    throw new FlagError("--containerizers", `expected a comma-separated list of ${CONTAINERIZERS.join(", ")}, got '${containerizersText}'`);
  }
  if (!containerizers.includes("mesos")) throw new FlagError("--containerizers", `must include mesos (command tasks), got '${containerizersText}'`);
  const dockerSocket = withDefault("docker-socket");
  if (!dockerSocket.startsWith("/")) throw new FlagError("--docker-socket", `expected an absolute path, got '${dockerSocket}'`);
  const gpuText = raw("nvidia-gpu-devices");
  let nvidiaGpuDevices: number[] | undefined;
  if (gpuText !== undefined) {
    try { nvidiaGpuDevices = parseGpuIndices(gpuText); } catch (e) { throw new FlagError("--nvidia-gpu-devices", (e as Error).message); }
  }

  const bool = (name: string): boolean => {
    const text = withDefault(name);
    if (text !== "true" && text !== "false") throw new FlagError(`--${name}`, `expected true or false, got '${text}'`);
    return text === "true";
  };
  const switchUser = bool("switch-user");
  const allowRootTasks = bool("allow-root-tasks");
  const cgroupsEnableCfs = bool("cgroups-enable-cfs");
  const enforceDiskLimit = bool("enforce-disk-limit");
  const pidsText = withDefault("task-pids-limit");
  const taskPidsLimit = Number(pidsText);
  if (!/^\d+$/.test(pidsText) || taskPidsLimit > 4_194_304) throw new FlagError("--task-pids-limit", `expected a number of processes 0-4194304, got '${pidsText}'`);
  const diskText = withDefault("container-disk-watch-interval-seconds");
  const containerDiskWatchIntervalSeconds = Number(diskText);
  if (!diskText.trim() || !Number.isFinite(containerDiskWatchIntervalSeconds) || containerDiskWatchIntervalSeconds < 1 || containerDiskWatchIntervalSeconds > 3600) {
    throw new FlagError("--container-disk-watch-interval-seconds", `expected a number of seconds 1-3600, got '${diskText}'`);
  }

  const duration = (name: string, min: number): number => {
    const text = withDefault(name);
    const ms = parseDurationMs(text);
    if (ms === undefined || ms < min) throw new FlagError(`--${name}`, `expected a duration of at least ${min / 1000} s like 1weeks, 2days, 12hrs, 30mins or 90secs, got '${text}'`);
    return ms;
  };
  const gcDelayMs = duration("gc-delay", 0);
  const diskWatchIntervalMs = duration("disk-watch-interval", 1_000);
  const headroomText = withDefault("gc-disk-headroom");
  const gcDiskHeadroom = Number(headroomText);
  if (!headroomText.trim() || !Number.isFinite(gcDiskHeadroom) || gcDiskHeadroom < 0 || gcDiskHeadroom > 1) {
    throw new FlagError("--gc-disk-headroom", `expected a number 0-1, got '${headroomText}'`);
  }

  return {
    containerizers, dockerSocket, ...(nvidiaGpuDevices ? { nvidiaGpuDevices } : {}), switchUser, allowRootTasks, cgroupsEnableCfs, taskPidsLimit, containerDiskWatchIntervalSeconds, enforceDiskLimit, gcDelayMs, gcDiskHeadroom, diskWatchIntervalMs,
    master: master.replace(/\/+$/, ""), joinToken, workDir, hostname, ...(ip !== undefined ? { ip } : {}), port, resources, attributes,
    cgroups, cgroupsRoot, recover, pollWaitSeconds, logLevel, hollow, hollowTaskMs, usageIntervalSeconds, hollowUsageFraction,
    ...(fetcherCacheDir !== undefined ? { fetcherCacheDir } : {}), fetcherCacheSize, fetcherMaxSize, fetcherStallTimeoutSeconds,
  };
}

/** The flags with the join token hidden, for logging. */
export function redactFlags(flags: AgentFlags): Record<string, unknown> {
  return { ...flags, joinToken: "<redacted>" };
}
