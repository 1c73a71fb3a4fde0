/**
 * The order a group deployment touches its apps: an app after everything it depends on, apps
 * that do not depend on each other in the same step. Source: mesosphere/marathon
 * src/main/scala/mesosphere/marathon/core/deployment/DeploymentPlan.scala
 * (`runSpecsGroupedByLongestPath`, `dependencyOrderedSteps`): each app's step is the length of
 * the longest dependency chain starting at it (1: depends on nothing). A dependency names an app
 * or a group (every app in it, nested groups included); a group's dependencies hold for every app
 * in it. Marathon refuses a dependency graph with a cycle ("Dependency graph has cyclic
 * dependencies"); here the refusal names the cycle.
 */

/** An app or a group, by absolute id (`/prod/web`), and the ids it depends on. */
export interface DependencyNode {
  id: string;
  dependencies: readonly string[];
}

/** The steps, each a list of app ids (sorted), or why there are none. */
export type DeploymentOrder =
  | { ok: true; steps: string[][] }
  | { ok: false; problem: "cycle"; cycle: string[]; message: string }
  | { ok: false; problem: "unknown-dependency"; from: string; dependency: string; message: string };

/** True when `id` is `group` or inside it (`/a/b` is in `/a`; the root `/` holds everything). */
function within(id: string, group: string): boolean {
  const g = group.endsWith("/") ? group : `${group}/`;
  return id === group || id.startsWith(g);
}

/** Orders `apps` into deployment steps; `groups` carry group-level dependencies. */
export function deploymentSteps(apps: readonly DependencyNode[], groups: readonly DependencyNode[] = []): DeploymentOrder {
  const appIds = apps.map((a) => a.id);
  const groupIds = new Set(groups.map((g) => g.id));
  // What one dependency stands for: that app, or every app in that group.
  const resolve = (from: string, dependency: string): string[] | DeploymentOrder => {
    if (appIds.includes(dependency)) return [dependency];
    const inside = appIds.filter((id) => within(id, dependency));
    if (inside.length > 0 || groupIds.has(dependency)) return inside;
    return { ok: false, problem: "unknown-dependency", from, dependency, message: `${from} depends on ${dependency}, which is neither an app nor a group` };
  };
  const edges = new Map<string, Set<string>>(appIds.map((id) => [id, new Set<string>()]));
  for (const app of apps) {
    const declared = [...app.dependencies.map((d) => [app.id, d] as const)];
    for (const g of groups) if (within(app.id, g.id)) declared.push(...g.dependencies.map((d) => [g.id, d] as const));
    for (const [from, d] of declared) {
      const targets = resolve(from, d);
      if (!Array.isArray(targets)) return targets;
      for (const t of targets) if (t !== app.id || from === app.id) edges.get(app.id)!.add(t);
    }
  }

  const cycle = findCycle(appIds, edges);
  if (cycle) return { ok: false, problem: "cycle", cycle, message: `Dependency graph has cyclic dependencies: ${cycle.join(" -> ")}` };

  const depth = new Map<string, number>();
  const longest = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const d = 1 + Math.max(0, ...[...edges.get(id)!].map(longest));
    depth.set(id, d);
    return d;
  };
  const steps: string[][] = [];
  for (const id of appIds) (steps[longest(id) - 1] ??= []).push(id);
  return { ok: true, steps: steps.filter(Boolean).map((s) => s.sort()) };
}

/** A cycle of `edges` as the path that closes it (`[a, b, a]`), or undefined when there is none. */
function findCycle(ids: readonly string[], edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "open") return [...path.slice(path.indexOf(id)), id];
    state.set(id, "open");
    path.push(id);
    for (const next of [...(edges.get(id) ?? [])].sort()) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const id of [...ids].sort()) {
    const found = visit(id);
    if (found) return found;
  }
  return undefined;
}
