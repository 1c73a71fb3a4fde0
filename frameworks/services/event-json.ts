/**
 * Marathon's event bus events (docs/docs/event-bus.md in mesosphere/marathon) as the services
 * framework emits them on `/v2/events`, built purely: each has `eventType` and `timestamp` (UTC,
 * ending in `Z`) and Marathon's fields. The SSE framing is event-stream.ts's.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import type { TaskStatus } from "../../schemas/mesos.ts";
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

/** A deployment's plan as the deployment events carry it (Marathon's DeploymentPlan, the pre-1.10 shape). */
function plan(d: DeploymentRecord, target: MarathonApp | undefined): Record<string, unknown> {
  const action = { action: "RestartApplication", app: d.appId };
  const group = (apps: MarathonApp[]) => ({ id: "/", apps, groups: [], dependencies: [], version: marathonTime(d.version) });
  return {
    id: d.id,
    original: group([d.previous]),
    target: group(target ? [target] : []),
    steps: [{ actions: [action] }],
    version: marathonTime(d.version),
  };
}

/** `deployment_info` (a deployment started: its plan and current step) or `deployment_success` (it ended). */
export function deploymentEvent(
  kind: "deployment_info" | "deployment_success",
  d: DeploymentRecord,
  target: MarathonApp | undefined,
  nowMs: number,
): MarathonEvent {
  const p = plan(d, target);
  if (kind === "deployment_success") return event(kind, nowMs, { id: d.id, plan: p });
  return event(kind, nowMs, { plan: p, currentStep: { actions: [{ action: "RestartApplication", app: d.appId }] } });
}

/** `deployment_failed`: a deployment ended without reaching its target (Marathon's core/event/Events.scala `DeploymentFailed`: `id` and `plan`). */
export const deploymentFailedEvent = (d: DeploymentRecord, target: MarathonApp | undefined, nowMs: number): MarathonEvent =>
  event("deployment_failed", nowMs, { id: d.id, plan: plan(d, target) });
