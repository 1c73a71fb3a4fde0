/**
 * Marathon's event bus events (docs/docs/event-bus.md in mesosphere/marathon; the fields of
 * core/event/Events.scala as api/v2/json/Formats.scala `EventFormats` writes them) as the services
 * framework emits them on `/v2/events`, built purely: each has `eventType` and `timestamp` (UTC,
 * ending in `Z`) and Marathon's fields. The SSE framing is event-stream.ts's.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { canonicalAppId } from "../../schemas/marathon/app-id.ts";
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import type { TaskState, TaskStatus } from "../../schemas/mesos.ts";
import { stepJson } from "./deployments.ts";
import type { DeploymentRecord, InstanceRecord } from "./service-records.ts";
import { instanceIdOf } from "./task-ids.ts";

/** One event: its type and its JSON (which names the type again as `eventType`). */
export interface MarathonEvent {
  eventType: string;
  timestamp: string;
  [field: string]: unknown;
}

const event = (eventType: string, nowMs: number, fields: Record<string, unknown>): MarathonEvent => ({ ...fields, eventType, timestamp: marathonTime(nowMs) });

/** `status_update_event`: a task's new state as the master reported it. */
export function statusUpdateEvent(i: InstanceRecord, status: TaskStatus, nowMs: number): MarathonEvent {
  return event("status_update_event", nowMs, {
    slaveId: i.agentId,
    taskId: i.taskId,
    taskStatus: status.state,
    message: status.message ?? "",
    appId: i.appId,
    host: i.host,
    ipAddresses: [],
    ports: i.ports,
    version: marathonTime(i.version),
  });
}

/** `health_status_changed_event`: an instance's health turned (`alive`). */
export function healthChangedEvent(i: InstanceRecord, alive: boolean, nowMs: number): MarathonEvent {
  return event("health_status_changed_event", nowMs, {
    appId: i.appId,
    instanceId: instanceIdOf(i.taskId),
    taskId: i.taskId,
    version: marathonTime(i.version),
    alive,
  });
}

/**
 * Marathon's instance condition for a task state (core/condition/Condition.scala, as
 * `TaskCondition` maps Mesos states): a lost task is `Unreachable` (it may come back), as the
 * master reports an agent it lost.
 */
export function conditionOf(state: TaskState): string {
  switch (state) {
    case "TASK_STAGING":
      return "Staging";
    case "TASK_STARTING":
      return "Starting";
    case "TASK_RUNNING":
      return "Running";
    case "TASK_KILLING":
      return "Killing";
    case "TASK_FINISHED":
      return "Finished";
    case "TASK_FAILED":
      return "Failed";
    case "TASK_KILLED":
      return "Killed";
    case "TASK_ERROR":
      return "Error";
    case "TASK_DROPPED":
      return "Dropped";
    case "TASK_GONE":
    case "TASK_GONE_BY_OPERATOR":
      return "Gone";
    case "TASK_LOST":
    case "TASK_UNREACHABLE":
      return "Unreachable";
    default:
      return "Unknown";
  }
}

/**
 * `instance_changed_event` (Marathon 1.4+): an instance's condition changed, with its task's state
 * (`conditionOf`), or `Provisioned` when it was launched (Marathon 1.8+'s condition of an instance
 * whose task was sent to an agent and has not reported yet).
 */
export function instanceChangedEvent(i: InstanceRecord, condition: string, nowMs: number): MarathonEvent {
  return event("instance_changed_event", nowMs, {
    instanceId: instanceIdOf(i.taskId),
    condition,
    runSpecId: i.appId,
    agentId: i.agentId,
    host: i.host,
    runSpecVersion: marathonTime(i.version),
  });
}

/** `instance_health_changed_event` (Marathon 1.4+): an instance turned healthy or unhealthy. */
export function instanceHealthChangedEvent(i: InstanceRecord, healthy: boolean, nowMs: number): MarathonEvent {
  return event("instance_health_changed_event", nowMs, {
    instanceId: instanceIdOf(i.taskId),
    runSpecId: i.appId,
    healthy,
    runSpecVersion: marathonTime(i.version),
  });
}

/**
 * An instance killed by its failing health check: `unhealthy_task_kill_event` (the pre-1.4 name and
 * fields, which the issue's clients listen for) and `unhealthy_instance_kill_event` (Marathon
 * 1.4+'s `UnhealthyInstanceKillEvent`, with the instance id too). `reason` is the check's last
 * failure as the agent reported it.
 */
export function unhealthyKillEvents(i: InstanceRecord, reason: string, nowMs: number): MarathonEvent[] {
  const fields = { appId: i.appId, taskId: i.taskId, version: marathonTime(i.version), reason, host: i.host, slaveId: i.agentId };
  return [event("unhealthy_task_kill_event", nowMs, fields), event("unhealthy_instance_kill_event", nowMs, { ...fields, instanceId: instanceIdOf(i.taskId) })];
}

/**
 * The events of one status update of a known instance (`before`: as it was): its
 * `status_update_event`; an `instance_changed_event` when the task's state changed; the health
 * events when its health turned (`aliveAfter`: its health after the update); the unhealthy kill
 * events when the agent killed it for its failing health check (TASK_KILLED,
 * REASON_TASK_HEALTH_CHECK_STATUS_UPDATED).
 */
export function statusEvents(before: InstanceRecord, status: TaskStatus, aliveAfter: boolean | undefined, nowMs: number): MarathonEvent[] {
  const out = [statusUpdateEvent(before, status, nowMs)];
  if (status.state !== before.state) out.push(instanceChangedEvent(before, conditionOf(status.state), nowMs));
  if (aliveAfter !== undefined && aliveAfter !== before.health?.alive) {
    out.push(healthChangedEvent(before, aliveAfter, nowMs), instanceHealthChangedEvent(before, aliveAfter, nowMs));
  }
  if (status.state === "TASK_KILLED" && status.reason === "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED") {
    out.push(...unhealthyKillEvents(before, status.message ?? before.health?.lastFailureCause ?? "", nowMs));
  }
  return out;
}

/** `api_post_event`: an app definition changed through the API. */
export const apiPostEvent = (clientIp: string, uri: string, app: MarathonApp, nowMs: number): MarathonEvent =>
  event("api_post_event", nowMs, { clientIp, uri, appDefinition: app });

/** `app_terminated_event`: an app was deleted. */
export const appTerminatedEvent = (appId: string, nowMs: number): MarathonEvent => event("app_terminated_event", nowMs, { appId });

/** `event_stream_attached` / `event_stream_detached`: an SSE client came or went. */
export const streamEvent = (kind: "attached" | "detached", remoteAddress: string, nowMs: number): MarathonEvent =>
  event(`event_stream_${kind}`, nowMs, { remoteAddress });

/** A deployment's plan as the deployment events carry it (Marathon's DeploymentPlan, the pre-1.10 shape): the affected apps before and after. */
function plan(d: DeploymentRecord, target: ReadonlyMap<string, MarathonApp>): Record<string, unknown> {
  const group = (apps: MarathonApp[]) => ({ id: "/", apps, groups: [], dependencies: [], version: marathonTime(d.version) });
  const affected = Object.keys(d.original).sort();
  return {
    id: d.id,
    original: group(affected.flatMap((id) => d.original[id] ?? [])),
    target: group(affected.flatMap((id) => target.get(id) ?? [])),
    steps: d.steps.map(stepJson),
    version: marathonTime(d.version),
  };
}

/**
 * `deployment_info` (a deployment started: its plan and current step), `deployment_step_success`
 * (step `step`, from 0, is done), `deployment_step_failure` (step `step` did not finish: its
 * deployment failed past its deadline), `deployment_success` (it ended) or `deployment_failed` (it
 * ended without reaching its target: overridden by a forced change, cancelled, its app deleted,
 * past its deadline; Marathon's DeploymentManager publishes `DeploymentFailed` then). `target`
 * holds the affected apps as they are now.
 */
export function deploymentEvent(
  kind: "deployment_info" | "deployment_success" | "deployment_step_success" | "deployment_step_failure" | "deployment_failed",
  d: DeploymentRecord,
  target: ReadonlyMap<string, MarathonApp>,
  nowMs: number,
  step = d.currentStep,
): MarathonEvent {
  const p = plan(d, target);
  if (kind === "deployment_success" || kind === "deployment_failed") return event(kind, nowMs, { id: d.id, plan: p });
  return event(kind, nowMs, { plan: p, currentStep: stepJson(d.steps[step] ?? []) });
}

/**
 * `group_change_failed` for a change of a group through `/v2/groups` that was refused for a
 * conflict (409: an app locked by a deployment, a group or app already there), as Marathon's
 * GroupManager publishes `GroupChangeFailed(groupId, version, reason)` when the change it was
 * asked for cannot be made; a refused definition (400, 422) is answered before any change is
 * tried, with no event, as in Marathon. Undefined for any other request or answer.
 */
export function groupChangeFailedEvent(
  req: { method: string; path: string; body: string },
  answer: { status: number; json?: unknown },
  nowMs: number,
): MarathonEvent | undefined {
  const m = /^\/v2\/groups(\/.*?)?\/?$/.exec(req.path);
  if (!m || req.method === "GET" || answer.status !== 409 || /\/versions(\/|$)/.test(m[1] ?? "")) return undefined;
  let groupId = canonicalAppId(m[1] ?? "/");
  if (req.method === "POST") {
    try {
      const id = (JSON.parse(req.body) as { id?: unknown }).id;
      if (typeof id === "string" && id !== "") groupId = canonicalAppId(id, groupId);
    } catch {
      /* the path names the group */
    }
  }
  const message = (answer.json as { message?: unknown } | undefined)?.message;
  return event("group_change_failed", nowMs, { groupId, version: marathonTime(nowMs), reason: typeof message === "string" ? message : "conflict" });
}

/** `group_change_success`: a group was changed through `/v2/groups` (its id and the change's version). */
export const groupChangeEvent = (groupId: string, version: number, nowMs: number): MarathonEvent =>
  event("group_change_success", nowMs, { groupId, version: marathonTime(version) });
/**
 * An event as `/v2/events?plan-format=light` sends it: a deployment event's `plan` without its
 * `original` and `target` groups (the whole app definitions before and after), which made
 * Marathon's heavy events unusable in large clusters (Marathon 1.6+, DeprecatedFeatures.scala
 * `api_heavy_events`: light events "include a subset of the fields"). Other events are unchanged.
 */
export function lightEvent(e: MarathonEvent): MarathonEvent {
  const plan = e.plan;
  if (!plan || typeof plan !== "object") return e;
  const { original: _o, target: _t, ...rest } = plan as Record<string, unknown>;
  return { ...e, plan: rest };
}
