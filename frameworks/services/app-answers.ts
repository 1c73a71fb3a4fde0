/**
 * How the services framework's state reads in Marathon's JSON: a task (enrichedTask.raml
 * `EnrichedTask`), an app's run time (counts, tasks, last failure, for `appJson`), and `/v2/info`
 * (info.raml `MarathonInfo`).
 */

import { type AppEmbeds, type AppRuntime, appJson, marathonTime } from "../../schemas/marathon/app-json.ts";
import { STRATA_VERSION } from "../../sdk/src/version.ts";
import { deploymentsOf } from "./deployments.ts";
import { readinessCheckResults } from "./readiness.ts";
import { servicePortsOf } from "./service-ports.ts";
import { type AppRecord, type InstanceRecord, instancesOf, type ServicesState } from "./service-records.ts";
import { leaderHostPort } from "./services-origin.ts";
import { instanceIdOf } from "./task-ids.ts";

/** The Marathon release whose REST API this follows, as `/v2/info` names it. */
export const MARATHON_API_VERSION = "1.11.0";

/** Marathon's failover timeout default (`--failover_timeout`, one week), which the framework subscribes with. */
export const FAILOVER_TIMEOUT_SECONDS = 604_800;

const timeOrNull = (ms: number | undefined): string | null => (ms === undefined ? null : marathonTime(ms));

/** Marathon's `healthCheckResults` of a task (health.raml `Health`): one entry once the agent has reported its health. */
export function healthCheckResults(i: InstanceRecord): Record<string, unknown>[] {
  const h = i.health;
  if (!h) return [];
  return [
    {
      alive: h.alive,
      consecutiveFailures: h.consecutiveFailures,
      firstSuccess: timeOrNull(h.firstSuccess),
      lastFailure: timeOrNull(h.lastFailure),
      lastFailureCause: h.lastFailureCause ?? null,
      lastSuccess: timeOrNull(h.lastSuccess),
      instanceId: instanceIdOf(i.taskId),
    },
  ];
}

/** One task as `/v2/apps/{id}/tasks` and the `tasks` embed show it. */
export function taskJson(i: InstanceRecord, servicePorts: readonly number[]): Record<string, unknown> {
  return {
    appId: i.appId,
    healthCheckResults: healthCheckResults(i),
    host: i.host,
    id: i.taskId,
    ipAddresses: [],
    ports: i.ports,
    servicePorts,
    slaveId: i.agentId,
    state: i.state,
    stagedAt: marathonTime(i.stagedAt),
    ...(i.startedAt !== undefined ? { startedAt: marathonTime(i.startedAt) } : {}),
    version: marathonTime(i.version),
    localVolumes: (i.resident?.volumes ?? []).map((v) => ({ containerPath: v.containerPath, persistenceId: v.persistenceId })),
  };
}

/** The tasks of an app that Marathon lists: every instance still alive (being stopped included, until it ends). */
export function appTasks(state: ServicesState, record: AppRecord): Record<string, unknown>[] {
  const servicePorts = servicePortsOf(record.app);
  return instancesOf(state, record.app.id).map((i) => taskJson(i, servicePorts));
}

/** The run time `appJson` shows: counts of staged and running tasks, the tasks, the last failure. */
export function appRuntime(state: ServicesState, record: AppRecord): AppRuntime {
  const instances = instancesOf(state, record.app.id);
  const staged = instances.filter((i) => i.state === "TASK_STAGING" || i.state === "TASK_STARTING").length;
  const running = instances.filter((i) => i.state === "TASK_RUNNING").length;
  return {
    version: record.version,
    lastScalingAt: record.lastScalingAt,
    lastConfigChangeAt: record.lastConfigChangeAt,
    staged,
    running,
    healthy: instances.filter((i) => i.state === "TASK_RUNNING" && i.health?.alive === true).length,
    unhealthy: instances.filter((i) => i.state === "TASK_RUNNING" && i.health?.alive === false).length,
    deployments: deploymentsOf(state, record.app.id),
    tasks: appTasks(state, record),
    readinessCheckResults: readinessCheckResults(state, record.app.id),
    ...(record.lastTaskFailure ? { lastTaskFailure: record.lastTaskFailure } : {}),
  };
}

/** An app's JSON with the embeds asked for. */
export const appAnswer = (state: ServicesState, record: AppRecord, embed?: AppEmbeds) => appJson(record.app, appRuntime(state, record), embed);

/** What `/v2/info` reports of the framework's settings. */
export interface InfoSettings {
  role: string;
  user: string;
}

/** `/v2/info`: Marathon's `MarathonInfo`, with what Strata has of it (no ZooKeeper: `zk` is empty). */
export function infoJson(state: ServicesState, settings: InfoSettings, origin: string): Record<string, unknown> {
  const url = new URL(origin);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  return {
    name: "marathon",
    version: MARATHON_API_VERSION,
    buildref: `strata-${STRATA_VERSION}`,
    elected: true,
    leader: leaderHostPort(origin),
    ...(state.frameworkId ? { frameworkId: state.frameworkId } : {}),
    marathon_config: {
      master: origin,
      failover_timeout: FAILOVER_TIMEOUT_SECONDS,
      framework_name: "marathon",
      ha: false,
      checkpoint: true,
      executor: "//cmd",
      hostname: url.hostname,
      mesos_role: settings.role,
      mesos_user: settings.user,
      features: [],
    },
    zookeeper_config: { zk: "", zk_timeout: 10_000, zk_connection_timeout: 10_000, zk_session_timeout: 10_000, zk_max_versions: 50 },
    http_config: { http_port: url.protocol === "http:" ? port : 0, https_port: url.protocol === "https:" ? port : 0 },
  };
}
