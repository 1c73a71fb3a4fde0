/**
 * Marathon's task endpoints over the services framework's state, decided purely (services-api.ts
 * hands these requests over): GET `/v2/tasks` (`status=running|staging`, repeatable), the task
 * lists in `text/plain` (Marathon's EndpointsHelper: one line per app and service port, tab
 * separated) when the client's `Accept` asks for it, and the kills: DELETE
 * `/v2/apps/{id}/tasks/{taskId}`, DELETE `/v2/apps/{id}/tasks?host=`, POST `/v2/tasks/delete`
 * (`{"ids": […]}`). A kill without `scale` stops the task and a replacement launches; with
 * `scale=true` the app's `instances` drops by the tasks killed (a new version). Strata has no
 * resident apps, so `wipe=true` is an ordinary kill, as Marathon treats it for other apps.
 */
import { canonicalAppId } from "../../schemas/marathon/app-id.ts";
import { queryBoolean } from "../../schemas/marathon/query-boolean.ts";
import type { ApiAnswer, ApiContext, ApiRequest, Served } from "./api-types.ts";
import { taskJson } from "./app-answers.ts";
import { appServicePorts } from "./container-info.ts";
import { deploymentAnswer, lockedBy } from "./deployment-api.ts";
import { type AppRecord, type InstanceRecord, instancesOf, type ServicesState } from "./service-records.ts";

const json = (status: number, body: unknown): ApiAnswer => ({ status, json: body });

/** Whether the client asked for Marathon's `text/plain` lists rather than JSON. */
export const wantsText = (accept: string | undefined): boolean => !!accept && /text\/plain/i.test(accept) && !/application\/json/i.test(accept);

/** Marathon's task states by the `status` query values it knows (TasksResource.toTaskState). */
const STATUS_STATES: Record<string, readonly string[]> = {
  running: ["TASK_RUNNING"],
  staging: ["TASK_STAGING", "TASK_STARTING"],
};

const servicePortsOf = (record: AppRecord): number[] => appServicePorts(record.app);

/** The task list of `records` in Marathon's `text/plain` (EndpointsHelper.appsToEndpointString): running tasks only. */
export function tasksText(state: ServicesState, records: readonly AppRecord[]): string {
  let out = "";
  for (const record of records) {
    const cleanId = record.app.id.split("/").filter(Boolean).join("_");
    const running = instancesOf(state, record.app.id).filter((i) => i.state === "TASK_RUNNING");
    const servicePorts = servicePortsOf(record);
    if (servicePorts.length === 0) {
      out += `${cleanId}\t \t${running.map((i) => `${i.host}\t`).join("")}\n`;
      continue;
    }
    servicePorts.forEach((port, n) => {
      out += `${cleanId}\t${port}\t${running.map((i) => `${i.host}:${i.ports[n] ?? 0}\t`).join("")}\n`;
    });
  }
  return out;
}

/** GET `/v2/tasks`: every app's tasks (filtered by `status`), as JSON `{tasks}` or text. */
export function listTasks(state: ServicesState, req: ApiRequest): ApiAnswer {
  const records = [...state.apps.values()].sort((a, b) => a.app.id.localeCompare(b.app.id));
  if (wantsText(req.accept)) return { status: 200, text: tasksText(state, records) };
  const wanted = [...req.query.getAll("status"), ...req.query.getAll("status[]")].flatMap((s) => STATUS_STATES[s.toLowerCase()] ?? []);
  const tasks = records.flatMap((r) =>
    instancesOf(state, r.app.id)
      .filter((i) => wanted.length === 0 || wanted.includes(i.state))
      .map((i) => taskJson(i, servicePortsOf(r))),
  );
  return json(200, { tasks });
}

/** The kill of `victims` (all of one app): without scale the tasks they are; with scale a new version with fewer instances. */
function kill(state: ServicesState, req: ApiRequest, ctx: ApiContext, victims: readonly InstanceRecord[], one: boolean): Served {
  const scale = queryBoolean(req.query.get("scale"), false);
  if (scale && queryBoolean(req.query.get("wipe"), false)) return { answer: json(400, { message: "You cannot use scale and wipe at the same time." }) };
  const stopped = victims.filter((i) => i.goal === "running").map((i) => ({ ...i, goal: "stopped" as const, killAskedAt: ctx.nowMs }));
  const byApp = new Map<string, number>();
  for (const i of stopped) byApp.set(i.appId, (byApp.get(i.appId) ?? 0) + 1);
  if (!scale) {
    const answer = one ? json(200, { task: taskOf(state, victims[0]!) }) : json(200, { tasks: victims.map((i) => taskOf(state, i)) });
    return { answer, changes: { apps: [], removedApps: [], instances: stopped } };
  }
  for (const appId of byApp.keys()) {
    const locked = lockedBy(state, appId, req.query);
    if (locked) return locked;
  }
  const apps: AppRecord[] = [];
  for (const [appId, n] of byApp) {
    const r = state.apps.get(appId);
    if (r) apps.push({ ...r, app: { ...r.app, instances: Math.max(0, r.app.instances - n) }, version: ctx.nowMs, lastScalingAt: ctx.nowMs });
  }
  return { answer: deploymentAnswer(200, ctx, ctx.nowMs), changes: { apps, removedApps: [], instances: stopped } };
}

const taskOf = (state: ServicesState, i: InstanceRecord): Record<string, unknown> => {
  const r = state.apps.get(i.appId);
  return taskJson(i, r ? servicePortsOf(r) : []);
};

/** GET and DELETE `/v2/apps/{id}/tasks[/{taskId}]` (`rest` is what follows `/v2/apps/`), or undefined when the path is not a task path. */
export function appTasksApi(state: ServicesState, req: ApiRequest, ctx: ApiContext, rest: string): Served | undefined {
  const m = /^(.*)\/tasks(?:\/([^/]+))?\/?$/.exec(rest);
  if (!m) return undefined;
  const id = canonicalAppId(m[1]!);
  const record = state.apps.get(id);
  if (!record) return { answer: json(404, { message: `App '${id}' does not exist` }) };
  const taskId = m[2] !== undefined ? decodeURIComponent(m[2]) : undefined;
  const instances = instancesOf(state, id);
  if (taskId === undefined && req.method === "GET") {
    if (wantsText(req.accept)) return { answer: { status: 200, text: tasksText(state, [record]) } };
    return { answer: json(200, { tasks: instances.map((i) => taskJson(i, servicePortsOf(record))) }) };
  }
  if (req.method !== "DELETE") return undefined;
  if (taskId !== undefined) {
    const victim = instances.find((i) => i.taskId === taskId);
    if (!victim) return { answer: json(404, { message: `Task '${taskId}' does not exist` }) };
    return kill(state, req, ctx, [victim], true);
  }
  const host = req.query.get("host");
  const victims = host === null || host === "*" ? instances : instances.filter((i) => i.host === host);
  return kill(state, req, ctx, victims, false);
}

/** POST `/v2/tasks/delete` with `{"ids": [task ids]}`: unknown ids are left out; 400 for a body of another shape. */
export function deleteTasks(state: ServicesState, req: ApiRequest, ctx: ApiContext): Served {
  let ids: unknown;
  try {
    ids = (JSON.parse(req.body) as { ids?: unknown } | null)?.ids;
  } catch (e) {
    return { answer: json(400, { message: "Invalid JSON", details: (e as Error).message }) };
  }
  if (!Array.isArray(ids) || ids.some((x) => typeof x !== "string")) {
    return { answer: json(422, { message: "Invalid JSON", details: [{ path: "/ids", errors: ["error.expected.jsarray"] }] }) };
  }
  const victims = (ids as string[]).flatMap((t) => state.instances.get(t) ?? []);
  return kill(state, req, ctx, victims, false);
}

/** Serves `/v2/tasks…`, or undefined for a request it does not serve. */
export function tasksApi(state: ServicesState, req: ApiRequest, ctx: ApiContext): Served | undefined {
  if ((req.path === "/v2/tasks" || req.path === "/v2/tasks/") && req.method === "GET") return { answer: listTasks(state, req) };
  if (req.path === "/v2/tasks/delete" && req.method === "POST") return deleteTasks(state, req, ctx);
  return undefined;
}
