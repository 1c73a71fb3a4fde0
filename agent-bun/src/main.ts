/**
 * `strata-agent` entry point: parse flags, fingerprint, detect cgroups, wire the real
 * implementations into `Agent` and run until SIGINT/SIGTERM. Tasks keep running when the agent
 * exits; their state stays checkpointed in the work dir. With `--hollow N`, runs N simulated
 * agents instead (hollow/hollow-fleet.ts): no disk, no cgroups, no processes.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Resource } from "../../schemas/mesos.ts";
import { formatResources } from "../../sdk/src/resources.ts";
import { type AgentFlags, FlagError, redactFlags } from "./cli/agent-flags.ts";
import { withDocker } from "./cli/docker-setup.ts";
import { helpText } from "./cli/flag-specs.ts";
import { parseFlags } from "./cli/flags.ts";
import { withGpus } from "./cli/gpu-setup.ts";
import { AGENT_VERSION } from "./cli/version.ts";
import { ProcessContainerizer } from "./containerizers/process-containerizer.ts";
import { Agent } from "./core/agent.ts";
import { HttpMasterClient } from "./core/master-client.ts";
import { HollowUsageSampler, ProcUsageSampler } from "./core/usage.ts";
import { Fetcher } from "./fetcher/fetcher.ts";
import { LocalHealthProber } from "./health/health-probes.ts";
import { ensureFetchLimit } from "./hollow/fetch-limit.ts";
import { HollowFleet, hollowResources } from "./hollow/hollow-fleet.ts";
import { type Cgroups, detectCgroups, LinuxCgroups } from "./isolation/cgroups.ts";
import { DiskWatch } from "./isolation/disk-watch.ts";
import { taskUserDescription } from "./isolation/task-user.ts";
import { FileCheckpointStore, StateStore } from "./state/checkpoint.ts";
import { systemClock } from "./system/clock.ts";
import { fingerprint, systemHostProbe } from "./system/fingerprint.ts";
import { createLogger, errorText, type Logger } from "./system/log.ts";
import { ensureJitOff } from "./system/reexec.ts";

function parseOrExit(): AgentFlags {
  try {
    const parsed = parseFlags(process.argv.slice(2));
    if (parsed.kind === "help") {
      process.stdout.write(helpText());
      process.exit(0);
    }
    if (parsed.kind === "version") {
      process.stdout.write(`strata-agent ${AGENT_VERSION}\n`);
      process.exit(0);
    }
    return parsed.flags;
  } catch (e) {
    process.stderr.write(`strata-agent: ${e instanceof FlagError ? e.message : errorText(e)}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const flags = parseOrExit();
  const log = createLogger(flags.logLevel);
  const workDir = resolve(flags.workDir);
  if (flags.hollow > 0) return mainHollow(flags, workDir, log);
  ensureJitOff(log); // may re-execute this process (see system/reexec.ts)
  let store: StateStore;
  let cgroups: Cgroups;
  let fetcher: Fetcher;
  let gpus: Awaited<ReturnType<typeof withGpus>>;
  try {
    mkdirSync(workDir, { recursive: true });
    store = new StateStore(new FileCheckpointStore(workDir));
    gpus = await withGpus(flags, log);
    cgroups = detectCgroups({ mode: flags.cgroups, cgroupsRoot: flags.cgroupsRoot, log, devices: gpus.offered.length > 0 });
    fetcher = new Fetcher({
      cacheDir: resolve(flags.fetcherCacheDir ?? `${workDir}/fetcher-cache`),
      cacheBytes: flags.fetcherCacheSize,
      maxBytes: flags.fetcherMaxSize,
      stallTimeoutMs: flags.fetcherStallTimeoutSeconds * 1000,
      log,
    });
  } catch (e) {
    log.error("cannot start", { error: errorText(e) });
    process.exit(1);
  }
  if (!cgroups.enabled) log.warn(`tasks run without resource limits: ${cgroups.description}`);
  const users = { switchUser: flags.switchUser, allowRoot: flags.allowRootTasks };
  const containerizer = gpus.wrap(
    withDocker(new ProcessContainerizer(cgroups, log, { users, pidsLimit: flags.taskPidsLimit, cfsQuota: flags.cgroupsEnableCfs }), flags, log, workDir),
  );
  const resources = fingerprint(workDir, flags.resources, systemHostProbe, gpus.offered.length);
  log.info("starting strata-agent", {
    version: AGENT_VERSION,
    flags: redactFlags({ ...flags, workDir }),
    resources: formatResources(resources),
    containerizer: containerizer.description,
    agent_id: store.state.agent_id,
    task_users: taskUserDescription(users),
  });
  const agent = new Agent({
    client: new HttpMasterClient(flags.master, flags.joinToken),
    store,
    containerizer,
    clock: systemClock,
    log,
    workDir,
    pollWaitSeconds: flags.pollWaitSeconds,
    fetcher,
    recover: flags.recover,
    diskWatch: new DiskWatch({ intervalMs: flags.containerDiskWatchIntervalSeconds * 1000, enforce: flags.enforceDiskLimit, log }),
    gc: { delayMs: flags.gcDelayMs, diskHeadroom: flags.gcDiskHeadroom, diskWatchIntervalMs: flags.diskWatchIntervalMs },
    healthProber: new LocalHealthProber(cgroups instanceof LinuxCgroups ? cgroups.placements : []),
    info: agentInfo(flags, resources),
    ...(flags.usageIntervalSeconds > 0
      ? {
          usage: { sampler: new ProcUsageSampler(cgroups instanceof LinuxCgroups ? cgroups.placements : []), intervalMs: flags.usageIntervalSeconds * 1000 },
        }
      : {}),
  });
  stopOnSignals(log, "stopping; tasks keep running and stay checkpointed", () => agent.stop());
  await agent.run();
  cgroups.removeRootIfEmpty();
  if (agent.fatal) {
    process.stderr.write(`strata-agent: ${agent.fatal}\n`);
    process.exit(3);
  }
  process.exit(0);
}

/** On SIGINT/SIGTERM: log `message`, call `stop`, and exit at the latest 2 s later. */
/** What the agent tells the master about itself when it registers. */
function agentInfo(flags: AgentFlags, resources: Resource[]) {
  return {
    hostname: flags.hostname,
    ...(flags.ip ? { ip: flags.ip } : {}),
    port: flags.port,
    resources,
    attributes: flags.attributes,
    version: AGENT_VERSION,
  };
}

function stopOnSignals(log: Logger, message: string, stop: () => void): void {
  const shutdown = (signal: string) => {
    log.info(message, { signal });
    stop();
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

/** `--hollow N`: N simulated agents against the master until SIGINT/SIGTERM. */
async function mainHollow(flags: AgentFlags, workDir: string, log: Logger): Promise<void> {
  ensureFetchLimit(flags.hollow, log); // may re-execute this process (see hollow/fetch-limit.ts)
  const resources = hollowResources(flags.resources);
  const fleet = new HollowFleet({
    count: flags.hollow,
    taskMs: flags.hollowTaskMs,
    client: new HttpMasterClient(flags.master, flags.joinToken),
    clock: systemClock,
    log,
    debug: flags.logLevel === "debug",
    workDir,
    pollWaitSeconds: flags.pollWaitSeconds,
    info: agentInfo(flags, resources),
    ...(flags.hollowUsageFraction > 0 && flags.usageIntervalSeconds > 0
      ? {
          usage: { sampler: new HollowUsageSampler(flags.hollowUsageFraction), intervalMs: flags.usageIntervalSeconds * 1000 },
        }
      : {}),
  });
  log.info(`starting ${flags.hollow} hollow agents`, {
    version: AGENT_VERSION,
    flags: redactFlags({ ...flags, workDir }),
    resources: formatResources(resources),
    containerizer: fleet.containerizer.description,
    hostnames: `${flags.hostname}-hollow-{0..${flags.hollow - 1}}`,
  });
  stopOnSignals(log, "stopping the hollow agents", () => fleet.stop());
  await fleet.run();
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`strata-agent: fatal: ${errorText(e)}\n`);
  process.exit(1);
});
