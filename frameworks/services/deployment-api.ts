/**
 * Marathon's deployments over the services framework's state, decided purely (services-api.ts
 * hands these requests over): GET `/v2/deployments`, DELETE `/v2/deployments/{id}` (a rollback
 * as a new deployment; `force=true` only stops it), the lock a deployment holds on its app (409
 * unless `force=true`) and the start of a rolling change (a new configuration, `/restart`).
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import { queryBoolean } from "../../schemas/marathon/query-boolean.ts";
import type { ApiAnswer, ApiContext, ApiRequest, Served } from "./api-types.ts";
import { deploymentJson, deploymentsOf, lockedBody, startDeployment } from "./deployments.ts";
import { readinessCheckResults } from "./readiness.ts";
import type { AppRecord, ServicesState } from "./service-records.ts";

/** A deployment's answer (Marathon's `deploymentResult`): its id and the version, also as a header. */
export function deploymentAnswer(status: number, ctx: ApiContext, version: number, headers: Record<string, string> = {}, deploymentId = ctx.uuid()): ApiAnswer {
  return { status, json: { version: marathonTime(version), deploymentId }, headers: { "Marathon-Deployment-Id": deploymentId, ...headers } };
}

/** The 409 when a deployment holds `appId` and the request does not say `force=true`; undefined when it may go on. */
export function lockedBy(state: ServicesState, appId: string, query: URLSearchParams): Served | undefined {
  const ids = deploymentsOf(state, appId);
  if (ids.length === 0 || queryBoolean(query.get("force"), false)) return undefined;
  return { answer: { status: 409, json: lockedBody(ids) } };
}

/**
 * `existing`'s app changed to `app` (the same definition for a restart) as a rolling deployment:
 * a new version and configuration time, the deployments it overrides ended, the old instances
 * to stop at once stopped.
 */
export function rollingChange(state: ServicesState, existing: AppRecord, app: MarathonApp, ctx: ApiContext, status: number, rollback = false): Served {
  const record: AppRecord = {
    app,
    version: ctx.nowMs,
    lastScalingAt: ctx.nowMs,
    lastConfigChangeAt: ctx.nowMs,
    ...(existing.lastTaskFailure ? { lastTaskFailure: existing.lastTaskFailure } : {}),
  };
  const { deployment, stops } = startDeployment(state, record, existing.app, ctx.uuid(), ctx.nowMs, rollback);
  return {
    answer: deploymentAnswer(status, ctx, record.version, {}, deployment.id),
    changes: { apps: [record], removedApps: [], instances: stops, deployments: [deployment], removedDeployments: deploymentsOf(state, app.id) },
  };
}

/** Serves `/v2/deployments…`, or undefined for a request it does not serve. */
export function deploymentsApi(state: ServicesState, req: ApiRequest, ctx: ApiContext): Served | undefined {
  if ((req.path === "/v2/deployments" || req.path === "/v2/deployments/") && req.method === "GET") {
    const all = [...state.deployments.values()].sort((a, b) => a.version - b.version || a.id.localeCompare(b.id));
    return { answer: { status: 200, json: all.map((d) => deploymentJson(d, readinessCheckResults(state, d.appId))) } };
  }
  const m = /^\/v2\/deployments\/([^/]+)\/?$/.exec(req.path);
  if (!m || req.method !== "DELETE") return undefined;
  const d = state.deployments.get(decodeURIComponent(m[1]!));
  if (!d) return { answer: { status: 404, json: { message: `DeploymentPlan ${m[1]} does not exist` } } };
  if (queryBoolean(req.query.get("force"), false)) {
    return { answer: { status: 202, json: {} }, changes: { apps: [], removedApps: [], instances: [], removedDeployments: [d.id] } };
  }
  const existing = state.apps.get(d.appId);
  if (!existing) return { answer: { status: 202, json: {} }, changes: { apps: [], removedApps: [], instances: [], removedDeployments: [d.id] } };
  // A rollback: the app goes back to the definition it had before, rolled out as a new deployment
  // that keeps one running instance (cancelling never leaves the app with none; deployment-deadline.ts).
  return rollingChange(state, existing, d.previous, ctx, 200, true);
}
