/** The table of `strata-agent`'s flags (their variables, defaults and help) and `--help`. */
import { MAX_POLL_HOLD_SECONDS } from "../../../schemas/agent-limits.ts";
import { DEFAULT_MASTER_URL } from "../../../sdk/src/defaults.ts";
import { DEFAULT_DOCKER_SOCKET } from "../docker/docker-client.ts";
import { DEFAULT_DISK_WATCH_INTERVAL, DEFAULT_GC_DELAY, DEFAULT_GC_DISK_HEADROOM } from "../sandbox/sandbox-gc.ts";
import { CONFIG_FLAG } from "./config-file.ts";

/** Most hollow agents one process may run (Bun allows at most 65,535 fetch requests at once). */
export const MAX_HOLLOW = 30_000;

/** One flag: its name (without `--`), environment variable, default and help line. */
export interface FlagSpec {
  name: string;
  env: string;
  default: string;
  help: string;
}

/**
 * Every flag, its environment variable, default and meaning (used by `--help` and the README).
 * Defaults like `(required)` or `os.hostname()` only describe; the others are what `validate`
 * (flags.ts) falls back to, so each is written once.
 */
export const FLAG_SPECS: readonly FlagSpec[] = [
  {
    name: CONFIG_FLAG,
    env: "STRATA_CONFIG",
    default: "",
    help: "File of KEY=value lines setting any other flag by its name or env var ('master=…' or 'STRATA_MASTER=…'); flags and env vars win over it",
  },
  { name: "master", env: "STRATA_MASTER", default: DEFAULT_MASTER_URL, help: "Base URL of the Strata master" },
  { name: "join-token", env: "STRATA_JOIN_TOKEN", default: "(required)", help: "Cluster join token (sent as a Bearer token, never logged)" },
  { name: "join-token-file", env: "STRATA_JOIN_TOKEN_FILE", default: "", help: "File holding the join token (alternative to --join-token)" },
  { name: "work-dir", env: "STRATA_WORK_DIR", default: "./.strata/agent", help: "Checkpoints and task sandboxes" },
  { name: "hostname", env: "STRATA_HOSTNAME", default: "os.hostname()", help: "Hostname advertised to the master" },
  {
    name: "ip",
    env: "STRATA_IP",
    default: "",
    help: "IPv4 or IPv6 address announced to the master (none by default); maintenance windows may name the machine by it",
  },
  { name: "port", env: "STRATA_PORT", default: "5051", help: "Port advertised in offers (the agent never listens)" },
  {
    name: "resources",
    env: "STRATA_RESOURCES",
    default: "(detected)",
    help: "Mesos form, e.g. 'cpus:2;mem:1024;ports:[31000-31100]'; overrides detected resources (with --hollow: cpus:2;mem:1024;disk:4096;ports:[31000-32000]) of the same name",
  },
  { name: "attributes", env: "STRATA_ATTRIBUTES", default: "", help: "e.g. 'rack:r1;zone:a' (numbers are SCALAR, else TEXT); hollow agents add 'hollow:<i>'" },
  { name: "cgroups", env: "STRATA_CGROUPS", default: "auto", help: "Task isolation: auto | v1 | v2 | off" },
  { name: "cgroups-root", env: "STRATA_CGROUPS_ROOT", default: "strata", help: "Cgroup under each hierarchy holding this agent's task cgroups" },
  {
    name: "recover",
    env: "STRATA_RECOVER",
    default: "reconnect",
    help: "Tasks left by the previous agent run: reconnect (re-attach; they keep running) | cleanup (kill them, report them failed)",
  },
  {
    name: "poll-wait-seconds",
    env: "STRATA_POLL_WAIT_SECONDS",
    default: String(MAX_POLL_HOLD_SECONDS),
    help: `How long the master may hold a poll (it caps it at ${MAX_POLL_HOLD_SECONDS})`,
  },
  { name: "log-level", env: "STRATA_LOG_LEVEL", default: "info", help: "debug | info | warn | error" },
  {
    name: "hollow",
    env: "STRATA_HOLLOW",
    default: "0",
    help: `Run N simulated agents in this process (fake tasks, no disk writes; load testing), 0-${MAX_HOLLOW}; 0 is a normal agent`,
  },
  { name: "hollow-task-ms", env: "STRATA_HOLLOW_TASK_MS", default: "1000", help: "How long a hollow agent's task runs before TASK_FINISHED, in ms" },
  {
    name: "usage-interval-seconds",
    env: "STRATA_USAGE_INTERVAL_SECONDS",
    default: "30",
    help: "Report running tasks' cpu and memory usage to the master (for oversubscription) at most this often, 0-3600; 0 reports none",
  },
  {
    name: "hollow-usage-fraction",
    env: "STRATA_HOLLOW_USAGE_FRACTION",
    default: "0",
    help: "Share (0-1) of its cpus and mem each hollow task reports using; 0: hollow agents report no usage",
  },
  {
    name: "fetcher-cache-dir",
    env: "STRATA_FETCHER_CACHE_DIR",
    default: "",
    help: "Directory of the fetcher cache (files of URIs fetched with cache: true); default <work-dir>/fetcher-cache",
  },
  {
    name: "fetcher-cache-size",
    env: "STRATA_FETCHER_CACHE_SIZE",
    default: "2GB",
    help: "Most the fetcher cache holds (e.g. 512MB, 2GB); least recently used files are evicted; 0 turns caching off",
  },
  {
    name: "fetcher-max-size",
    env: "STRATA_FETCHER_MAX_SIZE",
    default: "4GB",
    help: "Largest file a task's URI may fetch (e.g. 100MB); a larger one fails the task",
  },
  {
    name: "fetcher-stall-timeout-seconds",
    env: "STRATA_FETCHER_STALL_TIMEOUT_SECONDS",
    default: "60",
    help: "A download that receives nothing for this long fails its task, 1-3600",
  },
  {
    name: "containerizers",
    env: "STRATA_CONTAINERIZERS",
    default: "mesos",
    help: "Comma-separated: mesos (command tasks as processes) and docker (DOCKER tasks through the Docker engine), e.g. mesos,docker",
  },
  {
    name: "docker-socket",
    env: "STRATA_DOCKER_SOCKET",
    default: DEFAULT_DOCKER_SOCKET,
    help: "Unix socket of the Docker engine (with --containerizers=...,docker)",
  },
  {
    name: "nvidia-gpu-devices",
    env: "STRATA_NVIDIA_GPU_DEVICES",
    default: "",
    help: "Comma-separated indices (as nvidia-smi numbers them) of the NVIDIA GPUs to offer, e.g. 0,1; default all detected",
  },
  {
    name: "switch-user",
    env: "STRATA_SWITCH_USER",
    default: "true",
    help: "true | false: an agent running as root runs each task as its CommandInfo.user, else its FrameworkInfo.user (an unknown user fails the task); false runs tasks as the agent's user",
  },
  {
    name: "allow-root-tasks",
    env: "STRATA_ALLOW_ROOT_TASKS",
    default: "false",
    help: "true | false: tasks may run as root (a task naming root, or naming no user on a root agent); false (the default) fails them, so no task runs as root unless the operator allowed it",
  },
  {
    name: "cgroups-enable-cfs",
    env: "STRATA_CGROUPS_ENABLE_CFS",
    default: "true",
    help: "true | false: a task's cpus are also a hard limit (CFS quota); false gives them only a weight (cpu shares), so idle CPU can be used",
  },
  {
    name: "task-pids-limit",
    env: "STRATA_TASK_PIDS_LIMIT",
    default: "4096",
    help: "Most processes/threads one task may have (pids.max of its cgroup), 0-4194304; 0: no limit",
  },
  {
    name: "container-disk-watch-interval-seconds",
    env: "STRATA_CONTAINER_DISK_WATCH_INTERVAL_SECONDS",
    default: "15",
    help: "How often the sandbox of a task with a disk resource is measured, 1-3600",
  },
  {
    name: "enforce-disk-limit",
    env: "STRATA_ENFORCE_DISK_LIMIT",
    default: "true",
    help: "true | false: kill a task whose sandbox grows past its disk resource (TASK_FAILED, REASON_CONTAINER_LIMITATION_DISK); false only logs it",
  },
  {
    name: "gc-delay",
    env: "STRATA_GC_DELAY",
    default: DEFAULT_GC_DELAY,
    help: "How long a finished task's sandbox is kept (e.g. 1weeks, 2days, 12hrs, 30mins, 90secs; a bare number is seconds); sooner when the disk fills",
  },
  {
    name: "gc-disk-headroom",
    env: "STRATA_GC_DISK_HEADROOM",
    default: String(DEFAULT_GC_DISK_HEADROOM),
    help: "Share (0-1) of the disk to keep free: sandboxes older than gc-delay × max(0, 1 − headroom − disk usage) are removed",
  },
  {
    name: "disk-watch-interval",
    env: "STRATA_DISK_WATCH_INTERVAL",
    default: DEFAULT_DISK_WATCH_INTERVAL,
    help: "How often disk usage is checked while sandboxes await removal (e.g. 1mins, 30secs)",
  },
];

/** `--help` text. */
export function helpText(): string {
  const rows = FLAG_SPECS.map((f) => `  --${f.name.padEnd(18)} ${f.help}\n  ${"".padEnd(20)} env ${f.env}${f.default ? `, default ${f.default}` : ""}`);
  return `Usage: strata-agent [--flag=value | --flag value]...\n\nThe Strata agent: registers with the master, long-polls for tasks and runs them.\n\n${rows.join("\n")}\n  --help               Print this help\n  --version            Print the version\n`;
}
