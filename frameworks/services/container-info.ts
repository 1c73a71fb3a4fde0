/**
 * An app's `container` as the Mesos ContainerInfo of its tasks, as Marathon builds it
 * (mesosphere/marathon src/main/scala/mesosphere/mesos/TaskBuilder.scala `computeContainerInfo`,
 * `commandInfo`; api/serialization/ContainerSerializer.scala `DockerSerializer.toMesos`,
 * `PortMappingSerializer.toMesos`): a DOCKER container runs its image on the agent's Docker
 * engine, on the host network or Docker's bridge with each port mapping published on a host port
 * taken from the offer; host volumes become Mesos volumes. What Strata's agent cannot run (Docker
 * images in Mesos containers, named container networks, docker parameters it does not apply) is
 * refused up front by `containerProblems`, naming the field.
 */
import { SUPPORTED_DOCKER_PARAMETERS } from "../../schemas/docker-parameters.ts";
import type { MarathonApp, MarathonPortMapping } from "../../schemas/marathon/app-definition.ts";
import type { CommandInfo, ContainerInfo, TaskInfo } from "../../schemas/mesos.ts";

/** A Docker image in a Mesos container: Strata's agent runs Mesos-container tasks as host processes, without an image. */
export const MESOS_DOCKER_IMAGE = "Docker images in Mesos containers are not supported by Strata: use container.type DOCKER";
/** A host volume in a Mesos container: Strata's process containerizer mounts none. */
export const MESOS_HOST_VOLUMES = "host volumes in Mesos containers are not supported by Strata: use container.type DOCKER";
/** A named container network (`mode: container`, Docker's USER network): Strata's agent joins none. */
export const CONTAINER_NETWORKS = "container networks are not supported by Strata: use container/bridge (with container.type DOCKER) or host";
/** The bridge network without a Docker container. */
export const BRIDGE_NEEDS_DOCKER = "bridge networking is supported by Strata with container.type DOCKER only";
/** A docker parameter the agent does not apply (its launch would fail on every agent). */
export const dockerParameterUnsupported = (key: string): string =>
  `docker parameter '${key}' is not supported by Strata's agent (supported: ${SUPPORTED_DOCKER_PARAMETERS.join(", ")})`;

/** The refusal of a persistent volume in a Docker container (resident apps run in MESOS containers). */
export const DOCKER_PERSISTENT_VOLUMES = "Persistent volumes in Docker containers are not supported by Strata yet: use container.type MESOS";

/** What of `app`'s container and networks Strata cannot run, as (path, error) pairs; empty when it can. */
export function containerProblems(app: MarathonApp): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const c = app.container;
  if (app.networks.some((n) => n.mode === "container")) out.push(["/networks", CONTAINER_NETWORKS]);
  else if (app.networks.some((n) => n.mode === "container/bridge") && c?.type !== "DOCKER") out.push(["/networks", BRIDGE_NEEDS_DOCKER]);
  if (!c) return out;
  if (c.type === "MESOS") {
    if (c.docker) out.push(["/container/docker", MESOS_DOCKER_IMAGE]);
    c.volumes.forEach((v, i) => {
      if (v.hostPath !== undefined) out.push([`/container/volumes(${i})`, MESOS_HOST_VOLUMES]);
    });
    return out;
  }
  c.volumes.forEach((v, i) => {
    if (v.persistent !== undefined) out.push([`/container/volumes(${i})`, DOCKER_PERSISTENT_VOLUMES]);
  });
  const supported: readonly string[] = SUPPORTED_DOCKER_PARAMETERS;
  (c.docker?.parameters ?? []).forEach((p, i) => {
    if (!supported.includes(p.key)) out.push([`/container/docker/parameters(${i})/key`, dockerParameterUnsupported(p.key)]);
  });
  return out;
}

/** Whether `app`'s instances join Docker's bridge (their ports are port mappings with host ports). */
const bridged = (app: MarathonApp): boolean => app.networks.some((n) => n.mode === "container/bridge");

/**
 * The host ports an instance of `app` asks of an offer when its ports are port mappings: each
 * mapping's `hostPort` (0: any; a fixed one exactly, as Marathon's PortsMatcher), a mapping
 * without one asking none. Undefined for an app whose ports are port definitions.
 */
export function portMappingHostPorts(app: MarathonApp): number[] | undefined {
  const mappings = app.container?.portMappings;
  if (!mappings) return undefined;
  return mappings.flatMap((m) => (m.hostPort === undefined ? [] : [m.hostPort]));
}

/**
 * The Mesos port mappings of `mappings` bound to `hostPorts` (one per mapping with a host port, in
 * order): a container port 0 becomes the host port, and `udp,tcp` one mapping per protocol.
 */
function boundPortMappings(
  mappings: readonly MarathonPortMapping[],
  hostPorts: readonly number[],
): Array<{ host_port: number; container_port: number; protocol: string }> {
  const out: Array<{ host_port: number; container_port: number; protocol: string }> = [];
  let next = 0;
  for (const m of mappings) {
    if (m.hostPort === undefined) continue;
    const hostPort = hostPorts[next++];
    if (hostPort === undefined) continue;
    for (const protocol of m.protocol.split(","))
      out.push({ host_port: hostPort, container_port: m.containerPort === 0 ? hostPort : m.containerPort, protocol });
  }
  return out;
}

/** The ContainerInfo of a task `taskId` of `app` given its host ports; undefined for an app without a container. */
export function containerInfo(app: MarathonApp, hostPorts: readonly number[], taskId: string): ContainerInfo | undefined {
  const c = app.container;
  if (!c) return undefined;
  const volumes = c.volumes.flatMap((v) => (v.hostPath === undefined ? [] : [{ container_path: v.containerPath, host_path: v.hostPath, mode: v.mode }]));
  const withVolumes = volumes.length > 0 ? { volumes } : {};
  const d = c.docker;
  if (c.type === "MESOS" || !d) return { type: "MESOS", ...withVolumes };
  const portMappings = bridged(app) ? boundPortMappings(c.portMappings ?? [], hostPorts) : [];
  return {
    type: "DOCKER",
    docker: {
      image: d.image,
      network: bridged(app) ? "BRIDGE" : "HOST",
      ...(portMappings.length > 0 ? { port_mappings: portMappings } : {}),
      privileged: d.privileged ?? false,
      // Marathon labels each Docker container with its task id.
      parameters: [...(d.parameters ?? []), { key: "label", value: `MESOS_TASK_ID=${taskId}` }],
      force_pull_image: d.forcePullImage,
    },
    ...withVolumes,
  };
}

/**
 * The command of a Docker task, as Marathon's `commandInfo`: `cmd` run by the shell in place of
 * the image's entrypoint; `args` given to the image's entrypoint (no shell, no executable);
 * neither: the image as built.
 */
export function dockerCommand(app: MarathonApp, command: CommandInfo): CommandInfo {
  const { shell: _shell, value: _value, arguments: _arguments, ...rest } = command;
  if (app.cmd !== undefined && app.cmd !== "") return { ...rest, shell: true, value: app.cmd };
  if (app.args && app.args.length > 0) return { ...rest, shell: false, arguments: [...app.args] };
  return { ...rest, shell: false };
}

/** `task` (built for host processes) with `app`'s container, and for a Docker container its command as Marathon gives it. */
export function withContainer(task: TaskInfo, app: MarathonApp, hostPorts: readonly number[]): TaskInfo {
  const container = containerInfo(app, hostPorts, task.task_id.value);
  if (!container) return task;
  const docker = container.type === "DOCKER" && task.command !== undefined;
  return { ...task, container, ...(docker ? { command: dockerCommand(app, task.command!) } : {}) };
}
