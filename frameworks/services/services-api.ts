/**
 * Marathon's REST API v2 over the services framework's state, decided purely: a request (method,
 * path under `/v2` or `/ping`, query, body text) → the answer and the changes to commit. The
 * object commits the changes in one transaction before it answers, then acts on them (kills,
 * revives). Served here: `/ping`, `/v2/info`, `/v2/apps` (GET, POST), `/v2/apps/{id}` (GET, PUT,
 * DELETE), `/v2/apps/{id}/tasks` (GET, DELETE) and `/v2/tasks` (tasks-api.ts), `/v2/queue` (queue-api.ts), `/v2/apps/{id}/restart` (POST) and `/v2/deployments`
 * (GET, DELETE: deployment-api.ts); anything else is 404 until it is built.
 */

import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { canonicalAppId } from "../../schemas/marathon/app-id.ts";
import type { AppEmbeds } from "../../schemas/marathon/app-json.ts";
import { APP_SHOW_EMBEDS } from "../../schemas/marathon/app-json.ts";
import { mergeAppUpdate } from "../../schemas/marathon/app-update.ts";
import { isMarathonRefusal, type MarathonRefusal } from "../../schemas/marathon/marathon-error.ts";
import { parseAppDefinition } from "../../schemas/marathon/parse-app.ts";
import { queryBoolean } from "../../schemas/marathon/query-boolean.ts";
import type { ApiAnswer, ApiChanges, ApiContext, ApiRequest, Served } from "./api-types.ts";
import { appAnswer, infoJson } from "./app-answers.ts";
import { deploymentAnswer, deploymentsApi, lockedBy, rollingChange } from "./deployment-api.ts";
import { strataDeploymentFailureJson } from "./deployment-deadline.ts";
import { deploymentsOf } from "./deployments.ts";
import { groupsApi } from "./groups-api.ts";
import { notYetLaunched } from "./not-yet-launched.ts";
import { queueApi } from "./queue-api.ts";
import { residentInstancesOf, wiped } from "./resident-planner.ts";
import { instancesToStop } from "./scale-planner.ts";
import { type AppRecord, type InstanceRecord, instancesOf, type ServicesState } from "./service-records.ts";
import { appTasksApi, tasksApi } from "./tasks-api.ts";

const json = (status: number, body: unknown, headers?: Record<string, string>): ApiAnswer => ({ status, json: body, ...(headers ? { headers } : {}) });
const refused = (r: MarathonRefusal): ApiAnswer => json(r.status, r.body);

export type { ApiAnswer, ApiChanges, ApiContext, ApiRequest, Served };

/** Marathon's 404 for an app it does not have (AppNotFoundException). */
export const unknownApp = (id: string, version?: string): ApiAnswer =>
  json(404, { message: `App '${id}' does not exist${version !== undefined ? ` in version ${version}` : ""}` });
const notBuilt = (req: ApiRequest): ApiAnswer => json(404, { message: `${req.method} ${req.path} is not served by Strata's services framework yet` });

/** The embeds a request names (`embed=apps.tasks`, `app.counts`, …), added to `always`. */
export function embedsOf(query: URLSearchParams, always: AppEmbeds): AppEmbeds {
  const names = query.getAll("embed");
  if (names.length === 0) return always;
  const out: AppEmbeds = { ...always };
  for (const raw of names) {
    const name = raw.replace(/^apps?\./, "");
    if (name === "tasks" || name === "counts" || name === "deployments" || name === "lastTaskFailure" || name === "taskStats") out[name] = true;
    else if (name === "readiness") out.readiness = true;
    else if (name === "failures") Object.assign(out, { tasks: true, lastTaskFailure: true });
  }
  return out;
}

/** A new app record at `nowMs`. */
const newRecord = (app: MarathonApp, nowMs: number): AppRecord => ({ app, version: nowMs, lastScalingAt: nowMs, lastConfigChangeAt: nowMs });

/** JSON text with every object's keys sorted, so that equal values read the same whatever their key order. */
const sortedJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );

/** Whether `a` and `b` differ only in their instance count. */
export const onlyScaled = (a: MarathonApp, b: MarathonApp): boolean => sortedJson({ ...a, instances: 0 }) === sortedJson({ ...b, instances: 0 });

/** The instances of `record`'s app to stop now, marked so. */
function stops(state: ServicesState, record: AppRecord | undefined, appId: string, nowMs: number): InstanceRecord[] {
  const running = instancesOf(state, appId).filter((i) => i.goal === "running");
  const ids = new Set(record ? instancesToStop(record, running) : running.map((i) => i.taskId));
  return running.filter((i) => ids.has(i.taskId)).map((i) => ({ ...i, goal: "stopped" as const, killAskedAt: nowMs }));
}

function createApp(state: ServicesState, req: ApiRequest, ctx: ApiContext): Served {
  const parsed = parseAppDefinition(req.body);
  if (isMarathonRefusal(parsed)) return { answer: refused(parsed) };
  const app = parsed.app;
  const later = notYetLaunched(app, ctx.role);
  if (later) return { answer: refused(later) };
  if (state.apps.has(app.id)) return { answer: json(409, { message: `An app with id [${app.id}] already exists.` }) };
  const record = newRecord(app, ctx.nowMs);
  const withNew: ServicesState = { ...state, apps: new Map(state.apps).set(app.id, record) };
  const deploymentId = ctx.uuid();
  const body = appAnswer(withNew, record, { counts: true, tasks: true, deployments: true });
  body.deployments = [{ id: deploymentId }];
  const answer = json(201, body, { Location: `${req.origin}/v2/apps${app.id}`, "Marathon-Deployment-Id": deploymentId });
  return { answer, changes: { apps: [record], removedApps: [], instances: [] } };
}

function updateApp(state: ServicesState, req: ApiRequest, id: string, ctx: ApiContext): Served {
  const existing = state.apps.get(id);
  if (!existing) {
    const parsed = parseAppDefinition(bodyWithId(req.body, id));
    if (isMarathonRefusal(parsed)) return { answer: refused(parsed) };
    const later = notYetLaunched(parsed.app, ctx.role);
    if (later) return { answer: refused(later) };
    const record = newRecord(parsed.app, ctx.nowMs);
    const answer = deploymentAnswer(201, ctx, record.version, { Location: `${req.origin}/v2/apps${record.app.id}` });
    return { answer, changes: { apps: [record], removedApps: [], instances: [] } };
  }
  const merged = mergeAppUpdate(existing.app, req.body, queryBoolean(req.query.get("partialUpdate"), true));
  if (isMarathonRefusal(merged)) return { answer: refused(merged) };
  const locked = lockedBy(state, id, req.query);
  if (locked) return locked;
  if ("rollbackTo" in merged) return { answer: notBuilt({ ...req, path: `${req.path} (rollback to a version)` }) };
  const later = notYetLaunched(merged.app, ctx.role);
  if (later) return { answer: refused(later) };
  if (!onlyScaled(existing.app, merged.app)) return rollingChange(state, existing, merged.app, ctx, 200);
  // A scale change stops only the surplus (or starts more); a forced one ends the deployment it overrides.
  const record: AppRecord = { ...existing, app: merged.app, version: ctx.nowMs, lastScalingAt: ctx.nowMs };
  const removedDeployments = deploymentsOf(state, id);
  return {
    answer: deploymentAnswer(200, ctx, record.version),
    changes: { apps: [record], removedApps: [], instances: stops(state, record, id, ctx.nowMs), removedDeployments },
  };
}

/** The body with the path's id put in (a PUT that creates names its app by the path). */
function bodyWithId(body: string, id: string): unknown {
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? { ...parsed, id } : parsed;
  } catch {
    return body;
  }
}

/** Serves one request. */
export function serveApi(state: ServicesState, req: ApiRequest, ctx: ApiContext): Served {
  const { method, path } = req;
  if (path === "/ping" && method === "GET") return { answer: { status: 200, text: "pong" } };
  if (path === "/v2/info" && method === "GET") return { answer: json(200, infoJson(state, ctx, req.origin)) };
  if (path.startsWith("/v2/queue")) return queueApi(state, ctx.offerStats ?? new Map(), method, path, req.query, ctx.nowMs) ?? { answer: notBuilt(req) };
  if (path.startsWith("/v2/tasks")) return tasksApi(state, req, ctx) ?? { answer: notBuilt(req) };
  if (path.startsWith("/v2/deployments")) return deploymentsApi(state, req, ctx) ?? { answer: notBuilt(req) };
  if (path.startsWith("/v2/groups")) return groupsApi(state, req, ctx) ?? { answer: notBuilt(req) };
  if (path === "/v2/apps" || path === "/v2/apps/") {
    if (method === "POST") return createApp(state, req, ctx);
    if (method !== "GET") return { answer: notBuilt(req) };
    const embed = embedsOf(req.query, { counts: true, deployments: true });
    const cmd = req.query.get("cmd")?.toLowerCase();
    const idPart = req.query.get("id")?.toLowerCase();
    const apps = [...state.apps.values()]
      .filter((r) => (cmd === undefined || (r.app.cmd ?? "").toLowerCase().includes(cmd)) && (idPart === undefined || r.app.id.includes(idPart)))
      .sort((a, b) => a.app.id.localeCompare(b.app.id))
      .map((r) => appAnswer(state, r, embed));
    return { answer: json(200, { apps }) };
  }
  const m = /^\/v2\/apps\/(.+)$/.exec(path);
  if (!m) return { answer: notBuilt(req) };
  if (/\/tasks(\/[^/]+)?\/?$/.test(m[1]!)) return appTasksApi(state, req, ctx, m[1]!) ?? { answer: notBuilt(req) };
  const id = canonicalAppId(m[1]!);
  const record = state.apps.get(id);
  const restart = /^(.*)\/restart\/?$/.exec(m[1]!);
  if (restart && method === "POST") {
    const rid = canonicalAppId(restart[1]!);
    const existing = state.apps.get(rid);
    if (!existing) return { answer: unknownApp(rid) };
    return lockedBy(state, rid, req.query) ?? rollingChange(state, existing, existing.app, ctx, 200);
  }
  if (/\/(versions|restart)(\/|$)/.test(m[1]!)) return { answer: notBuilt(req) };
  switch (method) {
    case "GET": {
      if (!record) return { answer: unknownApp(id) };
      // Strata's extra, off by default: `strataExplain=true` adds the last deployment failure (deployment-deadline.ts).
      const explain = queryBoolean(req.query.get("strataExplain"), false) ? strataDeploymentFailureJson(record) : {};
      return { answer: json(200, { app: { ...appAnswer(state, record, embedsOf(req.query, APP_SHOW_EMBEDS)), ...explain } }) };
    }
    case "PUT":
      return updateApp(state, req, id, ctx);
    case "DELETE": {
      if (!record) return { answer: unknownApp(id) };
      const locked = lockedBy(state, id, req.query);
      if (locked) return locked;
      // Resident instances (suspended ones too) are wiped: their volumes destroyed and reservations undone (resident-planner.ts).
      const wipes = wiped(residentInstancesOf(state, id), ctx.nowMs);
      const instances = [...stops(state, undefined, id, ctx.nowMs).filter((i) => !i.resident), ...wipes];
      return {
        answer: deploymentAnswer(200, ctx, ctx.nowMs),
        changes: { apps: [], removedApps: [id], instances, removedDeployments: deploymentsOf(state, id) },
      };
    }
    default:
      return { answer: notBuilt(req) };
  }
}
