/**
 * Marathon's deployments over the services framework's state, decided purely (services-api.ts
 * hands these requests over): GET `/v2/deployments`, DELETE `/v2/deployments/{id}` (a rollback
 * as a new deployment; `force=true` only stops it), the lock a deployment holds on its apps (409
 * unless `force=true`), and the deployment every change of apps is (deployments.ts): a change the
 * API answered with a deployment id becomes the tracked deployment of that id (`trackDeployments`).
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import { queryBoolean } from "../../schemas/marathon/query-boolean.ts";
import type { ApiAnswer, ApiChanges, ApiContext, ApiRequest, Served } from "./api-types.ts";
import type { DependencyNode } from "./deployment-order.ts";
import { affectedApps, changedRecord, deploymentJson, deploymentsOf, lockedBody, startDeployment } from "./deployments.ts";
import { readinessCheckResults } from "./readiness.ts";
import { instancesToStop } from "./scale-planner.ts";
import { type AppRecord, type DeploymentRecord, type InstanceRecord, newRecord, type ServicesState } from "./service-records.ts";

/** A deployment's answer (Marathon's `deploymentResult`): its id and the version, also as a header. */
export function deploymentAnswer(status: number, ctx: ApiContext, version: number, headers: Record<string, string> = {}, deploymentId = ctx.uuid()): ApiAnswer {
  return { status, json: { version: marathonTime(version), deploymentId }, headers: { "Marathon-Deployment-Id": deploymentId, ...headers } };
}

/** The deployments holding any of `appIds`. */
export function lockingDeployments(state: Pick<ServicesState, "deployments">, appIds: readonly string[]): string[] {
  return [...new Set(appIds.flatMap((id) => deploymentsOf(state, id)))];
}

/** The 409 when a deployment holds one of `appIds` and the request does not say `force=true`; undefined when it may go on. */
export function lockedBy(state: ServicesState, appIds: string | readonly string[], query: URLSearchParams): Served | undefined {
  const ids = lockingDeployments(state, typeof appIds === "string" ? [appIds] : appIds);
  if (ids.length === 0 || queryBoolean(query.get("force"), false)) return undefined;
  return { answer: { status: 409, json: lockedBody(ids) } };
}

/** The group-level dependencies of `state`'s groups. */
export const groupNodes = (state: Pick<ServicesState, "groups">): DependencyNode[] =>
  [...(state.groups?.values() ?? [])].filter((g) => g.dependencies.length > 0).map((g) => ({ id: g.id, dependencies: g.dependencies }));

/** `instances` with `more` put over them (by task id). */
const mergeInstances = (instances: readonly InstanceRecord[], more: readonly InstanceRecord[]): InstanceRecord[] => [
  ...new Map([...instances, ...more].map((i) => [i.taskId, i])).values(),
];

/**
 * `changes` (apps stored and removed, instances changed) as deployment `id`: the instances of
 * removed apps stopped, the surplus of apps scaled down stopped (scale-planner.ts), the first step's stops added, the deployments it overrides ended (a
 * caller checks the locks first). A dependency cycle is refused (`cycle`).
 */
export function deployChanges(
  state: ServicesState,
  changes: ApiChanges,
  id: string,
  nowMs: number,
  opts: { groups?: readonly DependencyNode[]; groupId?: string; affected?: readonly string[]; extra?: Pick<DeploymentRecord, "keepOne" | "rollbackOf"> } = {},
): ApiChanges | { cycle: string } {
  const apps = new Map(state.apps);
  for (const r of changes.apps) apps.set(r.app.id, r);
  for (const rid of changes.removedApps) apps.delete(rid);
  const instances = new Map(state.instances);
  for (const i of changes.instances) instances.set(i.taskId, i);
  const removedStops: InstanceRecord[] = [];
  for (const i of instances.values()) {
    if (changes.removedApps.includes(i.appId) && i.goal === "running") removedStops.push({ ...i, goal: "stopped", killAskedAt: nowMs });
  }
  for (const r of changes.apps) {
    const running = [...instances.values()].filter((i) => i.appId === r.app.id && i.goal === "running");
    if (running.length <= r.app.instances) continue;
    const surplus = new Set(instancesToStop(r, running));
    removedStops.push(...running.filter((i) => surplus.has(i.taskId)).map((i) => ({ ...i, goal: "stopped" as const, killAskedAt: nowMs })));
  }
  for (const i of removedStops) instances.set(i.taskId, i);
  const affected = opts.affected ?? [...changes.apps.map((r) => r.app.id), ...changes.removedApps];
  const started = startDeployment(state, { apps, instances }, affected, id, nowMs, opts.groups ?? groupNodes(state), opts.groupId, opts.extra);
  if ("cycle" in started) return started;
  return {
    ...changes,
    instances: mergeInstances(changes.instances, [...removedStops, ...started.stops]),
    deployments: [...(changes.deployments ?? []), started.deployment],
    removedDeployments: [...new Set([...(changes.removedDeployments ?? []), ...lockingDeployments(state, affected)])],
  };
}

/** The deployment id an answer announced (`Marathon-Deployment-Id`, or `deploymentId` in its body). */
function announcedId(answer: ApiAnswer): string | undefined {
  const header = answer.headers?.["Marathon-Deployment-Id"];
  if (header) return header;
  const body = answer.json as { deploymentId?: unknown } | undefined;
  return typeof body?.deploymentId === "string" ? body.deploymentId : undefined;
}

/**
 * A served change of apps that announced a deployment id but carries no deployment for some of
 * its apps (a creation, a scale change, a delete, a kill with `scale=true`) as the tracked
 * deployment of that id. Other answers are left as they are.
 */
export function trackDeployments(state: ServicesState, served: Served, nowMs: number): Served {
  const changes = served.changes;
  const id = announcedId(served.answer);
  if (!changes || !id || served.answer.status >= 300) return served;
  const covered = new Set((changes.deployments ?? []).flatMap(affectedApps));
  const stored = changes.apps.filter((r) => !covered.has(r.app.id) && state.apps.get(r.app.id)?.version !== r.version);
  const removed = changes.removedApps.filter((a) => !covered.has(a) && state.apps.has(a));
  if (stored.length === 0 && removed.length === 0) return served;
  const deployed = deployChanges(state, changes, id, nowMs, { affected: [...stored.map((r) => r.app.id), ...removed] });
  if ("cycle" in deployed) return served;
  return { ...served, changes: deployed };
}

/**
 * `existing`'s app changed to `app` (the same definition for a restart) as a rolling deployment:
 * a new version and configuration time, the deployments it overrides ended, the old instances
 * to stop at once stopped.
 */
export function rollingChange(state: ServicesState, existing: AppRecord, app: MarathonApp, ctx: ApiContext, status: number): Served {
  const record: AppRecord = { ...newRecord(app, ctx.nowMs), ...(existing.lastTaskFailure ? { lastTaskFailure: existing.lastTaskFailure } : {}) };
  const id = ctx.uuid();
  const changes = deployChanges(state, { apps: [record], removedApps: [], instances: [] }, id, ctx.nowMs);
  if ("cycle" in changes) return { answer: { status: 422, json: { message: changes.cycle } } };
  return { answer: deploymentAnswer(status, ctx, record.version, {}, id), changes };
}

/**
 * The rollback of deployment `d`'s apps to what they were before it, as the changes of a new
 * deployment `id`: apps it created are removed, apps it removed come back, changed ones get their
 * old definition; the groups a group change set or removed are as they were. A rollback's
 * restarts keep one running instance until a new one is healthy (cancelling never leaves an app
 * with none: deployment-deadline.ts); `extra` marks a deadline's rollback.
 */
export function revertChanges(
  state: ServicesState,
  d: DeploymentRecord,
  id: string,
  nowMs: number,
  extra: Pick<DeploymentRecord, "rollbackOf"> = {},
): ApiChanges | { cycle: string } {
  const apps: AppRecord[] = [];
  const removedApps: string[] = [];
  for (const [appId, before] of Object.entries(d.original)) {
    const now = state.apps.get(appId);
    if (before === null) {
      if (now) removedApps.push(appId);
    } else {
      const record = changedRecord(now, before, nowMs);
      if (record) apps.push(record);
    }
  }
  // A group change's groups come back as they were (their dependencies), or go when it made them.
  const groupsBefore = Object.entries(d.originalGroups ?? {});
  const groups = groupsBefore.flatMap(([, g]) => (g ? [{ ...g, version: nowMs }] : []));
  const removedGroups = groupsBefore.flatMap(([gid, g]) => (g ? [] : [gid]));
  const nodes = groupNodes({ groups: new Map([...(state.groups ?? [])].filter(([gid]) => !removedGroups.includes(gid)).concat(groups.map((g) => [g.id, g]))) });
  return deployChanges(
    state,
    { apps, removedApps, instances: [], removedDeployments: [d.id], ...(groupsBefore.length > 0 ? { groups, removedGroups } : {}) },
    id,
    nowMs,
    { groups: nodes, extra: { keepOne: true, ...extra } },
  );
}

/** DELETE `/v2/deployments/{id}` without `force`: the rollback of `d` as a new deployment. */
function revert(state: ServicesState, d: DeploymentRecord, ctx: ApiContext): Served {
  const id = ctx.uuid();
  const changes = revertChanges(state, d, id, ctx.nowMs);
  if ("cycle" in changes) return { answer: { status: 422, json: { message: changes.cycle } } };
  return { answer: deploymentAnswer(200, ctx, ctx.nowMs, {}, id), changes };
}

/** Serves `/v2/deployments…`, or undefined for a request it does not serve. */
export function deploymentsApi(state: ServicesState, req: ApiRequest, ctx: ApiContext): Served | undefined {
  if ((req.path === "/v2/deployments" || req.path === "/v2/deployments/") && req.method === "GET") {
    const all = [...state.deployments.values()].sort((a, b) => a.version - b.version || a.id.localeCompare(b.id));
    return { answer: { status: 200, json: all.map((d) => deploymentJson(d, (appId) => readinessCheckResults(state, appId))) } };
  }
  const m = /^\/v2\/deployments\/([^/]+)\/?$/.exec(req.path);
  if (!m || req.method !== "DELETE") return undefined;
  const d = state.deployments.get(decodeURIComponent(m[1]!));
  if (!d) return { answer: { status: 404, json: { message: `DeploymentPlan ${m[1]} does not exist` } } };
  if (queryBoolean(req.query.get("force"), false)) {
    return { answer: { status: 202, json: {} }, changes: { apps: [], removedApps: [], instances: [], removedDeployments: [d.id] } };
  }
  return revert(state, d, ctx);
}
