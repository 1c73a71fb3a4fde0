/**
 * A DOCKER task's TaskInfo turned into the Engine API's create-container body, as Mesos' docker
 * containerizer turns it into `docker run` options: command vs entrypoint, environment, network
 * and port mappings, volumes with the sandbox at /mnt/mesos/sandbox, cpu and memory limits,
 * and labels naming the agent, framework and task. Pure: bad input throws `LaunchError`.
 */
import { SUPPORTED_DOCKER_PARAMETERS } from "../../../schemas/docker-parameters.ts";
import type { Resource } from "../../../schemas/mesos.ts";
import { rangesOf } from "../../../sdk/src/resources.ts";
import { MiB } from "../../../sdk/src/units.ts";
import { LaunchError, type LaunchSpec } from "../containerizers/containerizer.ts";
import { taskEnvironment, taskLimits } from "../containerizers/task-env.ts";
import { gpuEnvironment } from "../gpu/gpu-assignment.ts";
import { safeSegment } from "../sandbox/paths.ts";

/** Where the task's sandbox appears inside its container (Mesos' path, so Mesos tasks run unchanged). */
export const CONTAINER_SANDBOX = "/mnt/mesos/sandbox";

/** Labels on every container the agent creates: a restarted agent finds its containers by them. */
export const LABEL_AGENT = "strata.agent_id";
export const LABEL_FRAMEWORK = "strata.framework_id";
export const LABEL_TASK = "strata.task_id";

/** Docker `parameters` (docker run options) the agent accepts; any other key fails the launch. */
export const SUPPORTED_PARAMETERS = SUPPORTED_DOCKER_PARAMETERS;

/**
 * The container's name: `strata-<agent>.<framework>.<task>` with each id made a safe segment
 * (paths.ts), so `docker ps` tells whose container it is and each task gets one container.
 */
export function containerName(agentId: string, frameworkId: string, taskId: string): string {
  return `strata-${safeSegment(agentId || "unregistered")}.${safeSegment(frameworkId)}.${safeSegment(taskId)}`;
}

/** A persistent volume of the task (volumes.ts `volumesOf`): its directory and its path in the sandbox. */
export interface PersistentVolumeMount {
  dir: string;
  containerPath: string;
  resource: Resource;
}

/** The create-container body (`POST /containers/create`) for `spec`, mounting `volumes` in the sandbox. */
export function dockerCreateConfig(spec: LaunchSpec, volumes: readonly PersistentVolumeMount[] = []): Record<string, unknown> {
  const container = spec.task.container;
  const docker = container?.docker;
  if (container?.type !== "DOCKER" || !docker?.image) throw new LaunchError("container.docker.image is required for a DOCKER task");
  const command = spec.task.command;

  // Command, as Mesos' docker containerizer: shell (the default) runs `value` with /bin/sh -c
  // in place of the image's entrypoint; shell=false keeps the image's entrypoint and gives it
  // `value` (when set) and then every one of `arguments` as its command (the image's default
  // command when both are empty). No command at all runs the image as it is.
  let entrypoint: string[] | undefined;
  let cmd: string[] | undefined;
  if (command && (command.shell ?? true)) {
    if (!command.value) throw new LaunchError("command.value is empty (set it, or shell: false to run the image's entrypoint)");
    entrypoint = ["/bin/sh", "-c"];
    cmd = [command.value];
  } else if (command) {
    const argv = [...(command.value ? [command.value] : []), ...(command.arguments ?? [])];
    if (argv.length) cmd = argv;
  }

  // The task's variables, then the agent's MESOS_* ones; MESOS_SANDBOX is the path inside.
  const env: Record<string, string> = {};
  for (const v of command?.environment?.variables ?? []) if (v.value !== undefined) env[v.name] = v.value;
  for (const [k, v] of Object.entries(taskEnvironment(spec))) if (k.startsWith("MESOS_")) env[k] = v;
  env.MESOS_SANDBOX = CONTAINER_SANDBOX;

  const labels: Record<string, string> = {
    [LABEL_AGENT]: spec.agentId,
    [LABEL_FRAMEWORK]: spec.frameworkId,
    [LABEL_TASK]: spec.task.task_id.value,
  };
  for (const l of spec.task.labels?.labels ?? []) if (!l.key.startsWith("strata.")) labels[l.key] = l.value ?? "";

  const host: Record<string, unknown> = { Binds: binds(spec, volumes), ...networking(spec), ...limits(spec) };
  if (docker.privileged) host.Privileged = true;
  if (spec.gpus?.devices.length) host.DeviceRequests = gpuDeviceRequests(spec);
  const config: Record<string, unknown> = {
    Image: docker.image,
    Env: [] as string[],
    Labels: labels,
    WorkingDir: CONTAINER_SANDBOX,
    HostConfig: host,
    ...(entrypoint ? { Entrypoint: entrypoint } : {}),
    ...(cmd ? { Cmd: cmd } : {}),
    ...(container.hostname ? { Hostname: container.hostname } : {}),
    ...exposedPorts(spec),
  };
  applyParameters(config, env, docker.parameters ?? []);
  Object.assign(env, gpuEnvironment(spec.gpus, true)); // the agent's choice, whatever the task set
  config.Env = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return config;
}

/**
 * The sandbox at /mnt/mesos/sandbox, the persistent volumes at their paths in it (over the
 * links volumes.ts made there for process tasks), then `container.volumes` (relative paths:
 * inside the sandbox).
 */
function binds(spec: LaunchSpec, volumes: readonly PersistentVolumeMount[]): string[] {
  const out = [`${spec.sandbox}:${CONTAINER_SANDBOX}:rw`];
  for (const v of volumes) {
    out.push(`${v.dir}:${CONTAINER_SANDBOX}/${v.containerPath.replace(/^\.\//, "")}:${v.resource.disk?.volume?.mode === "RO" ? "ro" : "rw"}`);
  }
  for (const [i, v] of (spec.task.container?.volumes ?? []).entries()) {
    if (!v.container_path) throw new LaunchError(`container.volumes[${i}].container_path is required`);
    if (!v.host_path) throw new LaunchError(`container.volumes[${i}]: only host_path volumes are supported by the Docker containerizer`);
    const hostPath = v.host_path.startsWith("/") ? v.host_path : `${spec.sandbox}/${v.host_path}`;
    const containerPath = v.container_path.startsWith("/") ? v.container_path : `${CONTAINER_SANDBOX}/${v.container_path}`;
    if (/[:,]/.test(hostPath + containerPath)) throw new LaunchError(`container.volumes[${i}]: paths must not contain ':' or ','`);
    out.push(`${hostPath}:${containerPath}:${v.mode === "RO" ? "ro" : "rw"}`);
  }
  return out;
}

/** Network mode and port bindings; BRIDGE host ports must be among the task's `ports`. */
function networking(spec: LaunchSpec): Record<string, unknown> {
  const docker = spec.task.container!.docker!;
  const network = docker.network ?? "HOST";
  const mappings = docker.port_mappings ?? [];
  const mode = ({ HOST: "host", BRIDGE: "bridge", NONE: "none" } as Record<string, string>)[network];
  if (!mode) throw new LaunchError(`container.docker.network: ${network} is not supported (HOST, BRIDGE or NONE)`);
  if (mappings.length && network !== "BRIDGE") throw new LaunchError(`container.docker.port_mappings need network BRIDGE (got ${network})`);
  const ranges = rangesOf(spec.task.resources, "ports");
  const bindings: Record<string, Array<{ HostPort: string }>> = {};
  for (const [i, m] of mappings.entries()) {
    if (!ranges.some(([b, e]) => m.host_port >= b && m.host_port <= e)) {
      throw new LaunchError(`container.docker.port_mappings[${i}].host_port ${m.host_port} is not among the task's ports resources`);
    }
    (bindings[portKey(m.container_port, m.protocol)] ??= []).push({ HostPort: String(m.host_port) });
  }
  return { NetworkMode: mode, ...(mappings.length ? { PortBindings: bindings } : {}) };
}

function exposedPorts(spec: LaunchSpec): Record<string, unknown> {
  const mappings = spec.task.container?.docker?.port_mappings ?? [];
  if (!mappings.length) return {};
  return { ExposedPorts: Object.fromEntries(mappings.map((m) => [portKey(m.container_port, m.protocol), {}])) };
}

function portKey(port: number, protocol: string | undefined): string {
  const p = (protocol ?? "tcp").toLowerCase();
  if (p !== "tcp" && p !== "udp") throw new LaunchError(`container.docker.port_mappings: protocol ${protocol} is not supported (tcp or udp)`);
  return `${port}/${p}`;
}

/**
 * The task's GPUs as the engine's device request (`docker run --gpus device=0,1`): the NVIDIA
 * runtime hook then gives the container those devices, their device cgroup entries and the
 * driver's libraries. Needs the NVIDIA container toolkit on the machine.
 */
function gpuDeviceRequests(spec: LaunchSpec): unknown[] {
  return [{ Driver: "nvidia", DeviceIDs: spec.gpus!.devices.map((g) => String(g.index)), Capabilities: [["gpu"]] }];
}

/** cpu shares and a CFS quota from `cpus`, a hard memory limit (no swap) from `mem`. */
function limits(spec: LaunchSpec): Record<string, unknown> {
  const { cpus, memMB } = taskLimits(spec.task.resources);
  const out: Record<string, unknown> = {};
  if (cpus) {
    out.CpuShares = Math.max(2, Math.round(cpus * 1024));
    out.NanoCpus = Math.round(cpus * 1e9);
  }
  if (memMB) {
    // The engine refuses less than 6 MB.
    const bytes = Math.max(6 * MiB, Math.round(memMB * MiB));
    out.Memory = bytes;
    out.MemorySwap = bytes;
  }
  return out;
}

/** Applies docker `parameters` (docker run's long options) the agent knows; others fail the launch. */
function applyParameters(config: Record<string, unknown>, env: Record<string, string>, params: ReadonlyArray<{ key: string; value: string }>): void {
  for (const { key, value } of params) {
    const kv = (): [string, string] => {
      const eq = value.indexOf("=");
      return eq < 0 ? [value, ""] : [value.slice(0, eq), value.slice(eq + 1)];
    };
    switch (key) {
      case "env": {
        const [k, v] = kv();
        if (!k.startsWith("MESOS_")) env[k] = v;
        break;
      }
      case "label": {
        const [k, v] = kv();
        if (!k.startsWith("strata.")) (config.Labels as Record<string, string>)[k] = v;
        break;
      }
      case "user":
        config.User = value;
        break;
      case "workdir":
        config.WorkingDir = value;
        break;
      case "hostname":
        config.Hostname = value;
        break;
      case "entrypoint":
        config.Entrypoint = [value];
        break;
      default:
        throw new LaunchError(`container.docker.parameters: '${key}' is not supported (supported: ${SUPPORTED_PARAMETERS.join(", ")})`);
    }
  }
}
