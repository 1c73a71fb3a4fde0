/**
 * The events added to `/v2/events`: instance_changed_event, instance_health_changed_event, the
 * unhealthy kill events, deployment_failed, and `plan-format=light` on the stream.
 */
import { describe, expect, it } from "vitest";
import {
  conditionOf,
  deploymentEvent,
  groupChangeFailedEvent,
  instanceChangedEvent,
  instanceHealthChangedEvent,
  lightEvent,
  statusEvents,
  unhealthyKillEvents,
} from "../../frameworks/services/event-json.ts";
import { EventHub, sseFrame } from "../../frameworks/services/event-stream.ts";
import type { DeploymentRecord } from "../../frameworks/services/service-records.ts";
import { app, instance } from "../support/services-fixtures.ts";

const web = instance("web.instance-1234._app.1", "/web", { agentId: "agent-1", host: "h1", version: 2_000 });
const deployment: DeploymentRecord = {
  id: "d-1",
  version: 3_000,
  steps: [[{ action: "RestartApplication", app: "/web" }]],
  currentStep: 0,
  original: { "/web": app({ id: "/web", cmd: "sleep 1" }) },
  strategies: { "/web": { minHealthy: 1, maxCapacity: 2, killImmediately: 0, healthyFloor: 1 } },
};
const target = new Map([["/web", app({ id: "/web", cmd: "sleep 2" })]]);

/** The one-line JSON of a frame's `data:` line. */
const dataOf = (frame: string) => JSON.parse(frame.split("\n")[1]!.slice("data: ".length)) as Record<string, unknown>;

describe("Marathon 1.4+ instance events", () => {
  it("instance_changed_event carries Marathon's fields, the condition named from the task state", () => {
    expect(instanceChangedEvent(web, conditionOf("TASK_RUNNING"), 5_000)).toEqual({
      instanceId: "web.instance-1234",
      condition: "Running",
      runSpecId: "/web",
      agentId: "agent-1",
      host: "h1",
      runSpecVersion: "1970-01-01T00:00:02.000Z",
      eventType: "instance_changed_event",
      timestamp: "1970-01-01T00:00:05.000Z",
    });
    expect(["TASK_STAGING", "TASK_KILLED", "TASK_FAILED", "TASK_FINISHED", "TASK_LOST", "TASK_GONE"].map((s) => conditionOf(s as never))).toEqual([
      "Staging",
      "Killed",
      "Failed",
      "Finished",
      "Unreachable",
      "Gone",
    ]);
  });

  it("instance_health_changed_event says whether the instance is healthy", () => {
    expect(instanceHealthChangedEvent(web, false, 5_000)).toEqual({
      instanceId: "web.instance-1234",
      runSpecId: "/web",
      healthy: false,
      runSpecVersion: "1970-01-01T00:00:02.000Z",
      eventType: "instance_health_changed_event",
      timestamp: "1970-01-01T00:00:05.000Z",
    });
  });

  it("a health check kill is an unhealthy_task_kill_event and an unhealthy_instance_kill_event", () => {
    const [task, inst] = unhealthyKillEvents(web, "Health check failed: 500", 5_000);
    const common = {
      appId: "/web",
      taskId: "web.instance-1234._app.1",
      version: "1970-01-01T00:00:02.000Z",
      reason: "Health check failed: 500",
      host: "h1",
      slaveId: "agent-1",
      timestamp: "1970-01-01T00:00:05.000Z",
    };
    expect(task).toEqual({ ...common, eventType: "unhealthy_task_kill_event" });
    expect(inst).toEqual({ ...common, instanceId: "web.instance-1234", eventType: "unhealthy_instance_kill_event" });
  });
});

describe("the events of a status update", () => {
  const status = (state: string, extra: Record<string, unknown> = {}) => ({ task_id: { value: web.taskId }, state, ...extra }) as never;
  const types = (events: Array<{ eventType: string }>) => events.map((e) => e.eventType);

  it.each([
    ["the same state (a health report without a change)", web, status("TASK_RUNNING"), undefined, ["status_update_event"]],
    ["a new state", { ...web, state: "TASK_STAGING" as const }, status("TASK_RUNNING"), undefined, ["status_update_event", "instance_changed_event"]],
    [
      "a health change",
      web,
      status("TASK_RUNNING", { healthy: true }),
      true,
      ["status_update_event", "health_status_changed_event", "instance_health_changed_event"],
    ],
    [
      "the same health again",
      { ...web, health: { alive: true, consecutiveFailures: 0 } },
      status("TASK_RUNNING", { healthy: true }),
      true,
      ["status_update_event"],
    ],
    [
      "a health check kill",
      web,
      status("TASK_KILLED", { reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", message: "Health check failed 3 times (404)" }),
      undefined,
      ["status_update_event", "instance_changed_event", "unhealthy_task_kill_event", "unhealthy_instance_kill_event"],
    ],
    ["an ordinary kill", web, status("TASK_KILLED"), undefined, ["status_update_event", "instance_changed_event"]],
  ])("%s", (_what, before, update, aliveAfter, expected) => {
    expect(types(statusEvents(before as never, update, aliveAfter, 5_000))).toEqual(expected);
  });

  it("a health check kill's reason is the agent's message, and the instance is Killed", () => {
    const events = statusEvents(
      web,
      status("TASK_KILLED", { reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", message: "Health check failed 3 times (404)" }),
      undefined,
      5_000,
    );
    expect(events.find((e) => e.eventType === "instance_changed_event")?.condition).toBe("Killed");
    expect(events.find((e) => e.eventType === "unhealthy_task_kill_event")?.reason).toBe("Health check failed 3 times (404)");
  });
});

describe("deployment_failed and plan-format=light", () => {
  it("deployment_failed names the deployment and its plan, as deployment_success does", () => {
    const failed = deploymentEvent("deployment_failed", deployment, target, 5_000);
    expect(failed).toMatchObject({ eventType: "deployment_failed", id: "d-1", timestamp: "1970-01-01T00:00:05.000Z", plan: { id: "d-1" } });
    expect(Object.keys(failed.plan as object)).toEqual(["id", "original", "target", "steps", "version"]);
  });

  it("the light format drops the plan's original and target; other events are unchanged", () => {
    const info = deploymentEvent("deployment_info", deployment, target, 5_000);
    expect(lightEvent(info)).toEqual({
      plan: { id: "d-1", steps: [{ actions: [{ action: "RestartApplication", app: "/web" }] }], version: "1970-01-01T00:00:03.000Z" },
      currentStep: { actions: [{ action: "RestartApplication", app: "/web" }] },
      eventType: "deployment_info",
      timestamp: "1970-01-01T00:00:05.000Z",
    });
    const changed = instanceChangedEvent(web, "Provisioned", 5_000);
    expect(lightEvent(changed)).toBe(changed);
  });

  it("a light client's stream carries the light frame, a heavy client's the whole plan", async () => {
    const hub = new EventHub(() => undefined);
    const heavy = hub.attach([], "h");
    const light = hub.attach([], "l", true);
    const info = deploymentEvent("deployment_info", deployment, target, 5_000);
    hub.publish(info);
    hub.closeAll();
    const frames = async (r: Response) => (await r.text()).split("\n\n").filter((f) => f.startsWith("event:"));
    const [h] = await frames(heavy);
    const [l] = await frames(light);
    expect(h).toBe(sseFrame(info).trimEnd());
    expect(dataOf(h!).plan).toHaveProperty("target");
    expect(dataOf(l!).plan).not.toHaveProperty("target");
    expect(dataOf(l!).plan).not.toHaveProperty("original");
    expect(l!.split("\n")).toHaveLength(2);
  });
});

describe("group_change_failed and deployment_step_failure", () => {
  const conflict = { status: 409, json: { message: "Group /shop is already created. Use PUT to change this group." } };
  it.each([
    ["POST /v2/groups, the body naming the group", { method: "POST", path: "/v2/groups", body: '{"id": "shop"}' }, conflict, "/shop"],
    ["PUT /v2/groups/{id}", { method: "PUT", path: "/v2/groups/shop/db/", body: "{}" }, conflict, "/shop/db"],
    ["DELETE /v2/groups/{id}", { method: "DELETE", path: "/v2/groups/shop", body: "" }, conflict, "/shop"],
  ])("%s refused for a conflict is a group_change_failed", (_name, req, answer, groupId) => {
    expect(groupChangeFailedEvent(req, answer, 5_000)).toEqual({
      groupId,
      version: "1970-01-01T00:00:05.000Z",
      reason: "Group /shop is already created. Use PUT to change this group.",
      eventType: "group_change_failed",
      timestamp: "1970-01-01T00:00:05.000Z",
    });
  });

  it.each([
    ["a refused definition (422)", { method: "POST", path: "/v2/groups", body: "{}" }, { status: 422, json: { message: "Object is not valid" } }],
    ["a change that went through", { method: "PUT", path: "/v2/groups/shop", body: "{}" }, { status: 200, json: {} }],
    ["a read", { method: "GET", path: "/v2/groups/shop", body: "" }, conflict],
    ["an app's conflict", { method: "PUT", path: "/v2/apps/shop", body: "{}" }, conflict],
  ])("%s is no group_change_failed", (_name, req, answer) => {
    expect(groupChangeFailedEvent(req, answer, 5_000)).toBeUndefined();
  });

  it("deployment_step_failure carries the plan and the step that did not finish", () => {
    const e = deploymentEvent("deployment_step_failure", deployment, target, 5_000);
    expect(e).toMatchObject({
      eventType: "deployment_step_failure",
      currentStep: { actions: [{ action: "RestartApplication", app: "/web" }] },
      plan: { id: "d-1" },
    });
  });
});
