/**
 * Parsing the command line of `strata-agent`: argv, environment variables and the config file
 * (config-file.ts) into validated `AgentFlags` (agent-flags.ts), by the table of flags
 * (flag-specs.ts): flag > environment > config file > default. Bad input throws `FlagError`
 * naming the flag (and the file and line for a value from the config file); main.ts exits with
 * status 2.
 */
import { readFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import type { Attribute, Resource } from "../../../schemas/mesos.ts";
import { parseResources } from "../../../sdk/src/resources.ts";
import { RECOVER_MODES, type RecoverMode } from "../core/task-manager.ts";
import { parseByteSize } from "../fetcher/fetcher-size.ts";
import { parseGpuIndices } from "../gpu/gpus.ts";
import { CGROUPS_MODES, type CgroupsMode } from "../isolation/cgroups.ts";
import { parseDurationMs } from "../sandbox/sandbox-gc.ts";
import { parseAttributes } from "../system/fingerprint.ts";
import { LOG_LEVELS, type LogLevel } from "../system/log.ts";
import { type AgentFlags, CONTAINERIZERS, type Containerizers, FlagError } from "./agent-flags.ts";
import { CONFIG_FLAG, type ConfigFile, configEntryWhere, readConfigFile } from "./config-file.ts";
import { FLAG_SPECS, MAX_HOLLOW } from "./flag-specs.ts";

/**
 * True for an IPv4 dotted quad or an IPv6 address. Not `node:net`'s `isIP`: loading node:net
 * costs the idle agent about a megabyte of memory; the URL parser (always loaded) checks IPv6.
 * IPv6 zone ids (`fe80::1%eth0`) are refused: a machine is not named by a link-local address.
 */
export function isIpAddress(text: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return text.split(".").every((p) => Number(p) <= 255 && (p === "0" || !p.startsWith("0")));
  if (!text.includes(":") || /[^0-9a-fA-F:.%a-zA-Z0-9]/.test(text)) return false;
  try {
    return new URL(`http://[${text}]/`).hostname.length > 2;
  } catch {
    return false;
  }
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
    try {
      config = readConfigFile(configPath, FLAG_SPECS);
    } catch (e) {
      throw new FlagError(`--${CONFIG_FLAG}`, (e as Error).message);
    }
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
  try {
    url = new URL(master);
  } catch {
    throw new FlagError("--master", `not a URL: '${master}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new FlagError("--master", `must be http(s), got '${master}'`);

  let joinToken = raw("join-token");
  const tokenFile = raw("join-token-file");
  if (joinToken === undefined && tokenFile !== undefined) {
    try {
      joinToken = readFileSync(tokenFile, "utf8").trim();
    } catch (e) {
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
    try {
      resources = parseResources(resourcesText);
    } catch (e) {
      throw new FlagError("--resources", (e as Error).message);
    }
  }
  let attributes: Attribute[] = [];
  const attributesText = raw("attributes");
  if (attributesText !== undefined) {
    try {
      attributes = parseAttributes(attributesText);
    } catch (e) {
      throw new FlagError("--attributes", (e as Error).message);
    }
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
    try {
      nvidiaGpuDevices = parseGpuIndices(gpuText);
    } catch (e) {
      throw new FlagError("--nvidia-gpu-devices", (e as Error).message);
    }
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
  if (!/^\d+$/.test(pidsText) || taskPidsLimit > 4_194_304)
    throw new FlagError("--task-pids-limit", `expected a number of processes 0-4194304, got '${pidsText}'`);
  const diskText = withDefault("container-disk-watch-interval-seconds");
  const containerDiskWatchIntervalSeconds = Number(diskText);
  if (
    !diskText.trim() ||
    !Number.isFinite(containerDiskWatchIntervalSeconds) ||
    containerDiskWatchIntervalSeconds < 1 ||
    containerDiskWatchIntervalSeconds > 3600
  ) {
    throw new FlagError("--container-disk-watch-interval-seconds", `expected a number of seconds 1-3600, got '${diskText}'`);
  }

  const duration = (name: string, min: number): number => {
    const text = withDefault(name);
    const ms = parseDurationMs(text);
    if (ms === undefined || ms < min)
      throw new FlagError(`--${name}`, `expected a duration of at least ${min / 1000} s like 1weeks, 2days, 12hrs, 30mins or 90secs, got '${text}'`);
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
    containerizers,
    dockerSocket,
    ...(nvidiaGpuDevices ? { nvidiaGpuDevices } : {}),
    switchUser,
    allowRootTasks,
    cgroupsEnableCfs,
    taskPidsLimit,
    containerDiskWatchIntervalSeconds,
    enforceDiskLimit,
    gcDelayMs,
    gcDiskHeadroom,
    diskWatchIntervalMs,
    master: master.replace(/\/+$/, ""),
    joinToken,
    workDir,
    hostname,
    ...(ip !== undefined ? { ip } : {}),
    port,
    resources,
    attributes,
    cgroups,
    cgroupsRoot,
    recover,
    pollWaitSeconds,
    logLevel,
    hollow,
    hollowTaskMs,
    usageIntervalSeconds,
    hollowUsageFraction,
    ...(fetcherCacheDir !== undefined ? { fetcherCacheDir } : {}),
    fetcherCacheSize,
    fetcherMaxSize,
    fetcherStallTimeoutSeconds,
  };
}
