/**
 * Scaling an app to a number of instances: how many to start and which to kill, in Marathon's
 * order. Source: mesosphere/marathon
 * src/main/scala/mesosphere/marathon/core/deployment/ScalingProposition.scala (`propose`,
 * `sortByConditionAndDate`) and state/KillSelection.scala.
 *
 * Instances asked to be killed go first; then those whose loss keeps the app's GROUP_BY
 * constraints even (`groupByKills`); then the rest ordered by condition (unreachable, staging,
 * starting, running, anything else) and, within one condition, by `killSelection` on the time
 * that condition started (staged, starting, active since): YOUNGEST_FIRST (Marathon's default)
 * kills the most recent first, OLDEST_FIRST the earliest. An instance without that time goes
 * before one with it. Instances whose goal is no longer running, and unreachable ones already
 * given up on (UnreachableInactive, being replaced), are not counted.
 */

import type { Constraint } from "../shared/constraints.ts";
import { groupByKills } from "../shared/group-by-kills.ts";
import type { Placement } from "../shared/placement.ts";

/** Marathon's `killSelection`. */
export type KillSelection = "YOUNGEST_FIRST" | "OLDEST_FIRST";

/** An instance's condition, in Marathon's names (those the order knows; any other sorts last). */
export type InstanceCondition = "Unreachable" | "UnreachableInactive" | "Staging" | "Starting" | "Running" | (string & {});

/** One instance of the app, as scaling sees it. */
export interface ScalingInstance {
  id: string;
  condition: InstanceCondition;
  /** Its goal is still Running (not being stopped or decommissioned). */
  goalRunning: boolean;
  /** When its condition started (ms): staged at, starting since, active since. */
  sinceMs?: number;
  /** The agent it runs on: what GROUP_BY constraints weigh (instances without one are not weighed). */
  placement?: Placement;
}

/** The outcome: which instances to kill, in order, and how many to start. */
export interface ScalingProposition {
  toKill: string[];
  toStart: number;
}

const WEIGHT: Record<string, number> = { Unreachable: 1, Staging: 2, Starting: 3, Running: 4 };
const weight = (c: InstanceCondition) => WEIGHT[c] ?? 5;

/** Negative when `a` should be killed before `b` (Marathon's `sortByConditionAndDate`). */
export function killOrder(select: KillSelection): (a: ScalingInstance, b: ScalingInstance) => number {
  return (a, b) => {
    const w = weight(a.condition) - weight(b.condition);
    if (w !== 0) return w;
    if (a.sinceMs === undefined || b.sinceMs === undefined) return (a.sinceMs === undefined ? -1 : 0) - (b.sinceMs === undefined ? -1 : 0);
    return select === "YOUNGEST_FIRST" ? b.sinceMs - a.sinceMs : a.sinceMs - b.sinceMs;
  };
}

/**
 * Scales to `scaleTo` instances: at least the instances in `toKill` (ids) go, and as many more as
 * the app has over `scaleTo`; the instances killed are replaced where `scaleTo` needs them.
 * `constraints` are the app's (only GROUP_BY ones weigh here).
 */
export function proposeScaling(
  instances: readonly ScalingInstance[],
  toKill: readonly string[],
  scaleTo: number,
  killSelection: KillSelection,
  constraints: readonly Constraint[] = [],
): ScalingProposition {
  const counted = instances.filter((i) => i.goalRunning && i.condition !== "UnreachableInactive");
  const sentencedIds = new Set(toKill);
  const sentenced = counted.filter((i) => sentencedIds.has(i.id));
  const notSentenced = counted.filter((i) => !sentencedIds.has(i.id));
  const killCount = Math.max(counted.length - scaleTo, sentenced.length);
  const placed = notSentenced.flatMap((i) => (i.placement ? [{ id: i.id, placement: i.placement }] : []));
  const forConstraints = new Set(killCount > sentenced.length ? groupByKills(constraints, placed, killCount - sentenced.length) : []);
  const byConstraints = notSentenced.filter((i) => forConstraints.has(i.id));
  const rest = notSentenced.filter((i) => !forConstraints.has(i.id)).sort(killOrder(killSelection));
  return { toKill: [...sentenced, ...byConstraints, ...rest].slice(0, killCount).map((i) => i.id), toStart: scaleTo - counted.length + killCount };
}
