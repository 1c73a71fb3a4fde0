/**
 * Operator API read calls (master.proto): GET_HEALTH, GET_VERSION, GET_FLAGS, GET_METRICS,
 * GET_MASTER, GET_STATE and its parts (GET_AGENTS, GET_FRAMEWORKS, GET_TASKS) and GET_ROLES.
 * Each answers `{ type, <get_x>: … }` with Mesos' JSON shapes, filtered by the caller's view
 * ACLs (read-filter.ts); GET_FLAGS is refused without `view_flags`.
 */
import type { MasterCore } from "../core/master-core.ts";
import { flagsJson } from "../read/flags.ts";
import { metricsSnapshot } from "../read/metrics-snapshot.ts";
import { checkViewFlags, readFilter } from "../read/read-filter.ts";
import { takeSnapshot } from "../read/read-snapshot.ts";
import { rolesJson } from "../read/roles.ts";
import { getAgents, getFrameworks, getMaster, getState, getTasks } from "../read/v1-json.ts";
import { versionInfo } from "../read/version-info.ts";
import type { OperatorContext, OperatorHandlers } from "./types.ts";

/** The picture of the cluster the caller may view. */
const snapshotFor = (core: MasterCore, ctx: OperatorContext) => takeSnapshot(core, readFilter(core.authorizer, ctx.principal));

/** The read calls; see the file comment. */
export const readCalls: OperatorHandlers = {
  GET_HEALTH: () => ({ type: "GET_HEALTH", get_health: { healthy: true } }),
  GET_VERSION: () => ({ type: "GET_VERSION", get_version: { version_info: versionInfo() } }),
  GET_FLAGS: (core, _call, ctx) => checkViewFlags(core.authorizer, ctx.principal) ?? { type: "GET_FLAGS", get_flags: { flags: flagsJson(core.config) } },
  // Every figure is current when read, so a `timeout` has nothing to wait for.
  GET_METRICS: (core, _call, ctx) => ({
    type: "GET_METRICS",
    get_metrics: { metrics: Object.entries(metricsSnapshot(core, ctx.now)).map(([name, value]) => ({ name, value })) },
  }),
  GET_MASTER: (core) => ({ type: "GET_MASTER", get_master: getMaster(core.masterInfo, core.startedAt) }),
  GET_FRAMEWORKS: (core, _call, ctx) => ({ type: "GET_FRAMEWORKS", get_frameworks: getFrameworks(snapshotFor(core, ctx)) }),
  GET_AGENTS: (core, _call, ctx) => ({ type: "GET_AGENTS", get_agents: getAgents(snapshotFor(core, ctx)) }),
  GET_TASKS: (core, _call, ctx) => ({ type: "GET_TASKS", get_tasks: getTasks(snapshotFor(core, ctx)) }),
  GET_STATE: (core, _call, ctx) => ({ type: "GET_STATE", get_state: getState(snapshotFor(core, ctx)) }),
  GET_ROLES: (core, _call, ctx) => {
    const filter = readFilter(core.authorizer, ctx.principal);
    return { type: "GET_ROLES", get_roles: { roles: rolesJson(takeSnapshot(core, filter), core.settings, filter) } };
  },
};
