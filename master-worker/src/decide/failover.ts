/**
 * Framework failover (`FrameworkInfo.failover_timeout`, Mesos' high-availability guide): when a
 * framework's event stream breaks, its tasks keep running and it has `failover_timeout` seconds
 * (default 0, as Mesos) to subscribe again; after that it is removed as by TEARDOWN (tasks
 * TASK_KILLED with REASON_FRAMEWORK_REMOVED) and may not come back with its id.
 *
 * The moment of disconnection and the deadline are persisted on the framework's record, so a
 * master restart keeps the deadline. A restart itself breaks every stream without anyone
 * noticing: a framework that never subscribes to the new instance is counted as disconnected
 * when the instance started, and gets at least `agentUnreachableTimeoutMs` (the time agents
 * get to come back) to reconnect, so that a master restart alone never removes a framework with
 * a short failover_timeout. That start-derived deadline is persisted at the first tick, so
 * repeated restarts do not push it back.
 */
import type { FrameworkInfo } from "../../../schemas/index.ts";
import type { FrameworkRecord } from "../store/records.ts";
import type { Effect } from "./effects.ts";
import type { MasterView } from "./view.ts";

/** The framework's failover timeout in milliseconds (absent: 0, as Mesos). */
export const failoverTimeoutMs = (info: FrameworkInfo): number => (info.failover_timeout ?? 0) * 1000;

/** The framework's stream broke at `now`: persist when, and until when it may come back. */
export function decideDisconnected(view: MasterView, frameworkId: string, now: number): Effect[] {
  const f = view.frameworks.get(frameworkId);
  if (!f || f.removed) return [];
  return [{ kind: "framework", framework: { ...f, disconnectedAt: now, failoverDeadline: now + failoverTimeoutMs(f.info) } }];
}

/** Frameworks that may expire: kept, not subscribed now. */
function waiting(view: MasterView): FrameworkRecord[] {
  return [...view.frameworks.values()].filter((f) => !f.removed && !view.frameworkConnected(f.id));
}

/** When `f` (not subscribed) is removed, for a master instance started at `startedAt`. */
export function failoverDeadlineOf(view: MasterView, f: FrameworkRecord, startedAt: number): number {
  return f.failoverDeadline ?? startedAt + Math.max(failoverTimeoutMs(f.info), view.config.agentUnreachableTimeoutMs);
}

/** Persists the start-derived deadline of frameworks that have none yet (see the file comment). */
export function decideRestartDeadlines(view: MasterView, startedAt: number): Effect[] {
  return waiting(view)
    .filter((f) => f.failoverDeadline === undefined)
    .map((f) => ({
      kind: "framework",
      framework: { ...f, disconnectedAt: f.disconnectedAt ?? startedAt, failoverDeadline: failoverDeadlineOf(view, f, startedAt) },
    }));
}

/** Frameworks whose failover deadline has passed at `now`. */
export function expiredFrameworks(view: MasterView, startedAt: number, now: number): string[] {
  return waiting(view)
    .filter((f) => failoverDeadlineOf(view, f, startedAt) <= now)
    .map((f) => f.id);
}

/** The earliest failover deadline, if any framework is waiting. */
export function nextFailoverDeadline(view: MasterView, startedAt: number): number | undefined {
  let next: number | undefined;
  for (const f of waiting(view)) {
    const at = failoverDeadlineOf(view, f, startedAt);
    if (next === undefined || at < next) next = at;
  }
  return next;
}
