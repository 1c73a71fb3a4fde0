/**
 * Marathon's placement constraints, decided for one offer against the instances already placed.
 * Source: mesosphere/marathon src/main/scala/mesosphere/mesos/Constraints.scala (`ConstraintsChecker`)
 * and docs/docs/constraints.md.
 *
 * Fields: `@hostname` (or `hostname`), `@region`, `@zone` (the agent's fault domain), anything
 * else an agent attribute, compared as the string `attributeValueString` gives. An agent that
 * lacks the field (no such attribute, no domain) fails every operator except UNLIKE, which it
 * always passes.
 */
import { attributeValueString } from "./attribute-value.ts";
import type { Placement } from "./placement.ts";

/** Marathon's constraint operators. */
export const CONSTRAINT_OPERATORS = ["UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"] as const;

/** One of Marathon's constraint operators. */
export type ConstraintOperator = (typeof CONSTRAINT_OPERATORS)[number];

/** One constraint: Marathon's `[field, operator, value?]`. */
export interface Constraint {
  field: string;
  operator: ConstraintOperator;
  /** The parameter: a regex (LIKE, UNLIKE), a count (MAX_PER, GROUP_BY), a value (CLUSTER, IS). */
  value?: string;
}

/** The reader of a constraint's field: the value an agent has for it, undefined when it lacks it. */
export function fieldReader(field: string): (p: Placement) => string | undefined {
  switch (field) {
    case "hostname":
    case "@hostname":
      return (p) => p.hostname;
    case "@region":
      return (p) => p.region;
    case "@zone":
      return (p) => p.zone;
    default:
      return (p) => {
        const a = p.attributes.find((x) => x.name === field);
        return a ? attributeValueString(a) : undefined;
      };
  }
}

/** Java's `String.matches`: the whole value matches `pattern`. A pattern JS cannot compile matches nothing. */
function fullMatch(value: string, pattern: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}

/** GROUP_BY's minimum number of groups: an integer, `inf` for no limit, 0 for anything else (Marathon's `getIntValue`). */
function groupByMinimum(value: string | undefined): number {
  if (value === "inf") return Number.MAX_SAFE_INTEGER;
  const n = value !== undefined && /^[+-]?\d+$/.test(value.trim()) ? Number(value) : 0;
  return Math.max(0, n);
}

/** How many placed instances have each value of the field (instances lacking it form one group, keyed undefined). */
function groupCounts(placed: readonly Placement[], read: (p: Placement) => string | undefined): Map<string | undefined, number> {
  const counts = new Map<string | undefined, number>();
  for (const p of placed) {
    const v = read(p);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

/**
 * True when placing one more instance on `offer` keeps `constraint`, given the instances already
 * `placed` (those of the app's current configuration: Marathon leaves out instances of older
 * versions, so a new instance may land beside an old one that is about to be replaced).
 */
export function meetsConstraint(constraint: Constraint, offer: Placement, placed: readonly Placement[]): boolean {
  const read = fieldReader(constraint.field);
  const offerValue = read(offer);
  const value = constraint.value ?? "";
  if (offerValue === undefined) return constraint.operator === "UNLIKE";
  switch (constraint.operator) {
    case "LIKE":
      return value !== "" && fullMatch(offerValue, value);
    case "UNLIKE":
      return value !== "" && !fullMatch(offerValue, value);
    case "UNIQUE":
      return placed.every((p) => read(p) !== offerValue);
    case "CLUSTER":
      // With a value: that value. Without: the value the instances already placed share (any, for the first).
      return value !== "" ? offerValue === value : placed.every((p) => read(p) === offerValue);
    case "IS":
      return offerValue === value;
    case "MAX_PER": {
      const max = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isFinite(max)) return false;
      return (groupCounts(placed, read).get(offerValue) ?? 0) < max;
    }
    case "GROUP_BY": {
      const counts = groupCounts(placed, read);
      const mine = counts.get(offerValue);
      if (mine === undefined) return true; // a value not used yet
      const smallest = Math.min(...counts.values());
      return counts.size >= groupByMinimum(constraint.value) && mine === smallest;
    }
  }
}

/** The constraints `offer` does not meet, in the order given (empty when it meets all). */
export function unmetConstraints(constraints: readonly Constraint[], offer: Placement, placed: readonly Placement[]): Constraint[] {
  return constraints.filter((c) => !meetsConstraint(c, offer, placed));
}
