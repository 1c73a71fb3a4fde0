/**
 * Which instances to kill when scaling down so that GROUP_BY constraints stay as even as they
 * can: Marathon's `Constraints.selectInstancesToKill` (mesosphere/marathon
 * src/main/scala/mesosphere/mesos/Constraints.scala). It may pick fewer than asked (the caller
 * picks the rest by its own order); with no GROUP_BY constraint it picks none.
 */
import { type Constraint, fieldReader } from "./constraints.ts";
import type { Placement } from "./placement.ts";

/** An instance and the agent it runs on. */
export interface PlacedInstance {
  id: string;
  placement: Placement;
}

/** One GROUP_BY constraint's groups: instance ids by field value (instances lacking the field form one group). */
type Distribution = string[][];

/** Largest minus smallest group size once the `without` instances are gone. */
function difference(d: Distribution, without: ReadonlySet<string>): number {
  const sizes = d.map((g) => g.filter((id) => !without.has(id)).length);
  return Math.max(...sizes) - Math.min(...sizes);
}

/** After killing `selected`: perfectly even, off by one, or more even than before. */
function moreEvenWithout(d: Distribution, selected: ReadonlySet<string>): boolean {
  const after = difference(d, selected);
  return after <= 1 || difference(d, new Set()) > after;
}

/** The instances of the largest groups (none when all groups are the same size). */
function inLargestGroups(d: Distribution, without: ReadonlySet<string>): string[] {
  const left = d.map((g) => g.filter((id) => !without.has(id)));
  const sizes = new Set(left.map((g) => g.length));
  if (sizes.size === 1) return [];
  const max = Math.max(...sizes);
  return left.filter((g) => g.length === max).flat();
}

/** Up to `count` instance ids of `running` to kill, keeping the app's GROUP_BY constraints even. */
export function groupByKills(constraints: readonly Constraint[], running: readonly PlacedInstance[], count: number): string[] {
  if (count >= running.length) return running.map((i) => i.id);
  const distributions: Distribution[] = constraints
    .filter((c) => c.operator === "GROUP_BY")
    .map((c) => {
      const read = fieldReader(c.field);
      const groups = new Map<string | undefined, string[]>();
      for (const i of running) {
        const v = read(i.placement);
        groups.set(v, [...(groups.get(v) ?? []), i.id]);
      }
      return [...groups.values()];
    });
  if (distributions.length === 0) return [];

  const chosen = new Set<string>();
  while (chosen.size < count) {
    const tried = [
      ...[...distributions].sort((a, b) => difference(b, chosen) - difference(a, chosen)).flatMap((d) => inLargestGroups(d, chosen)),
      ...running.map((i) => i.id).filter((id) => !chosen.has(id)),
    ];
    const next = tried.find((id) => distributions.every((d) => moreEvenWithout(d, new Set([...chosen, id]))));
    if (next === undefined) break;
    chosen.add(next);
  }
  return [...chosen];
}
