/**
 * The classic (pre-v1) endpoints' JSON pieces, as Mesos' master writes them (`/master/state`,
 * `/master/frameworks`, `/master/slaves`, `/master/tasks`): plain ids, times in seconds, and
 * resources in the "model" form `{ cpus, mem, disk, gpus, ports: "[31000-31005]" }` that UIs
 * and tools read. Built from `ReadSnapshot` entries.
 */

import type { Resource } from "../../../schemas/index.ts";
import { rangesOf, roundScalar } from "../../../sdk/src/resources.ts";
import { reservationRole } from "../../../sdk/src/roles.ts";
import { frameworkRole } from "../allocator/index.ts";
import { agentDrainInfo } from "../decide/agent-drain.ts";
import { sandboxVirtualPath } from "../decide/file-relay-paths.ts";
import { agentPid } from "../model/agent-address.ts";
import type { FrameworkRecord, TaskRecord } from "../store/records.ts";
import type { AgentEntry, FrameworkEntry } from "./read-snapshot.ts";
import { mapLazily } from "./state-stream.ts";

/** Models already made, by resource list (records share their lists: see interner.ts). */
const models = new WeakMap<readonly Resource[], Record<string, number | string>>();

/**
 * Resources as Mesos' JSON model: scalars by name (cpus, mem, disk, gpus always present) and
 * ranges as text. The result is shared by every caller with the same list: read-only.
 */
export function resourcesModel(rs: readonly Resource[]): Record<string, number | string> {
  let out = models.get(rs);
  if (out) return out;
  out = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  let rangeNames: Set<string> | undefined;
  for (const r of rs) {
    if (r.type === "SCALAR") out[r.name] = roundScalar(((out[r.name] as number | undefined) ?? 0) + (r.scalar?.value ?? 0));
    else if (r.type === "RANGES") (rangeNames ??= new Set()).add(r.name);
  }
  for (const name of rangeNames ?? [])
    out[name] = `[${rangesOf(rs, name)
      .map(([b, e]) => `${b}-${e}`)
      .join(", ")}]`;
  models.set(rs, out);
  return out;
}

/** The model of several lists together (summed in one pass, without normalizing them first). */
export const modelOfLists = (lists: readonly (readonly Resource[])[]) => (lists.length === 1 ? resourcesModel(lists[0]!) : resourcesModel(lists.flat()));

/** A task as the classic endpoints show it. */
export function classicTask(t: TaskRecord, framework?: FrameworkRecord) {
  const user = t.info.command?.user ?? framework?.info.user;
  return {
    id: t.taskId,
    name: t.info.name,
    framework_id: t.frameworkId,
    executor_id: "",
    slave_id: t.agentId,
    agent_id: t.agentId,
    state: t.state,
    resources: resourcesModel(t.info.resources),
    role: t.info.resources.find((r) => r.allocation_info)?.allocation_info?.role ?? (framework ? frameworkRole(framework.info) : "*"),
    statuses: t.status ? [{ state: t.status.state, timestamp: t.status.timestamp ?? t.updatedAt / 1000 }] : [],
    ...(user !== undefined ? { user } : {}),
    ...(t.info.labels ? { labels: t.info.labels.labels ?? [] } : {}),
    ...(t.info.container ? { container: t.info.container } : {}),
    // Strata: the virtual path to read the task's sandbox with (/files/browse, LIST_FILES; docs/files.md).
    sandbox_path: sandboxVirtualPath(t.agentId, t.frameworkId, t.taskId),
  };
}

/** Mesos' `reserved_resources` (role → resources reserved for it) and `unreserved_resources` of an agent. */
export function reservedAndUnreserved(rs: readonly Resource[]) {
  // most agents reserve nothing: their list itself (its model is cached by identity)
  if (!rs.some((r) => reservationRole(r) !== undefined)) return { reserved_resources: {}, unreserved_resources: resourcesModel(rs) };
  const byRole = new Map<string, Resource[]>();
  const unreserved: Resource[] = [];
  for (const r of rs) {
    const role = reservationRole(r);
    if (role === undefined) {
      unreserved.push(r);
      continue;
    }
    let list = byRole.get(role);
    if (!list) byRole.set(role, (list = []));
    list.push(r);
  }
  return {
    reserved_resources: Object.fromEntries([...byRole].map(([role, list]) => [role, resourcesModel(list)])),
    unreserved_resources: resourcesModel(unreserved),
  };
}

/** An agent ("slave") as the classic endpoints show it. */
export function classicSlave(e: AgentEntry) {
  const a = e.record;
  return {
    id: a.id,
    pid: agentPid(a),
    hostname: a.hostname,
    port: a.port,
    registered_time: a.registeredAt / 1000,
    active: e.active,
    ...agentDrainInfo(a),
    version: a.version ?? "",
    resources: resourcesModel(a.resources),
    used_resources: modelOfLists(e.taskResources),
    offered_resources: modelOfLists(e.offerResources),
    ...reservedAndUnreserved(a.resources),
    attributes: Object.fromEntries(
      a.attributes.map((x) => [
        x.name,
        x.text?.value ?? x.scalar?.value ?? (x.ranges ? resourcesModel([{ name: x.name, type: "RANGES", ranges: x.ranges }])[x.name] : (x.set?.item ?? null)),
      ]),
    ),
    capabilities: [],
  };
}

/** A framework's fields as the classic endpoints show them, without its task and offer lists. */
export function classicFrameworkHead(e: FrameworkEntry) {
  const f = e.record;
  const allocated = modelOfLists(e.tasks.map((t) => t.info.resources));
  return {
    id: f.id,
    name: f.info.name,
    pid: "",
    used_resources: allocated,
    offered_resources: modelOfLists(e.offers.map((o) => o.resources)),
    capabilities: (f.info.capabilities ?? []).map((c) => c.type),
    hostname: f.info.hostname ?? "",
    webui_url: f.info.webui_url ?? "",
    active: e.connected && !f.removed,
    connected: e.connected,
    recovered: false,
    user: f.info.user,
    ...(f.principal !== undefined ? { principal: f.principal } : {}),
    role: frameworkRole(f.info),
    roles: f.info.roles ?? [frameworkRole(f.info)],
    failover_timeout: f.info.failover_timeout ?? 0,
    checkpoint: f.info.checkpoint ?? false,
    registered_time: f.registeredAt / 1000,
    unregistered_time: 0,
    resources: allocated,
  };
}

/** A framework's lists (tasks, offers, …) as lazily made items, for `jsonParts`. */
export function classicFrameworkLists(e: FrameworkEntry): Record<string, Iterable<unknown>> {
  const f = e.record;
  const tasks = (ts: readonly TaskRecord[]) => mapLazily(ts, (t) => classicTask(t, f));
  return {
    tasks: tasks(e.tasks),
    unreachable_tasks: tasks(e.unreachable),
    completed_tasks: tasks(e.completed),
    offers: e.offers.map((o) => ({ id: o.id.value, framework_id: o.framework_id.value, slave_id: o.agent_id.value, resources: resourcesModel(o.resources) })),
    executors: [],
    completed_executors: [],
  };
}
