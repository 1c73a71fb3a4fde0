/**
 * Marathon's event bus events (docs/docs/event-bus.md in mesosphere/marathon) as the services
 * framework emits them on `/v2/events`, built purely: each has `eventType` and `timestamp` (UTC,
 * ending in `Z`) and Marathon's fields. The SSE framing is event-stream.ts's.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import type { TaskStatus } from "../../schemas/mesos.ts";
import { stepJson } from "./deployments.ts";
import type { DeploymentRecord, InstanceRecord } from "./service-records.ts";

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
    instanceId: i.taskId.replace(/\._app\.\d+$/, ""),
    taskId: i.taskId,
    version: marathonTime(i.version),
    alive,
  });
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
 * (step `step`, from 0, is done) or `deployment_success` (it ended). `target` holds the affected
 * apps as they are now.
 */
export function deploymentEvent(
  kind: "deployment_info" | "deployment_success" | "deployment_step_success",
  d: DeploymentRecord,
  target: ReadonlyMap<string, MarathonApp>,
  nowMs: number,
  step = d.currentStep,
): MarathonEvent {
  const p = plan(d, target);
  if (kind === "deployment_success") return event(kind, nowMs, { id: d.id, plan: p });
  return event(kind, nowMs, { plan: p, currentStep: stepJson(d.steps[step] ?? []) });
}

/** `deployment_failed`: a deployment ended without reaching its target (Marathon's core/event/Events.scala `DeploymentFailed`: `id` and `plan`). */
export const deploymentFailedEvent = (d: DeploymentRecord, target: ReadonlyMap<string, MarathonApp>, nowMs: number): MarathonEvent =>
  event("deployment_failed", nowMs, { id: d.id, plan: plan(d, target) });

/** `group_change_success`: a group was changed through `/v2/groups` (its id and the change's version). */
export const groupChangeEvent = (groupId: string, version: number, nowMs: number): MarathonEvent =>
  event("group_change_success", nowMs, { groupId, version: marathonTime(version) });
