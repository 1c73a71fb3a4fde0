/**
 * Marathon's `/v2/groups` over the services framework's state, decided purely (services-api.ts
 * hands these requests over). Source: mesosphere/marathon
 * src/main/scala/mesosphere/marathon/api/v2/GroupsResource.scala and
 * docs/docs/rest-api/public/api/v2/groups.raml:
 * - GET `/v2/groups` (the root) and `/v2/groups/{id}`: the group's tree with `embed`
 *   (group-tree.ts); `404 {"message": "Group '/x' does not exist"}`;
 * - GET `/v2/groups/{id}/versions` (the stored versions, newest first) and `…/versions/{v}`;
 * - POST `/v2/groups` (and `/v2/groups/{id}`, the body's id relative to it): a new group with its
 *   apps and groups, `201 {"version", "deploymentId"}` with `Location`; `409` when the group or an
 *   app of that id exists;
 * - PUT `/v2/groups/{id}`: a GroupUpdate (created when missing): `200 {"version",
 *   "deploymentId"}`; `dryRun=true` answers `{"steps": […]}`, the plan, and changes nothing;
 * - DELETE `/v2/groups/{id}`: every app and group in it goes (the root is emptied).
 * Every change is one deployment (deployments.ts) of the apps it touches, in `dependencies`
 * order; it is refused (409, with the deployments' ids) while a deployment holds one of those apps,
 * unless `force=true` (which ends those deployments).
 */
import { appIdProblem, canonicalAppId } from "../../schemas/marathon/app-id.ts";
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import { invalidJson, isMarathonRefusal, objectNotValid } from "../../schemas/marathon/marathon-error.ts";
import { parseJsonBody } from "../../schemas/marathon/parse-app.ts";
import { queryBoolean } from "../../schemas/marathon/query-boolean.ts";
import type { ApiAnswer, ApiChanges, ApiContext, ApiRequest, Served } from "./api-types.ts";
import { deployChanges, deploymentAnswer, groupNodes, lockedBy } from "./deployment-api.ts";
import { changedRecord, planSteps, stepJson } from "./deployments.ts";
import {
  applyGroupUpdate,
  appsOf,
  groupEmbedsOf,
  groupIndex,
  groupJson,
  groupRecordsOf,
  groupsOf,
  inside,
  readGroupUpdate,
  snapshotJson,
  snapshotOf,
} from "./group-tree.ts";
import type { AppRecord, GroupRecord, GroupSnapshot, ServicesState } from "./service-records.ts";

const json = (status: number, body: unknown, headers?: Record<string, string>): ApiAnswer => ({ status, json: body, ...(headers ? { headers } : {}) });
const unknownGroup = (id: string, version?: string): Served => ({
  answer: json(404, { message: `Group '${id}' does not exist${version !== undefined ? ` in version ${version}` : ""}` }),
});

/** The stored versions of group `id`, oldest first. */
const versionsOf = (state: ServicesState, id: string): GroupSnapshot[] => state.groupVersions?.get(id) ?? [];

/** What changing group `id` from `current` to `target` means for the state: apps stored and removed, group records, the version kept. */
function groupChanges(state: ServicesState, id: string, current: GroupSnapshot | undefined, target: GroupSnapshot | undefined, nowMs: number): ApiChanges {
  const targetApps = new Map((target ? appsOf(target) : []).map((a) => [a.id, a]));
  const apps: AppRecord[] = [];
  for (const a of targetApps.values()) {
    const r = changedRecord(state.apps.get(a.id), a, nowMs);
    if (r) apps.push(r);
  }
  const removedApps = [...state.apps.keys()].filter((a) => inside(a, id) && !targetApps.has(a));
  const targetGroups = target ? groupRecordsOf(target) : [];
  const removedGroups = [...(state.groups?.keys() ?? [])].filter((g) => (inside(g, id) || g === id) && !targetGroups.some((t) => t.id === g));
  const groupVersions: GroupSnapshot[] = [];
  // The first change of a group keeps what it was before, so that it can be rolled back to.
  if (current && versionsOf(state, id).length === 0) groupVersions.push(current);
  if (target) groupVersions.push(target);
  return { apps, removedApps, instances: [], groups: targetGroups, removedGroups, groupVersions };
}

/** The groups' dependencies once `changes` are made. */
function nodesAfter(state: ServicesState, changes: ApiChanges) {
  const groups = new Map(state.groups ?? []);
  for (const g of changes.removedGroups ?? []) groups.delete(g);
  for (const g of changes.groups ?? []) groups.set(g.id, g);
  return groupNodes({ groups });
}

/** Group `id` changed to `target` (undefined: removed) as one deployment; `status` and `headers` of the answer. */
function deployGroup(
  state: ServicesState,
  req: ApiRequest,
  ctx: ApiContext,
  id: string,
  target: GroupSnapshot | undefined,
  status: number,
  headers: Record<string, string> = {},
): Served {
  const current = snapshotOf(state, id);
  const changes = groupChanges(state, id, current, target, ctx.nowMs);
  const affected = [...changes.apps.map((r) => r.app.id), ...changes.removedApps];
  const locked = lockedBy(state, affected, req.query);
  if (locked) return locked;
  const nodes = nodesAfter(state, changes);
  if (queryBoolean(req.query.get("dryRun"), false)) {
    const before = new Map([...state.apps].filter(([k]) => affected.includes(k)));
    const after = new Map(changes.apps.map((r) => [r.app.id, r]));
    const planned = planSteps(before, after, nodes);
    if ("cycle" in planned) return { answer: json(422, objectNotValid([["/", planned.cycle]]).body) };
    return { answer: json(200, { steps: planned.steps.map(stepJson) }) };
  }
  const deploymentId = ctx.uuid();
  const deployed = deployChanges(state, changes, deploymentId, ctx.nowMs, { groups: nodes, groupId: id, affected });
  if ("cycle" in deployed) return { answer: json(422, objectNotValid([["/", deployed.cycle]]).body) };
  const originalGroups: Record<string, GroupRecord | null> = {};
  for (const g of [...(changes.groups ?? []).map((r) => r.id), ...(changes.removedGroups ?? [])]) originalGroups[g] = state.groups?.get(g) ?? null;
  const deployments = (deployed.deployments ?? []).map((d) => (d.id === deploymentId ? { ...d, originalGroups } : d));
  return { answer: deploymentAnswer(status, ctx, ctx.nowMs, headers, deploymentId), changes: { ...deployed, deployments } };
}

/** A POST or PUT: the body read as a GroupUpdate applied to the group it names. */
function changeGroup(state: ServicesState, req: ApiRequest, ctx: ApiContext, pathId: string, create: boolean): Served {
  const body = parseJsonBody(req.body);
  if (isMarathonRefusal(body)) return { answer: json(body.status, body.body) };
  const update = readGroupUpdate(body.json);
  if (isMarathonRefusal(update)) return { answer: json(update.status, update.body) };
  const idProblem = update.id !== undefined ? appIdProblem(update.id) : undefined;
  if (idProblem) return { answer: json(422, invalidJson([["/id", idProblem]]).body) };
  const id = update.id !== undefined ? canonicalAppId(update.id, pathId) : pathId;
  const index = groupIndex(state);
  if (create && index.groups.has(id)) return { answer: json(409, { message: `Group ${id} is already created. Use PUT to change this group.` }) };
  if (state.apps.has(id)) return { answer: json(409, { message: `An app with the path ${id} already exists.` }) };
  const current = snapshotOf(state, id, index);
  const target = applyGroupUpdate(current, update, id, versionsOf(state, id), ctx.nowMs);
  if (isMarathonRefusal(target)) return { answer: json(target.status, target.body) };
  const groupIds = new Set(groupsOf(target).map((g) => g.id));
  const clash = appsOf(target).filter((a) => groupIds.has(a.id));
  if (clash.length > 0) {
    return {
      answer: json(422, objectNotValid([["/", `Groups and Applications may not have the same identifier: ${clash.map((a) => a.id).join(", ")}`]]).body),
    };
  }
  if (create) return deployGroup(state, req, ctx, id, target, 201, { Location: `${req.origin}/v2/groups${id === "/" ? "" : id}` });
  return deployGroup(state, req, ctx, id, target, 200);
}

/** Serves `/v2/groups…`, or undefined for a request it does not serve. */
export function groupsApi(state: ServicesState, req: ApiRequest, ctx: ApiContext): Served | undefined {
  const m = /^\/v2\/groups(?:\/(.*))?$/.exec(req.path);
  if (!m) return undefined;
  const rest = (m[1] ?? "").replace(/\/+$/, "");
  const versions = /^(?:(.*)\/)?versions(?:\/([^/]+))?$/.exec(rest);
  if (req.method === "GET" && versions) {
    const id = canonicalAppId(versions[1] ?? "");
    const stored = versionsOf(state, id);
    if (versions[2] !== undefined) {
      const v = decodeURIComponent(versions[2]);
      const found = stored.find((s) => s.version === Date.parse(v));
      return found ? { answer: json(200, snapshotJson(found)) } : unknownGroup(id, v);
    }
    const current = snapshotOf(state, id);
    if (!current && stored.length === 0) return unknownGroup(id);
    const all = new Set([...stored.map((s) => s.version), ...(current ? [current.version || ctx.nowMs] : [])]);
    return { answer: json(200, [...all].sort((a, b) => b - a).map(marathonTime)) };
  }
  const id = canonicalAppId(rest);
  switch (req.method) {
    case "GET": {
      const g = groupJson(state, id, groupEmbedsOf(req.query.getAll("embed")), ctx.nowMs);
      return g ? { answer: json(200, g) } : unknownGroup(id);
    }
    case "POST":
      return changeGroup(state, req, ctx, id, true);
    case "PUT":
      return changeGroup(state, req, ctx, id, false);
    case "DELETE": {
      const current = snapshotOf(state, id);
      if (!current) return unknownGroup(id);
      const emptyRoot: GroupSnapshot | undefined = id === "/" ? { id: "/", apps: [], groups: [], dependencies: [], version: ctx.nowMs } : undefined;
      return deployGroup(state, req, ctx, id, emptyRoot, 200);
    }
    default:
      return undefined;
  }
}
