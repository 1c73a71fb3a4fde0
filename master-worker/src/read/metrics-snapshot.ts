/**
 * `/metrics/snapshot`, GET_METRICS and `/metrics` (Prometheus): the master's figures under
 * Mesos' metric names (docs/monitoring.md), computed in one pass over the tasks, plus Strata's
 * own request counters. Counters that only the Durable Object sees (requests served, operator
 * streams open) are kept per master in `serviceCounters`.
 */
import type { Resource, TaskState } from "../../../schemas/index.ts";
import { TaskState as TaskStates } from "../../../schemas/index.ts";
import { scalarTotals } from "../../../sdk/src/resources.ts";
import type { MasterCore } from "../core/master-core.ts";
import { taskListOf } from "./read-snapshot.ts";

/** What the service around the core counts: requests by route and scheduler call, operator streams. */
export interface ServiceCounters {
  requests: Map<string, number>;
  schedulerCalls: Map<string, number>;
  operatorSubscribers: number;
}

const counters = new WeakMap<object, ServiceCounters>();

/** The counters kept for `core` (made on first use). */
export function serviceCounters(core: object): ServiceCounters {
  let c = counters.get(core);
  if (!c) counters.set(core, (c = { requests: new Map(), schedulerCalls: new Map(), operatorSubscribers: 0 }));
  return c;
}

/** Mesos' `master/messages_*` names for the scheduler calls that have one. */
const MESSAGE_NAMES: Record<string, string> = {
  SUBSCRIBE: "register_framework",
  ACCEPT: "accept",
  DECLINE: "decline_offers",
  KILL: "kill_task",
  ACKNOWLEDGE: "status_update_acknowledgement",
  RECONCILE: "reconcile_tasks",
  REVIVE: "revive_offers",
  SUPPRESS: "suppress_offers",
  TEARDOWN: "unregister_framework",
};

/**
 * Requests served since the master instance started: a total, one counter per API, and one per
 * scheduler call type (`master/scheduler_calls_acknowledge`…, and Mesos' `master/messages_*`).
 */
export function requestMetrics(byRoute: ReadonlyMap<string, number>, schedulerCalls: ReadonlyMap<string, number> = new Map()): Record<string, number> {
  const out: Record<string, number> = { "master/http_requests": [...byRoute.values()].reduce((a, b) => a + b, 0) };
  for (const [route, n] of byRoute) out[`master/http_requests${route.replace(/\//g, "_")}`] = n;
  for (const [type, n] of schedulerCalls) {
    out[`master/scheduler_calls_${type.toLowerCase()}`] = n;
    const mesos = MESSAGE_NAMES[type];
    if (mesos) out[`master/messages_${mesos}`] = (out[`master/messages_${mesos}`] ?? 0) + n;
  }
  if (byRoute.has("/register")) out["master/messages_register_slave"] = byRoute.get("/register")!;
  if (byRoute.has("/status")) out["master/messages_status_update"] = byRoute.get("/status")!;
  return out;
}

const RESOURCE_NAMES = ["cpus", "mem", "disk", "gpus"] as const;

/** Everything `/metrics/snapshot` shows, by Mesos name. */
export function metricsSnapshot(core: MasterCore, now: number): Record<string, number> {
  const byState = new Map<TaskState, number>();
  const used: Resource[][] = [];
  for (const t of core.tasks.values()) {
    byState.set(t.state, (byState.get(t.state) ?? 0) + 1);
    if (taskListOf(t) === "tasks" && core.agentConnected(t.agentId)) used.push(t.info.resources);
  }
  let agentsConnected = 0;
  const total = new Map<string, number>();
  for (const a of core.agents.values()) {
    if (!core.agentConnected(a.id)) continue;
    agentsConnected++;
    for (const [k, v] of scalarTotals(a.resources)) total.set(k, (total.get(k) ?? 0) + v);
  }
  const usedTotals = new Map<string, number>();
  const offeredTotals = new Map<string, number>();
  const addTo = (into: Map<string, number>, rs: readonly Resource[]) => {
    for (const [k, v] of scalarTotals(rs)) into.set(k, (into.get(k) ?? 0) + v);
  };
  for (const rs of used) addTo(usedTotals, rs);
  for (const o of core.offers.values()) addTo(offeredTotals, o.offer.resources);
  let frameworksActive = 0,
    frameworksRegistered = 0;
  for (const f of core.frameworks.values()) {
    if (f.removed) continue;
    frameworksRegistered++;
    if (core.frameworkConnected(f.id)) frameworksActive++;
  }
  let unacked = 0;
  for (const u of core.updates.values()) if (!u.acked) unacked++;
  let queued = 0;
  for (const q of core.commands.values()) queued += q.length;
  const out: Record<string, number> = {
    "master/elected": 1,
    "master/uptime_secs": Math.max(0, (now - core.startedAt) / 1000),
    "master/slaves_active": agentsConnected,
    "master/slaves_inactive": core.agents.size - agentsConnected,
    "master/slaves_connected": agentsConnected,
    "master/slaves_disconnected": core.agents.size - agentsConnected,
    "master/frameworks_active": frameworksActive,
    "master/frameworks_inactive": frameworksRegistered - frameworksActive,
    "master/frameworks_connected": frameworksActive,
    "master/frameworks_disconnected": frameworksRegistered - frameworksActive,
    "master/outstanding_offers": core.offers.size,
    "master/unacknowledged_updates": unacked,
    "master/queued_agent_commands": queued,
    "master/operator_event_stream_subscribers": serviceCounters(core).operatorSubscribers,
    "allocator/mesos/allocation_runs": core.allocationTimer.total,
    ...core.allocationTimer.metrics("allocator/mesos/allocation_run_ms"),
  };
  for (const s of TaskStates.options) out[`master/tasks_${s.slice("TASK_".length).toLowerCase()}`] = byState.get(s) ?? 0;
  for (const name of RESOURCE_NAMES) {
    const t = total.get(name) ?? 0,
      u = usedTotals.get(name) ?? 0,
      o = offeredTotals.get(name) ?? 0;
    out[`master/${name}_total`] = t;
    out[`master/${name}_used`] = u;
    out[`master/${name}_percent`] = t > 0 ? u / t : 0;
    out[`allocator/mesos/resources/${name}/total`] = t;
    out[`allocator/mesos/resources/${name}/offered_or_allocated`] = u + o;
  }
  const c = serviceCounters(core);
  return { ...out, ...requestMetrics(c.requests, c.schedulerCalls) };
}
