/**
 * A Marathon app definition with every default filled, as Strata keeps it and as GET
 * `/v2/apps/{id}` shows it (before the runtime fields of app-json.ts). Defaults are Marathon's
 * (mesosphere/marathon, app.raml and src/main/scala/mesosphere/marathon/state/AppDefinition.scala,
 * raml/Apps.scala, api/v2/AppNormalization.scala); docs/services.md lists them.
 */

import type { UpgradeStrategy } from "./app-input.ts";
import type { HealthCheck, ReadinessCheck } from "./health-checks.ts";

/** A port mapping with its defaults (containerPort 0, protocol tcp, servicePort 0, labels {}). */
export interface MarathonPortMapping {
  containerPort: number;
  hostPort?: number;
  labels: Record<string, string>;
  name?: string;
  protocol: "tcp" | "udp" | "udp,tcp";
  servicePort: number;
}

/** A port definition with its defaults (port 0, protocol tcp, labels {}). */
export interface MarathonPortDefinition {
  port: number;
  protocol: "tcp" | "udp" | "udp,tcp";
  name?: string;
  labels: Record<string, string>;
}

/** A network the app's instances join. */
export interface MarathonNetwork {
  mode: "container" | "container/bridge" | "host";
  name?: string;
  labels?: Record<string, string>;
}

/** A volume: a host path, or a local persistent volume (size in MiB). */
export interface MarathonVolume {
  containerPath: string;
  hostPath?: string;
  persistent?: { type: "root" | "path" | "mount"; size: number; maxSize?: number; constraints: string[][] };
  mode: "RO" | "RW";
}

/** The container: its engine, image, port mappings (non-host networks only) and volumes. */
export interface MarathonContainer {
  type: "MESOS" | "DOCKER";
  docker?: {
    image: string;
    forcePullImage: boolean;
    privileged?: boolean;
    parameters?: Array<{ key: string; value: string }>;
  };
  volumes: MarathonVolume[];
  portMappings?: MarathonPortMapping[];
}

/** A fetched URI with its defaults (extract true, executable false, cache false). */
export interface MarathonArtifact {
  uri: string;
  extract: boolean;
  executable: boolean;
  cache: boolean;
  destPath?: string;
}

/** When an unreachable instance is replaced (inactive) and forgotten (expunged), or never. */
export type MarathonUnreachableStrategy = "disabled" | { inactiveAfterSeconds: number; expungeAfterSeconds: number };

/** A normalised app definition: every field Marathon defaults is present. */
export interface MarathonApp {
  id: string;
  cmd?: string;
  args?: string[];
  user?: string;
  env: Record<string, string>;
  instances: number;
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  executor: string;
  constraints: string[][];
  fetch: MarathonArtifact[];
  storeUrls: string[];
  backoffSeconds: number;
  backoffFactor: number;
  maxLaunchDelaySeconds: number;
  container?: MarathonContainer;
  healthChecks: HealthCheck[];
  readinessChecks: ReadinessCheck[];
  dependencies: string[];
  upgradeStrategy: UpgradeStrategy;
  labels: Record<string, string>;
  acceptedResourceRoles?: string[];
  networks: MarathonNetwork[];
  /** Absent when the app joins a container network (its ports are the container's port mappings). */
  portDefinitions?: MarathonPortDefinition[];
  requirePorts: boolean;
  residency?: { relaunchEscalationTimeoutSeconds: number; taskLostBehavior: "WAIT_FOREVER" | "RELAUNCH_AFTER_TIMEOUT" };
  secrets: Record<string, { source: string }>;
  taskKillGracePeriodSeconds?: number;
  killSelection: "YOUNGEST_FIRST" | "OLDEST_FIRST";
  unreachableStrategy: MarathonUnreachableStrategy;
  /** Marathon 1.9+'s role; kept only when the definition names one (older clients do not know the field). */
  role?: string;
}

/** Marathon's app defaults as of its last releases (1.8 to 1.11): app.raml, state/AppDefinition.scala, state/UnreachableStrategy.scala. */
export const APP_DEFAULTS = {
  instances: 1,
  cpus: 1,
  mem: 128,
  disk: 0,
  gpus: 0,
  executor: "",
  backoffSeconds: 1,
  backoffFactor: 1.15,
  /** 300 since Marathon 1.8 (d2iq-archive/marathon#6686; 3600 before). */
  maxLaunchDelaySeconds: 300,
  requirePorts: false,
  killSelection: "YOUNGEST_FIRST",
  upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
  /** `UpgradeStrategy.forResidentTasks`: an app with persistent volumes never runs above its count. */
  residentUpgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
  /** 0/0 (replace at once) since Marathon 1.5 (d2iq-archive/marathon#5523; 300/600 before). */
  unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
  residency: { relaunchEscalationTimeoutSeconds: 3600, taskLostBehavior: "WAIT_FOREVER" },
} as const;
