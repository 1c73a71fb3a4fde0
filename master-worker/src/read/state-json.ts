/**
 * The classic read endpoints' documents (Mesos' `/master/state`, `/master/state-summary`,
 * `/master/frameworks`, `/master/slaves`, `/master/tasks`, `/master/roles`), built from a
 * `ReadSnapshot` already filtered for the caller, as parts for `partsStream` (state-stream.ts).
 */
import type { MasterInfo } from "../../../schemas/index.ts";
import { type Rejection, reject } from "../model/rejection.ts";
import type { FrameworkRecord, TaskRecord } from "../store/records.ts";
import { classicFrameworkHead, classicFrameworkLists, classicSlave, classicTask } from "./classic-json.ts";
import type { ReadFilter } from "./read-filter.ts";
import { type ReadSnapshot, taskListOf } from "./read-snapshot.ts";
import { rolesJson } from "./roles.ts";
import { jsonParts, mapLazily } from "./state-stream.ts";
import { versionInfo } from "./version-info.ts";

/** What the documents say about the master itself. */
export interface MasterMeta {
  masterInfo: MasterInfo;
  startedAt: number;
  cluster: string;
  /** The flags, when the caller may view them (`view_flags`). */
  flags?: Record<string, string>;
}

function masterHead(s: ReadSnapshot, m: MasterMeta) {
  const active = s.agents.filter((a) => a.active).length;
  const hostport = `${m.masterInfo.hostname ?? ""}:${m.masterInfo.port}`;
  return {
    ...versionInfo(),
    id: m.masterInfo.id,
    pid: m.masterInfo.pid ?? `master@${hostport}`,
    hostname: m.masterInfo.hostname ?? "",
    start_time: m.startedAt / 1000,
    elected_time: m.startedAt / 1000,
    cluster: m.cluster,
    leader: m.masterInfo.pid ?? `master@${hostport}`,
    leader_info: m.masterInfo,
    activated_slaves: active,
    deactivated_slaves: s.agents.length - active,
    unreachable_slaves: s.unreachableAgents,
    ...(m.flags ? { flags: m.flags } : {}),
  };
}

const frameworkParts = (fs: ReadSnapshot["frameworks"]) => mapLazily(fs, (f) => jsonParts(classicFrameworkHead(f), classicFrameworkLists(f)));

/** `/master/state`: the master, its agents, frameworks (with tasks and offers), orphan tasks. */
export function stateParts(s: ReadSnapshot, m: MasterMeta): Generator<string> {
  return jsonParts(masterHead(s, m), {
    slaves: mapLazily(s.agents, classicSlave),
    frameworks: frameworkParts(s.frameworks),
    completed_frameworks: frameworkParts(s.completedFrameworks),
    orphan_tasks: mapLazily(
      s.orphans.filter((t) => taskListOf(t) === "tasks"),
      (t) => classicTask(t),
    ),
    unregistered_frameworks: [],
  });
}

/** `/master/state-summary`: agents and frameworks with task counts instead of tasks. */
export function stateSummaryParts(s: ReadSnapshot, m: MasterMeta): Generator<string> {
  return jsonParts(
    { hostname: m.masterInfo.hostname ?? "", cluster: m.cluster },
    {
      slaves: mapLazily(s.agents, classicSlave),
      frameworks: mapLazily(s.frameworks, (f) => ({
        ...classicFrameworkHead(f),
        ...Object.fromEntries(
          [
            "TASK_STAGING",
            "TASK_STARTING",
            "TASK_RUNNING",
            "TASK_KILLING",
            "TASK_FINISHED",
            "TASK_KILLED",
            "TASK_FAILED",
            "TASK_LOST",
            "TASK_ERROR",
            "TASK_UNREACHABLE",
          ].map((st) => [st, [...f.tasks, ...f.completed, ...f.unreachable].filter((t) => t.state === st).length]),
        ),
        slave_ids: [...new Set(f.tasks.map((t) => t.agentId))],
      })),
    },
  );
}

/** `/master/frameworks` (`framework_id` narrows it to one). */
export function frameworksParts(s: ReadSnapshot, frameworkId?: string): Generator<string> {
  const pick = (fs: ReadSnapshot["frameworks"]) => (frameworkId === undefined ? fs : fs.filter((f) => f.record.id === frameworkId));
  return jsonParts(
    {},
    { frameworks: frameworkParts(pick(s.frameworks)), completed_frameworks: frameworkParts(pick(s.completedFrameworks)), unregistered_frameworks: [] },
  );
}

/** `/master/slaves` (`slave_id` narrows it to one). */
export function slavesParts(s: ReadSnapshot, agentId?: string): Generator<string> {
  return jsonParts(
    {},
    { slaves: mapLazily(agentId === undefined ? s.agents : s.agents.filter((a) => a.record.id === agentId), classicSlave), recovered_slaves: [] },
  );
}

/** The query of `/master/tasks`, as Mesos takes it. */
export interface TasksQuery {
  limit: number;
  offset: number;
  order: "asc" | "des";
  frameworkId?: string;
  taskId?: string;
}

/** Reads `/master/tasks`' query (`limit` default 100, `offset` 0, `order` des); a bad value is refused naming the parameter. */
export function parseTasksQuery(params: URLSearchParams): TasksQuery | Rejection {
  const int = (name: string, def: number): number | Rejection => {
    const raw = params.get(name);
    if (raw === null || raw === "") return def;
    const n = Number(raw);
    return Number.isInteger(n) && n >= 0 ? n : reject("invalid", name, `expected a non-negative integer, got '${raw}'`);
  };
  const order = params.get("order") ?? "des";
  if (order !== "asc" && order !== "des") return reject("invalid", "order", `expected 'asc' or 'des', got '${order}'`);
  const limit = int("limit", 100);
  if (typeof limit !== "number") return limit;
  const offset = int("offset", 0);
  if (typeof offset !== "number") return offset;
  return {
    limit,
    offset,
    order,
    ...(params.get("framework_id") ? { frameworkId: params.get("framework_id")! } : {}),
    ...(params.get("task_id") ? { taskId: params.get("task_id")! } : {}),
  };
}

/**
 * `/master/tasks`: the visible tasks of every list, ordered by when they last changed (`des`:
 * newest first, as Mesos' default; ties by task id), then `offset` and `limit` applied.
 */
export function tasksParts(s: ReadSnapshot, q: TasksQuery): Generator<string> {
  const frameworks = new Map<string, FrameworkRecord>();
  for (const f of [...s.frameworks, ...s.completedFrameworks]) frameworks.set(f.record.id, f.record);
  let all: TaskRecord[] = [...s.tasks.tasks, ...s.tasks.unreachable_tasks, ...s.tasks.completed_tasks];
  if (q.frameworkId !== undefined) all = all.filter((t) => t.frameworkId === q.frameworkId);
  if (q.taskId !== undefined) all = all.filter((t) => t.taskId === q.taskId);
  const sign = q.order === "asc" ? 1 : -1;
  all.sort((a, b) => sign * (a.updatedAt - b.updatedAt || (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0)));
  return jsonParts({}, { tasks: mapLazily(all.slice(q.offset, q.offset + q.limit), (t) => classicTask(t, frameworks.get(t.frameworkId))) });
}

/** `/master/roles`: Mesos' `{ roles: [{ name, weight, frameworks, resources, … }] }`. */
export function rolesParts(s: ReadSnapshot, settings: ReadonlyMap<string, unknown>, filter: ReadFilter): Generator<string> {
  const roles = rolesJson(s, settings, filter).map((r) => ({ ...r, frameworks: r.frameworks.map((f) => f.value) }));
  return jsonParts({ roles });
}
