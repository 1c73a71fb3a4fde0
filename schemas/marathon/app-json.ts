/**
 * `appJson`: an app as GET `/v2/apps/{id}` shows it (mesosphere/marathon, appInfo.raml `AppInfo`,
 * versionInfo.raml; api/v2/AppsResource.scala): the definition with its defaults, `version` and
 * `versionInfo`, then what the embeds ask for: the task counts (`tasksStaged`, `tasksRunning`,
 * `tasksHealthy`, `tasksUnhealthy`), `deployments` (`[{id}]`), `tasks`, `lastTaskFailure`,
 * `readinessCheckResults`, `taskStats`. Timestamps are ISO 8601 in UTC ending in `Z`, with
 * milliseconds, as Marathon writes them.
 */
import type { MarathonApp } from "./app-definition.ts";

/**
 * What the services framework knows of an app at run time. Times are milliseconds since the
 * epoch. `tasks`, `lastTaskFailure`, `readinessCheckResults` and `taskStats` are already in
 * Marathon's JSON shape (the framework builds them); `deployments` are the ids of the deployments
 * touching the app.
 */
export interface AppRuntime {
  /** When this definition version was stored. */
  version: number;
  /** When the instance count last changed. */
  lastScalingAt: number;
  /** When anything but the instance count last changed. */
  lastConfigChangeAt: number;
  staged: number;
  running: number;
  healthy: number;
  unhealthy: number;
  deployments: readonly string[];
  tasks?: readonly unknown[];
  lastTaskFailure?: unknown;
  readinessCheckResults?: readonly unknown[];
  taskStats?: unknown;
}

/** The parts of an app's answer that an `embed` adds. */
export interface AppEmbeds {
  tasks?: boolean;
  counts?: boolean;
  deployments?: boolean;
  lastTaskFailure?: boolean;
  readiness?: boolean;
  taskStats?: boolean;
}

/** What GET `/v2/apps/{id}` embeds when the request names none: tasks, counts, deployments and the last failure. */
export const APP_SHOW_EMBEDS: AppEmbeds = { tasks: true, counts: true, deployments: true, lastTaskFailure: true };

/** Milliseconds since the epoch as Marathon's timestamp text (`2026-12-07T21:00:00.000Z`). */
export const marathonTime = (ms: number): string => new Date(ms).toISOString();

/** The app's JSON in Marathon's field order: its definition, `version`, `versionInfo`, then the embeds asked for. */
export function appJson(app: MarathonApp, runtime: AppRuntime, embed: AppEmbeds = APP_SHOW_EMBEDS): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: app.id,
    ...(app.acceptedResourceRoles && { acceptedResourceRoles: app.acceptedResourceRoles }),
    ...(app.args && { args: app.args }),
    backoffFactor: app.backoffFactor,
    backoffSeconds: app.backoffSeconds,
    ...(app.cmd !== undefined && { cmd: app.cmd }),
    constraints: app.constraints,
    ...(app.container && { container: app.container }),
    cpus: app.cpus,
    dependencies: app.dependencies,
    disk: app.disk,
    env: app.env,
    executor: app.executor,
    fetch: app.fetch,
    gpus: app.gpus,
    healthChecks: app.healthChecks,
    instances: app.instances,
    labels: app.labels,
    maxLaunchDelaySeconds: app.maxLaunchDelaySeconds,
    mem: app.mem,
    networks: app.networks,
    ...(app.portDefinitions && { portDefinitions: app.portDefinitions }),
    readinessChecks: app.readinessChecks,
    requirePorts: app.requirePorts,
    ...(app.residency && { residency: app.residency }),
    secrets: app.secrets,
    storeUrls: app.storeUrls,
    ...(app.taskKillGracePeriodSeconds !== undefined && { taskKillGracePeriodSeconds: app.taskKillGracePeriodSeconds }),
    upgradeStrategy: app.upgradeStrategy,
    ...(app.user !== undefined && { user: app.user }),
    version: marathonTime(runtime.version),
    versionInfo: { lastScalingAt: marathonTime(runtime.lastScalingAt), lastConfigChangeAt: marathonTime(runtime.lastConfigChangeAt) },
    killSelection: app.killSelection,
    unreachableStrategy: app.unreachableStrategy,
    ...(app.role !== undefined && { role: app.role }),
  };
  if (embed.counts) {
    json.tasksStaged = runtime.staged;
    json.tasksRunning = runtime.running;
    json.tasksHealthy = runtime.healthy;
    json.tasksUnhealthy = runtime.unhealthy;
  }
  if (embed.deployments) json.deployments = runtime.deployments.map((id) => ({ id }));
  if (embed.readiness) json.readinessCheckResults = runtime.readinessCheckResults ?? [];
  if (embed.tasks) json.tasks = runtime.tasks ?? [];
  if (embed.lastTaskFailure && runtime.lastTaskFailure !== undefined) json.lastTaskFailure = runtime.lastTaskFailure;
  if (embed.taskStats && runtime.taskStats !== undefined) json.taskStats = runtime.taskStats;
  return json;
}
