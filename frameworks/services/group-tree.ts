/**
 * Marathon's groups over the services framework's state, decided purely: the tree of groups (the
 * root `/`, the groups made through `/v2/groups`, and every group an app's id names, as
 * Marathon's `RootGroup` holds them), a group's JSON (`GroupInfo`), a `GroupUpdate` read and
 * applied to a group (Marathon's GroupApiService.updateGroup: a `version` rolls the group back to
 * a stored version, a `scaleBy` scales every app in it, anything else replaces what it names:
 * given `apps` are the group's apps, given `groups` its groups, each updated in the same way,
 * given `dependencies` its dependencies).
 *
 * Sources (mesosphere/marathon): docs/docs/rest-api/public/api/v2/types/group.raml (`Group`,
 * `GroupUpdate`), src/main/scala/mesosphere/marathon/api/GroupApiService.scala,
 * src/main/scala/mesosphere/marathon/raml/GroupConversion.scala,
 * src/main/scala/mesosphere/marathon/api/v2/InfoEmbedResolver.scala (`group.groups`,
 * `group.apps`, `group.pods`, `group.apps.<app embed>`).
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { appIdProblem, canonicalAppId } from "../../schemas/marathon/app-id.ts";
import type { AppEmbeds } from "../../schemas/marathon/app-json.ts";
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import { invalidJson, isMarathonRefusal, type MarathonRefusal, objectNotValid } from "../../schemas/marathon/marathon-error.ts";
import { parseAppDefinition } from "../../schemas/marathon/parse-app.ts";
import { appAnswer } from "./app-answers.ts";
import { notYetLaunched } from "./not-yet-launched.ts";
import type { AppRecord, GroupRecord, GroupSnapshot, ServicesState } from "./service-records.ts";

/** The group holding `id` (`/` for a top-level id). */
export const parentOf = (id: string): string => (id.lastIndexOf("/") <= 0 ? "/" : id.slice(0, id.lastIndexOf("/")));

/** Whether `id` is inside `group` (not the group itself). */
export const inside = (id: string, group: string): boolean => id !== group && (group === "/" ? id !== "/" : id.startsWith(`${group}/`));

/** The groups of the tree: each group's direct apps and groups. */
export interface GroupIndex {
  apps: Map<string, AppRecord[]>;
  groups: Map<string, string[]>;
}

/** Every group of `state` (the root, the groups made, every group an app's id names) with its direct members. */
export function groupIndex(state: Pick<ServicesState, "apps" | "groups">): GroupIndex {
  const index: GroupIndex = { apps: new Map(), groups: new Map([["/", []]]) };
  const addGroup = (id: string): void => {
    if (index.groups.has(id)) return;
    index.groups.set(id, []);
    const parent = parentOf(id);
    addGroup(parent);
    index.groups.get(parent)!.push(id);
  };
  for (const g of state.groups?.keys() ?? []) addGroup(g);
  for (const r of state.apps.values()) {
    const parent = parentOf(r.app.id);
    addGroup(parent);
    index.apps.set(parent, [...(index.apps.get(parent) ?? []), r]);
  }
  return index;
}

/** The group `id` as it is now, nested, or undefined when there is none. */
export function snapshotOf(state: Pick<ServicesState, "apps" | "groups">, id: string, index = groupIndex(state)): GroupSnapshot | undefined {
  if (!index.groups.has(id)) return undefined;
  const apps = [...(index.apps.get(id) ?? [])].sort((a, b) => a.app.id.localeCompare(b.app.id));
  const groups = [...index.groups.get(id)!].sort().map((g) => snapshotOf(state, g, index)!);
  const record = state.groups?.get(id);
  const version = Math.max(record?.version ?? 0, ...apps.map((a) => a.version), ...groups.map((g) => g.version));
  return { id, apps: apps.map((a) => a.app), groups, dependencies: record?.dependencies ?? [], version };
}

/** Every app of a group, nested groups included. */
export const appsOf = (g: GroupSnapshot): MarathonApp[] => [...g.apps, ...g.groups.flatMap(appsOf)];
/** Every group of a group, itself and nested ones included. */
export const groupsOf = (g: GroupSnapshot): GroupSnapshot[] => [g, ...g.groups.flatMap(groupsOf)];

/** What a group's answer embeds (Marathon's default: apps, groups and pods, the apps without their embeds). */
export interface GroupEmbeds {
  apps: boolean;
  groups: boolean;
  pods: boolean;
  app: AppEmbeds;
}

/** The embeds `embed=` names: `group.groups`, `group.apps`, `group.pods`, `group.apps.tasks|counts|deployments|readiness|lastTaskFailure|failures|taskStats`. */
export function groupEmbedsOf(names: readonly string[]): GroupEmbeds {
  if (names.length === 0) return { apps: true, groups: true, pods: true, app: {} };
  const out: GroupEmbeds = { apps: false, groups: false, pods: false, app: {} };
  for (const name of names) {
    if (name === "group.groups") out.groups = true;
    else if (name === "group.apps") out.apps = true;
    else if (name === "group.pods") out.pods = true;
    else if (name.startsWith("group.apps.")) {
      const e = name.slice("group.apps.".length);
      if (e === "tasks" || e === "counts" || e === "deployments" || e === "lastTaskFailure" || e === "taskStats" || e === "readiness") out.app[e] = true;
      else if (e === "failures") Object.assign(out.app, { tasks: true, lastTaskFailure: true });
    }
  }
  return out;
}

/** The group `id`'s JSON (Marathon's `GroupInfo` writes: `id`, the embedded `apps`, `groups`, `pods`, `dependencies`, `version`). */
export function groupJson(state: ServicesState, id: string, embed: GroupEmbeds, nowMs: number, index = groupIndex(state)): Record<string, unknown> | undefined {
  const g = snapshotOf(state, id, index);
  if (!g) return undefined;
  const json = (s: GroupSnapshot): Record<string, unknown> => ({
    id: s.id,
    ...(embed.apps ? { apps: s.apps.map((a) => appAnswer(state, state.apps.get(a.id)!, embed.app)) } : {}),
    ...(embed.groups ? { groups: s.groups.map(json) } : {}),
    ...(embed.pods ? { pods: [] } : {}),
    dependencies: s.dependencies,
    version: marathonTime(s.version || nowMs),
  });
  return json(g);
}

/** A stored version of a group as `/v2/groups/{id}/versions/{v}` shows it (its apps as their definitions). */
export function snapshotJson(g: GroupSnapshot): Record<string, unknown> {
  return { id: g.id, apps: g.apps, groups: g.groups.map(snapshotJson), pods: [], dependencies: g.dependencies, version: marathonTime(g.version) };
}

/** Marathon's `GroupUpdate`, as read from JSON. */
export interface GroupUpdate {
  id?: string;
  apps?: unknown[];
  groups?: GroupUpdate[];
  dependencies?: string[];
  scaleBy?: number;
  version?: string;
}

/** `json` read as a GroupUpdate (play-json's error keys for fields of the wrong type, paths under `path`). */
export function readGroupUpdate(json: unknown, path = ""): GroupUpdate | MarathonRefusal {
  const problems: Array<[string, string]> = [];
  const read = (v: unknown, at: string): GroupUpdate => {
    if (!v || typeof v !== "object" || Array.isArray(v)) {
      problems.push([at || "/", "error.expected.jsobject"]);
      return {};
    }
    const o = v as Record<string, unknown>;
    const out: GroupUpdate = {};
    if (o.id !== undefined && o.id !== null) {
      if (typeof o.id !== "string") problems.push([`${at}/id`, "error.expected.jsstring"]);
      else out.id = o.id;
    }
    if (o.apps !== undefined && o.apps !== null) {
      if (!Array.isArray(o.apps)) problems.push([`${at}/apps`, "error.expected.jsarray"]);
      else out.apps = o.apps;
    }
    if (o.groups !== undefined && o.groups !== null) {
      if (!Array.isArray(o.groups)) problems.push([`${at}/groups`, "error.expected.jsarray"]);
      else out.groups = o.groups.map((g, i) => read(g, `${at}/groups(${i})`));
    }
    if (o.dependencies !== undefined && o.dependencies !== null) {
      if (!Array.isArray(o.dependencies)) problems.push([`${at}/dependencies`, "error.expected.jsarray"]);
      else {
        o.dependencies.forEach((d, i) => {
          if (typeof d !== "string") problems.push([`${at}/dependencies(${i})`, "error.expected.jsstring"]);
        });
        out.dependencies = o.dependencies.filter((d): d is string => typeof d === "string");
      }
    }
    if (o.scaleBy !== undefined && o.scaleBy !== null) {
      if (typeof o.scaleBy !== "number") problems.push([`${at}/scaleBy`, "error.expected.jsnumber"]);
      else if (o.scaleBy < 0) problems.push([`${at}/scaleBy`, "error.min"]);
      else out.scaleBy = o.scaleBy;
    }
    if (o.version !== undefined && o.version !== null) {
      if (typeof o.version !== "string") problems.push([`${at}/version`, "error.expected.jsstring"]);
      else out.version = o.version;
    }
    return out;
  };
  const update = read(json, path);
  return problems.length > 0 ? invalidJson(problems) : update;
}

/** `refusal` with each detail path put under `prefix`. */
function under(prefix: string, refusal: MarathonRefusal): Array<[string, string]> {
  const details = refusal.body.details;
  if (!Array.isArray(details)) return [[prefix || "/", refusal.body.message]];
  return details.flatMap((d) => d.errors.map((e) => [`${prefix}${d.path === "/" ? "" : d.path}`, e] as [string, string]));
}

/**
 * Group `id` after `update` (Marathon's GroupConversion): `current` is the group as it is (undefined:
 * a new group), `versions` its stored versions; the group and every group in it get `nowMs` as
 * their version. A refusal names each failing path.
 */
export function applyGroupUpdate(
  current: GroupSnapshot | undefined,
  update: GroupUpdate,
  id: string,
  versions: readonly GroupSnapshot[],
  nowMs: number,
): GroupSnapshot | MarathonRefusal {
  const only = (field: "version" | "scaleBy"): boolean =>
    update.apps === undefined &&
    update.groups === undefined &&
    update.dependencies === undefined &&
    (field === "version" ? update.scaleBy : update.version) === undefined;
  if (update.version !== undefined) {
    if (!only("version")) return objectNotValid([["/version", "not allowed in conjunction with other properties."]]);
    const at = Date.parse(update.version);
    const found = versions.find((v) => v.version === at);
    if (!found) return { status: 422, body: { message: `Group ${id} not available in version ${update.version}` } } as MarathonRefusal;
    return restamp(found, nowMs);
  }
  if (update.scaleBy !== undefined) {
    if (!only("scaleBy")) return objectNotValid([["/scaleBy", "not allowed in conjunction with other properties."]]);
    const base = current ?? { id, apps: [], groups: [], dependencies: [], version: nowMs };
    const scale = (g: GroupSnapshot): GroupSnapshot => ({
      ...g,
      apps: g.apps.map((a) => ({ ...a, instances: Math.ceil(a.instances * update.scaleBy!) })),
      groups: g.groups.map(scale),
      version: nowMs,
    });
    return scale(base);
  }
  const problems: Array<[string, string]> = [];
  const build = (cur: GroupSnapshot | undefined, u: GroupUpdate, gid: string, path: string): GroupSnapshot => {
    const apps: MarathonApp[] = [];
    for (const [i, raw] of (u.apps ?? []).entries()) {
      const parsed = parseAppDefinition(raw, gid);
      const refusal = isMarathonRefusal(parsed) ? parsed : notYetLaunched(parsed.app);
      if (refusal) problems.push(...under(`${path}/apps(${i})`, refusal));
      else if (!isMarathonRefusal(parsed) && parentOf(parsed.app.id) !== gid)
        problems.push([`${path}/apps(${i})/id`, `identifier must be a direct child of the group ${gid}`]);
      else if (!isMarathonRefusal(parsed)) apps.push(parsed.app);
    }
    const groups: GroupSnapshot[] = [];
    for (const [i, gu] of (u.groups ?? []).entries()) {
      const at = `${path}/groups(${i})`;
      const problem = gu.id === undefined ? "error.path.missing" : appIdProblem(gu.id);
      const child = canonicalAppId(gu.id ?? "", gid);
      if (problem) problems.push([`${at}/id`, problem]);
      else if (parentOf(child) !== gid || child === gid) problems.push([`${at}/id`, `identifier must be a direct child of the group ${gid}`]);
      else
        groups.push(
          build(
            cur?.groups.find((g) => g.id === child),
            gu,
            child,
            at,
          ),
        );
    }
    const clash = apps.map((a) => a.id).filter((a) => groups.some((g) => g.id === a));
    if (clash.length > 0) problems.push([`${path}/apps`, `Groups and Applications may not have the same identifier: ${clash.join(", ")}`]);
    const dependencies = u.dependencies?.map((d) => canonicalAppId(d, parentOf(gid)));
    return {
      id: gid,
      apps: u.apps !== undefined ? apps.sort((a, b) => a.id.localeCompare(b.id)) : (cur?.apps ?? []),
      groups: u.groups !== undefined ? groups.sort((a, b) => a.id.localeCompare(b.id)) : (cur?.groups ?? []),
      dependencies: dependencies ?? cur?.dependencies ?? [],
      version: nowMs,
    };
  };
  const target = build(current, update, id, "");
  if (problems.length === 0) return target;
  return problems.some(([, e]) => e.startsWith("error.")) ? invalidJson(problems) : objectNotValid(problems);
}

/** `g` and every group in it at version `nowMs`. */
const restamp = (g: GroupSnapshot, nowMs: number): GroupSnapshot => ({ ...g, groups: g.groups.map((s) => restamp(s, nowMs)), version: nowMs });

/** The group records (dependencies) of a group's tree. */
export const groupRecordsOf = (g: GroupSnapshot): GroupRecord[] =>
  groupsOf(g)
    .filter((s) => s.id !== "/" || s.dependencies.length > 0)
    .map((s) => ({ id: s.id, dependencies: s.dependencies, version: s.version }));
