/**
 * Marathon's REST API v2 over the services framework's state, decided purely: a request (method,
 * path under `/v2`, `/ping` or `/metrics`, query, body text) → the answer and the changes to
 * commit. The object commits the changes in one transaction before it answers, then acts on them
 * (kills, revives). Served here: `/ping`, `/metrics` and `/v2/leader` (leader-metrics.ts),
 * `/v2/info`, `/v2/apps` (GET with the `cmd`, `id` and `label` filters, POST, and PUT/PATCH of
 * several apps: bulk-update.ts), `/v2/apps/{id}` (GET, PUT, PATCH, DELETE),
 * `/v2/apps/{id}/versions[/{version}]` (app-versions-api.ts), `/v2/apps/{id}/tasks` (GET,
 * DELETE) and `/v2/tasks` (tasks-api.ts), `/v2/queue` (queue-api.ts), `/v2/apps/{id}/restart`
 * (POST) and `/v2/deployments` (GET, DELETE: deployment-api.ts); anything else is 404 until it
 * is built.
 */

import { canonicalAppId } from "../../schemas/marathon/app-id.ts";
import type { AppEmbeds } from "../../schemas/marathon/app-json.ts";
import { APP_SHOW_EMBEDS } from "../../schemas/marathon/app-json.ts";
import { mergeAppUpdate } from "../../schemas/marathon/app-update.ts";
import { isMarathonRefusal } from "../../schemas/marathon/marathon-error.ts";
import { parseAppDefinition } from "../../schemas/marathon/parse-app.ts";
import { queryBoolean } from "../../schemas/marathon/query-boolean.ts";
import type { ApiAnswer, ApiChanges, ApiContext, ApiRequest, Served } from "./api-types.ts";
import { appAnswer, infoJson } from "./app-answers.ts";
import { changeApp, refused, rollbackTarget, stops } from "./app-changes.ts";
import { appExplainJson } from "./app-explain.ts";
import { unknownApp, versionsApi } from "./app-versions-api.ts";
import { bulkUpdate } from "./bulk-update.ts";
import { deploymentAnswer, deploymentsApi, lockedBy, rollingChange } from "./deployment-api.ts";
import { deploymentsOf } from "./deployments.ts";
import { groupsApi } from "./groups-api.ts";
import { labelsMatch, parseLabelSelectors } from "./label-selector.ts";
import { leaderApi, metricsJson } from "./leader-metrics.ts";
import { notYetLaunched } from "./not-yet-launched.ts";
import { queueApi } from "./queue-api.ts";
import { residentInstancesOf, wiped } from "./resident-planner.ts";
import { withAssignedPorts } from "./service-ports.ts";
import { newRecord, type ServicesState } from "./service-records.ts";
import { newCounters } from "./services-counters.ts";
import { appTasksApi, tasksApi } from "./tasks-api.ts";

const json = (status: number, body: unknown, headers?: Record<string, string>): ApiAnswer => ({ status, json: body, ...(headers ? { headers } : {}) });

export type { ApiAnswer, ApiChanges, ApiContext, ApiRequest, Served };

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

function createApp(state: ServicesState, req: ApiRequest, ctx: ApiContext): Served {
  const parsed = parseAppDefinition(req.body);
  if (isMarathonRefusal(parsed)) return { answer: refused(parsed) };
  const app = parsed.app;
  const later = notYetLaunched(app, ctx.role);
  if (later) return { answer: refused(later) };
  if (state.apps.has(app.id)) return { answer: json(409, { message: `An app with id [${app.id}] already exists.` }) };
  const ported = withAssignedPorts(state, { apps: [newRecord(app, ctx.nowMs)], removedApps: [], instances: [] });
  if ("refused" in ported) return { answer: json(422, { message: ported.refused }) };
  const record = ported.apps[0]!;
  const withNew: ServicesState = { ...state, apps: new Map(state.apps).set(app.id, record) };
  const deploymentId = ctx.uuid();
  const body = appAnswer(withNew, record, { counts: true, tasks: true, deployments: true });
  body.deployments = [{ id: deploymentId }];
  const answer = json(201, body, { Location: `${req.origin}/v2/apps${app.id}`, "Marathon-Deployment-Id": deploymentId });
  return { answer, changes: { apps: [record], removedApps: [], instances: [] } };
}

/**
 * PUT (`allowCreation`) or PATCH `/v2/apps/{id}` (AppsResource.scala `replace`, `patch`): a partial
 * update (PUT with `partialUpdate=false` replaces), a rollback to a stored version for a body of
 * `version` alone, or, for PUT only, the creation of an app it does not have (201); PATCH of an
 * unknown app is 404.
 */
function updateApp(state: ServicesState, req: ApiRequest, id: string, ctx: ApiContext, allowCreation: boolean): Served {
  const existing = state.apps.get(id);
  if (!existing && !allowCreation) return { answer: unknownApp(id) };
  if (!existing) {
    const parsed = parseAppDefinition(bodyWithId(req.body, id));
    if (isMarathonRefusal(parsed)) return { answer: refused(parsed) };
    const later = notYetLaunched(parsed.app, ctx.role);
    if (later) return { answer: refused(later) };
    const record = newRecord(parsed.app, ctx.nowMs);
    const answer = deploymentAnswer(201, ctx, record.version, { Location: `${req.origin}/v2/apps${record.app.id}` });
    return { answer, changes: { apps: [record], removedApps: [], instances: [] } };
  }
  const partial = !allowCreation || queryBoolean(req.query.get("partialUpdate"), true);
  const merged = mergeAppUpdate(existing.app, req.body, partial);
  if (isMarathonRefusal(merged)) return { answer: refused(merged) };
  const locked = lockedBy(state, id, req.query);
  if (locked) return locked;
  if ("rollbackTo" in merged) {
    const target = rollbackTarget(state, ctx, id, merged.rollbackTo);
    return "app" in target ? changeApp(state, existing, target.app, ctx) : { answer: target };
  }
  const later = notYetLaunched(merged.app, ctx.role);
  if (later) return { answer: refused(later) };
  return changeApp(state, existing, merged.app, ctx);
}

/** A path segment percent-decoded (as it came when it does not decode: a malformed escape names no version, never a 500). */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
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

/**
 * GET `/v2/apps` (AppsResource.scala `index`, `search`): every app, or those whose `cmd` and `id`
 * contain the texts given (case-insensitively) and whose labels match the `label` selectors
 * (label-selector.ts; 422 for a selector that does not parse); counts and deployments embedded,
 * and what `embed` asks for.
 */
function listApps(state: ServicesState, req: ApiRequest): Served {
  const embed = embedsOf(req.query, { counts: true, deployments: true });
  const cmd = req.query.get("cmd")?.toLowerCase();
  const idPart = req.query.get("id")?.toLowerCase();
  const label = req.query.get("label");
  const selectors = label === null ? [] : parseLabelSelectors(label);
  if ("error" in selectors) return { answer: json(422, { message: `Can not parse label selector ${label}. Reason: ${selectors.error}` }) };
  const apps = [...state.apps.values()]
    .filter(
      (r) =>
        (cmd === undefined || (r.app.cmd ?? "").toLowerCase().includes(cmd)) &&
        (idPart === undefined || r.app.id.includes(idPart)) &&
        labelsMatch(selectors, r.app.labels),
    )
    .sort((a, b) => a.app.id.localeCompare(b.app.id))
    .map((r) => appAnswer(state, r, embed));
  return { answer: json(200, { apps }) };
}

/**
 * Serves one request. The apps a change stores get their dynamic service ports (service-ports.ts)
 * before anything is answered or committed; a creation's answer shows them.
 */
export function serveApi(state: ServicesState, req: ApiRequest, ctx: ApiContext): Served {
  const served = route(state, req, ctx);
  if (!served.changes || served.answer.status >= 300) return served;
  const changes = withAssignedPorts(state, served.changes);
  if ("refused" in changes) return { answer: json(422, { message: changes.refused }) };
  return { ...served, changes };
}

function route(state: ServicesState, req: ApiRequest, ctx: ApiContext): Served {
  const { method, path } = req;
  if (path === "/ping" && method === "GET") return { answer: { status: 200, text: "pong" } };
  if (path === "/metrics" && method === "GET") return { answer: json(200, metricsJson(state, ctx.counters ?? newCounters(ctx.nowMs), ctx.nowMs)) };
  if (path === "/v2/leader" || path === "/v2/leader/") return leaderApi(req) ?? { answer: notBuilt(req) };
  if (path === "/v2/info" && method === "GET") return { answer: json(200, infoJson(state, ctx, req.origin)) };
  if (path.startsWith("/v2/queue")) return queueApi(state, ctx.offerStats ?? new Map(), method, path, req.query, ctx.nowMs) ?? { answer: notBuilt(req) };
  if (path.startsWith("/v2/tasks")) return tasksApi(state, req, ctx) ?? { answer: notBuilt(req) };
  if (path.startsWith("/v2/deployments")) return deploymentsApi(state, req, ctx) ?? { answer: notBuilt(req) };
  if (path.startsWith("/v2/groups")) return groupsApi(state, req, ctx) ?? { answer: notBuilt(req) };
  if (path === "/v2/apps" || path === "/v2/apps/") {
    if (method === "POST") return createApp(state, req, ctx);
    if (method === "PUT" || method === "PATCH") return bulkUpdate(state, req, ctx, method === "PUT");
    if (method !== "GET") return { answer: notBuilt(req) };
    return listApps(state, req);
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
  const versions = /^(.*)\/versions(?:\/([^/]+))?\/?$/.exec(m[1]!);
  if (versions && method === "GET") return { answer: versionsApi(state, ctx, canonicalAppId(versions[1]!), versions[2] && decodedSegment(versions[2])) };
  if (/\/(versions|restart)(\/|$)/.test(m[1]!)) return { answer: notBuilt(req) };
  switch (method) {
    case "GET": {
      if (!record) return { answer: unknownApp(id) };
      // Strata's extra, off by default: `strataExplain=true` adds the last deployment failure and the instances by version (app-explain.ts).
      const explain = queryBoolean(req.query.get("strataExplain"), false) ? appExplainJson(state, record) : {};
      return { answer: json(200, { app: { ...appAnswer(state, record, embedsOf(req.query, APP_SHOW_EMBEDS)), ...explain } }) };
    }
    case "PUT":
    case "PATCH":
      return updateApp(state, req, id, ctx, method === "PUT");
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
