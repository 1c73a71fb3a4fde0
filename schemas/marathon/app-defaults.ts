/**
 * Fills an app definition's defaults as Marathon normalises it (mesosphere/marathon,
 * src/main/scala/mesosphere/marathon/api/v2/AppNormalization.scala and raml/Apps.scala): the
 * deprecated `ports`, `uris`, `container.docker.network` and `container.docker.portMappings`
 * become `portDefinitions`, `fetch`, `networks` and `container.portMappings`; a host-networked app
 * gets one port definition named `default`, a container-networked one one port mapping; resident
 * apps (persistent volumes) get a residency, `upgradeStrategy` 0.5/0 and no unreachable strategy.
 */
import type { z } from "zod";
import type { Container, Network, PortDefinition, PortMapping } from "./app-container.ts";
import {
  APP_DEFAULTS,
  type MarathonApp,
  type MarathonArtifact,
  type MarathonContainer,
  type MarathonNetwork,
  type MarathonPortDefinition,
  type MarathonPortMapping,
  type MarathonUnreachableStrategy,
} from "./app-definition.ts";
import { canonicalAppId } from "./app-id.ts";
import type { AppInput, Artifact } from "./app-input.ts";
import { withHealthCheckDefaults, withReadinessDefaults } from "./health-checks.ts";

/** Archives the fetcher extracts by default (Marathon's `FetchUri.isExtract`). */
const EXTRACTED = [".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip"];

/** The networks a docker `network` of the deprecated API stands for. */
const DOCKER_NETWORKS: Record<string, MarathonNetwork["mode"] | undefined> = { BRIDGE: "container/bridge", HOST: "host", USER: "container" };

/** The app's networks: as given, else translated from `container.docker.network`, else host. */
export function appNetworks(input: Pick<AppInput, "networks" | "container">): MarathonNetwork[] {
  const given = input.networks?.filter(() => true);
  if (given && given.length > 0) return given.map(network);
  const mode = DOCKER_NETWORKS[input.container?.docker?.network ?? ""];
  return [{ mode: mode ?? "host" }];
}

const network = (n: z.output<typeof Network>): MarathonNetwork => ({
  mode: n.mode ?? "container",
  ...(n.name !== undefined && { name: n.name }),
  ...(n.labels !== undefined && { labels: n.labels }),
});

const portDefinition = (p: z.output<typeof PortDefinition>): MarathonPortDefinition => ({
  port: p.port ?? 0,
  protocol: p.protocol ?? "tcp",
  ...(p.name !== undefined && { name: p.name }),
  labels: p.labels ?? {},
});

const portMapping = (m: z.output<typeof PortMapping>, bridged: boolean): MarathonPortMapping => {
  const hostPort = m.hostPort ?? (bridged ? 0 : undefined);
  return {
    containerPort: m.containerPort ?? 0,
    ...(hostPort !== undefined && { hostPort }),
    labels: m.labels ?? {},
    ...(m.name !== undefined && { name: m.name }),
    protocol: m.protocol ?? "tcp",
    servicePort: m.servicePort ?? 0,
  };
};

function container(c: z.output<typeof Container>, networks: MarathonNetwork[]): MarathonContainer {
  const type = c.type ?? "DOCKER";
  const hostNetworked = networks.some((n) => n.mode === "host");
  const bridged = networks.some((n) => n.mode === "container/bridge");
  const mappings = c.portMappings ?? c.docker?.portMappings;
  const portMappings = hostNetworked ? undefined : (mappings ?? [{ name: "default" }]).map((m) => portMapping(m, bridged));
  const d = c.docker;
  const docker = d && {
    image: d.image,
    forcePullImage: d.forcePullImage ?? false,
    ...(type === "DOCKER" && { privileged: d.privileged ?? false, parameters: d.parameters ?? [] }),
  };
  const volumes = (c.volumes ?? []).map((v) => ({
    containerPath: v.containerPath,
    ...(v.hostPath !== undefined && { hostPath: v.hostPath }),
    ...(v.persistent && {
      persistent: {
        type: v.persistent.type ?? "root",
        size: v.persistent.size,
        ...(v.persistent.maxSize !== undefined && { maxSize: v.persistent.maxSize }),
        constraints: v.persistent.constraints ?? [],
      },
    }),
    mode: v.mode,
  }));
  return { type, ...(docker && { docker }), volumes, ...(portMappings && { portMappings }) };
}

/** The artifacts to fetch: `fetch`, else the deprecated `uris` (archives extracted). */
function artifacts(input: AppInput): MarathonArtifact[] {
  const fetch: Array<z.output<typeof Artifact>> =
    input.fetch && input.fetch.length > 0 ? input.fetch : (input.uris ?? []).map((uri) => ({ uri, extract: EXTRACTED.some((x) => uri.endsWith(x)) }));
  return fetch.map((a) => ({
    uri: a.uri,
    extract: a.extract ?? true,
    executable: a.executable ?? false,
    cache: a.cache ?? false,
    ...(a.destPath !== undefined && { destPath: a.destPath }),
  }));
}

/** Whether the definition has persistent volumes (a resident app). */
export const isResident = (input: Pick<AppInput, "container">): boolean => (input.container?.volumes ?? []).some((v) => v.persistent !== undefined);

/** `input` with every default filled; `base` is the group relative ids are resolved against. */
export function withAppDefaults(input: AppInput, base = "/"): MarathonApp {
  const id = canonicalAppId(input.id, base);
  const networks = appNetworks(input);
  const hostNetworked = networks.some((n) => n.mode === "host");
  const given = input.portDefinitions ?? input.ports?.map((port) => ({ port }));
  const portDefinitions = hostNetworked ? (given ?? [{ port: 0, name: "default" }]).map(portDefinition) : undefined;
  const c = input.container && container(input.container, networks);
  const resident = isResident(input);
  const hasPorts = (portDefinitions ?? []).length > 0 || (c?.portMappings ?? []).length > 0;
  const healthChecks = (input.healthChecks ?? []).map((h) =>
    hasPorts && h.protocol !== "COMMAND" && h.port === undefined && h.portIndex === undefined ? { ...h, portIndex: 0 } : h,
  );
  const residency = input.residency ?? (resident ? {} : undefined);
  const unreachable: MarathonUnreachableStrategy =
    input.unreachableStrategy === undefined
      ? resident
        ? "disabled"
        : { ...APP_DEFAULTS.unreachableStrategy }
      : input.unreachableStrategy === "disabled"
        ? "disabled"
        : {
            inactiveAfterSeconds: input.unreachableStrategy.inactiveAfterSeconds ?? APP_DEFAULTS.unreachableStrategy.inactiveAfterSeconds,
            expungeAfterSeconds: input.unreachableStrategy.expungeAfterSeconds ?? APP_DEFAULTS.unreachableStrategy.expungeAfterSeconds,
          };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.env ?? {})) if (typeof v === "string") env[k] = v;
  return {
    id,
    ...(input.cmd !== undefined && { cmd: input.cmd }),
    ...(input.args !== undefined && input.args.length > 0 && { args: input.args }),
    ...(input.user !== undefined && { user: input.user }),
    env,
    instances: input.instances ?? APP_DEFAULTS.instances,
    cpus: input.cpus ?? APP_DEFAULTS.cpus,
    mem: input.mem ?? APP_DEFAULTS.mem,
    disk: input.disk ?? APP_DEFAULTS.disk,
    gpus: input.gpus ?? APP_DEFAULTS.gpus,
    executor: input.executor ?? APP_DEFAULTS.executor,
    constraints: (input.constraints ?? []).map(([field, op, ...value]) => [field!, op!.toUpperCase(), ...value]),
    fetch: artifacts(input),
    storeUrls: input.storeUrls ?? [],
    backoffSeconds: input.backoffSeconds ?? APP_DEFAULTS.backoffSeconds,
    backoffFactor: input.backoffFactor ?? APP_DEFAULTS.backoffFactor,
    maxLaunchDelaySeconds: input.maxLaunchDelaySeconds ?? APP_DEFAULTS.maxLaunchDelaySeconds,
    ...(c && { container: c }),
    healthChecks: healthChecks.map(withHealthCheckDefaults),
    readinessChecks: (input.readinessChecks ?? []).map(withReadinessDefaults),
    dependencies: (input.dependencies ?? []).map((d) => canonicalAppId(d, canonicalAppId("..", id))),
    upgradeStrategy: input.upgradeStrategy ?? { ...(resident ? APP_DEFAULTS.residentUpgradeStrategy : APP_DEFAULTS.upgradeStrategy) },
    labels: input.labels ?? {},
    ...(input.acceptedResourceRoles !== undefined && { acceptedResourceRoles: input.acceptedResourceRoles }),
    networks,
    ...(portDefinitions && { portDefinitions }),
    requirePorts: hostNetworked ? (input.requirePorts ?? APP_DEFAULTS.requirePorts) : false,
    ...(residency && {
      residency: {
        relaunchEscalationTimeoutSeconds: residency.relaunchEscalationTimeoutSeconds ?? APP_DEFAULTS.residency.relaunchEscalationTimeoutSeconds,
        taskLostBehavior: residency.taskLostBehavior ?? APP_DEFAULTS.residency.taskLostBehavior,
      },
    }),
    secrets: {},
    ...(input.taskKillGracePeriodSeconds !== undefined && { taskKillGracePeriodSeconds: input.taskKillGracePeriodSeconds }),
    killSelection: input.killSelection ?? APP_DEFAULTS.killSelection,
    unreachableStrategy: unreachable,
    ...(input.role !== undefined && { role: input.role }),
  };
}
