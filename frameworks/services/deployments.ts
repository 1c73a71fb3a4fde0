/**
 * The services framework's tracked deployments, decided purely. Every change of apps through the
 * API (a creation, a scale change, a new configuration, a `/restart`, a delete, a group change)
 * is a deployment: Marathon's DeploymentPlan (mesosphere/marathon
 * src/main/scala/mesosphere/marathon/core/deployment/DeploymentPlan.scala, `apply` and
 * `dependencyOrderedSteps`):
 * - step 1 stops the apps the change removes (StopApplication);
 * - step 2 starts the apps it adds, with no instances yet (StartApplication);
 * - then, in dependency order (deployment-order.ts: an app after everything it depends on), one
 *   step per dependency depth: a new app, a scale-only change or a change to 0 instances is a
 *   ScaleApplication, any other change of configuration (or a restart) a RestartApplication;
 * - steps without actions are left out.
 * A step begins only when every action of the step before is done (DeploymentActor takes its
 * steps one after another): StartApplication at once; ScaleApplication once the app runs its
 * `instances`, every one healthy (running, for an app without health checks), and none is being
 * stopped (a scale-down stops its surplus when the change is made, deployment-api.ts); RestartApplication when the rolling restart is over (rolling-restart.ts, Marathon's
 * TaskReplaceActor); StopApplication when none of the app's instances is left. Until its step
 * begins an app launches nothing (its definition is already the new one, as Marathon's group
 * repository holds the target at once). The records are rows of the object's SQLite
 * (`deployments`), so a restarted object carries on. An instance is new when it was launched with
 * the app's current configuration (its version at or after `lastConfigChangeAt`).
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import { type DependencyNode, deploymentSteps as dependencySteps } from "./deployment-order.ts";
import { instanceReady } from "./readiness-gate.ts";
import { keepOneRunning, planRestartStep, type RestartInstance, type RestartStrategy, restartStrategy } from "./rolling-restart.ts";
import {
  type AppRecord,
  type DeploymentAction,
  type DeploymentRecord,
  type InstanceRecord,
  instancesOf,
  isResidentApp,
  newRecord,
  type ServicesState,
} from "./service-records.ts";
import { mesosHealthCheck } from "./task-health.ts";

/** Whether `app` has a check the agent runs. */
const hasMesosCheck = (app: MarathonApp): boolean => mesosHealthCheck(app.healthChecks, []) !== undefined;

/** Whether `i` counts as healthy for `record`'s app: running, and reported healthy when the app has a Mesos check. */
export function instanceHealthy(record: AppRecord, i: InstanceRecord): boolean {
  return i.state === "TASK_RUNNING" && (!hasMesosCheck(record.app) || i.health?.alive === true);
}

/** The app's instances (in task id order) as the restart planner sees them. */
function restartView(instances: readonly InstanceRecord[], record: AppRecord): RestartInstance[] {
  return instances.map((i) => ({
    id: i.taskId,
    isNew: i.version >= record.lastConfigChangeAt,
    killing: i.goal === "stopped" || i.inactive === true, // an inactive unreachable instance (unreachable.ts) is not counted: it is replaced
    healthy: instanceHealthy(record, i) && instanceReady(record, i),
  }));
}

/** The apps a deployment touches, sorted. */
export const affectedApps = (d: DeploymentRecord): string[] => Object.keys(d.original).sort();

/** A deployment touching `appId`, if any. */
export function deploymentOfApp(state: Pick<ServicesState, "deployments">, appId: string): DeploymentRecord | undefined {
  for (const d of state.deployments.values()) if (appId in d.original) return d;
  return undefined;
}

/** The ids of the deployments touching `appId` (for the app's `deployments` and its lock). */
export function deploymentsOf(state: Pick<ServicesState, "deployments">, appId: string): string[] {
  return [...state.deployments.values()].filter((d) => appId in d.original).map((d) => d.id);
}

/** JSON text with every object's keys sorted, so that equal values read the same whatever their key order. */
const sortedJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );

/** Whether two definitions are the same. */
export const sameApp = (a: MarathonApp, b: MarathonApp): boolean => sortedJson(a) === sortedJson(b);
/** Whether `a` and `b` differ at most in their instance count. */
export const sameButScale = (a: MarathonApp, b: MarathonApp): boolean => sameApp({ ...a, instances: 0 }, { ...b, instances: 0 });

/**
 * The new record of an app that was `existing` (undefined: a new app) and becomes `app` at
 * `nowMs`: a new configuration time unless only `instances` changed; undefined when nothing did.
 */
export function changedRecord(existing: AppRecord | undefined, app: MarathonApp, nowMs: number): AppRecord | undefined {
  if (!existing) return newRecord(app, nowMs);
  if (sameApp(existing.app, app)) return undefined;
  if (sameButScale(existing.app, app)) return { ...existing, app, version: nowMs, lastScalingAt: nowMs };
  const { delay: _delay, ...rest } = existing;
  return { ...rest, app, version: nowMs, lastScalingAt: nowMs, lastConfigChangeAt: nowMs };
}

/**
 * The steps from `original` to `target` (both every app, by id; `restarted` apps restart even
 * with the same definition), ordered by `dependencies` of the target apps and of `groups`.
 * Dependencies on ids that name nothing are left out; a cycle is refused.
 */
export function planSteps(
  original: ReadonlyMap<string, AppRecord>,
  target: ReadonlyMap<string, AppRecord>,
  groups: readonly DependencyNode[] = [],
): { steps: DeploymentAction[][] } | { cycle: string } {
  const stop: DeploymentAction[] = [...original.keys()].filter((id) => !target.has(id)).map((app) => ({ action: "StopApplication", app }));
  const start: DeploymentAction[] = [...target.keys()].filter((id) => !original.has(id)).map((app) => ({ action: "StartApplication", app }));
  const actionOf = (id: string): DeploymentAction | undefined => {
    const before = original.get(id);
    const after = target.get(id)!;
    if (!before) return { action: "ScaleApplication", app: id };
    const configChanged = after.lastConfigChangeAt !== before.lastConfigChangeAt || !sameButScale(before.app, after.app);
    if (configChanged && after.app.instances > 0) return { action: "RestartApplication", app: id };
    if (configChanged || after.app.instances !== before.app.instances) return { action: "ScaleApplication", app: id };
    return undefined;
  };
  const known = (id: string): boolean => target.has(id) || [...target.keys(), ...groups.map((g) => g.id)].some((t) => t.startsWith(`${id}/`) || t === id);
  const nodes = [...target.values()].map((r) => ({ id: r.app.id, dependencies: r.app.dependencies.filter(known) }));
  const order = dependencySteps(
    nodes,
    groups.map((g) => ({ id: g.id, dependencies: g.dependencies.filter(known) })),
  );
  if (!order.ok) return { cycle: order.message };
  const ordered = order.steps.map((ids) => ids.flatMap((id) => actionOf(id) ?? []));
  return { steps: [stop.sort(byApp), start.sort(byApp), ...ordered].filter((s) => s.length > 0) };
}

const byApp = (a: DeploymentAction, b: DeploymentAction): number => a.app.localeCompare(b.app);

/**
 * The instances of each app in task id order (suspended resident ones left out: a reservation
 * only, no task), with the stops of a round put over them as it goes. An app's list is read when
 * first asked (through the state's index of instances by app), so a round costs the instances of
 * the apps in deployments, not every instance.
 */
class AppInstances {
  private readonly byApp = new Map<string, InstanceRecord[]>();
  constructor(private readonly state: Pick<ServicesState, "instances">) {}
  of(appId: string): InstanceRecord[] {
    let list = this.byApp.get(appId);
    if (!list) {
      list = instancesOf(this.state, appId);
      this.byApp.set(appId, list);
    }
    return list;
  }
  /** Marks `ids` of `appId` stopped at `nowMs`; the instances that were not yet. */
  stop(appId: string, ids: readonly string[], nowMs: number): InstanceRecord[] {
    const list = this.of(appId);
    const out: InstanceRecord[] = [];
    for (const [n, i] of list.entries()) {
      if (!ids.includes(i.taskId) || i.goal === "stopped") continue;
      const s = { ...i, goal: "stopped" as const, killAskedAt: nowMs };
      list[n] = s;
      out.push(s);
    }
    return out;
  }
}

/** What beginning step `d.currentStep` does: the instances it stops at once, the restart numbers it fixes. */
function beginStep(apps: ServicesState["apps"], lists: AppInstances, d: DeploymentRecord, nowMs: number): { d: DeploymentRecord; stops: InstanceRecord[] } {
  const stops: InstanceRecord[] = [];
  const strategies: Record<string, RestartStrategy> = { ...d.strategies };
  for (const a of d.steps[d.currentStep] ?? []) {
    const record = apps.get(a.app);
    if (a.action === "StopApplication" || !record) {
      const running = lists.of(a.app).filter((i) => i.goal === "running");
      stops.push(
        ...lists.stop(
          a.app,
          running.map((i) => i.taskId),
          nowMs,
        ),
      );
    } else if (a.action === "RestartApplication") {
      const view = restartView(lists.of(a.app), record);
      const runningAtStart = view.filter((i) => !i.isNew && !i.killing).length;
      const planned = restartStrategy(record.app.instances, record.app.upgradeStrategy, runningAtStart, isResidentApp(record.app));
      const strategy = d.keepOne ? keepOneRunning(planned, record.app.instances, runningAtStart) : planned;
      strategies[a.app] = strategy;
      stops.push(...lists.stop(a.app, planRestartStep(record.app.instances, strategy, view, true).kill, nowMs));
    }
  }
  return { d: { ...d, strategies }, stops };
}

/** Whether action `a` of a deployment is done. */
function actionDone(apps: ServicesState["apps"], lists: AppInstances, d: DeploymentRecord, a: DeploymentAction): boolean {
  const record = apps.get(a.app);
  const instances = lists.of(a.app);
  if (a.action === "StopApplication") return instances.length === 0;
  if (!record) return true; // removed since by a forced change
  if (a.action === "StartApplication") return true;
  if (a.action === "RestartApplication") {
    const strategy = d.strategies[a.app];
    return strategy !== undefined && planRestartStep(record.app.instances, strategy, restartView(instances, record), false).done;
  }
  const counted = instances.filter((i) => !i.inactive); // an inactive unreachable instance is being replaced (unreachable.ts)
  return counted.length === record.app.instances && counted.every((i) => i.goal === "running" && instanceHealthy(record, i) && instanceReady(record, i));
}

/**
 * A new deployment `id` of the change from `before` to `state` (the apps already changed, the
 * instances stopped by the change already marked), and what its first step stops at once.
 * `groups` carry group-level dependencies.
 */
export function startDeployment(
  before: Pick<ServicesState, "apps">,
  state: Pick<ServicesState, "apps" | "instances">,
  affected: readonly string[],
  id: string,
  nowMs: number,
  groups: readonly DependencyNode[] = [],
  groupId?: string,
  extra: Pick<DeploymentRecord, "keepOne" | "rollbackOf"> = {},
): { deployment: DeploymentRecord; stops: InstanceRecord[] } | { cycle: string } {
  const only = (apps: ReadonlyMap<string, AppRecord>) => new Map([...apps].filter(([k]) => affected.includes(k)));
  const planned = planSteps(only(before.apps), only(state.apps), groups);
  if ("cycle" in planned) return planned;
  const original: Record<string, MarathonApp | null> = {};
  for (const app of [...affected].sort()) original[app] = before.apps.get(app)?.app ?? null;
  const d: DeploymentRecord = { id, version: nowMs, steps: planned.steps, currentStep: 0, original, strategies: {}, ...(groupId ? { groupId } : {}), ...extra };
  const begun = beginStep(state.apps, new AppInstances(state), d, nowMs);
  return { deployment: begun.d, stops: begun.stops };
}

/** How many new instances `record`'s app may start now, when a deployment says (undefined: as many as it lacks). */
export function deploymentStarts(state: Pick<ServicesState, "instances" | "deployments">, record: AppRecord): number | undefined {
  for (const d of state.deployments.values()) {
    if (!(record.app.id in d.original)) continue;
    const now = d.steps[d.currentStep]?.find((a) => a.app === record.app.id);
    if (now) {
      if (now.action === "ScaleApplication") return undefined;
      if (now.action !== "RestartApplication") return 0;
      const strategy = d.strategies[record.app.id];
      return strategy ? planRestartStep(record.app.instances, strategy, restartView(instancesOf(state, record.app.id), record), false).start : 0;
    }
    if (d.steps.slice(d.currentStep + 1).some((s) => s.some((a) => a.app === record.app.id))) return 0;
  }
  return undefined;
}

/** What the deployments in progress do now. */
export interface DeploymentProgress {
  /** Instances to stop now (old ones a restart replaced, the surplus of a scale step, a stopped app's). */
  stops: InstanceRecord[];
  /** Deployments whose step changed (to store). */
  advanced: DeploymentRecord[];
  /** Each step finished now: the deployment as it was when the step ended, and the step (from 0). */
  stepsDone: Array<{ deployment: DeploymentRecord; step: number }>;
  /** Deployments over (every step done), as they were. */
  finished: DeploymentRecord[];
}

/** Takes the deployments' next steps over `state`: what to stop, which steps ended, which deployments are over. */
export function advanceDeployments(state: ServicesState, nowMs: number): DeploymentProgress {
  const out: DeploymentProgress = { stops: [], advanced: [], stepsDone: [], finished: [] };
  if (state.deployments.size === 0) return out;
  const lists = new AppInstances(state);
  for (const original of [...state.deployments.values()].sort((a, b) => a.version - b.version || a.id.localeCompare(b.id))) {
    let d = original;
    out.stops.push(...restartKills(state.apps, lists, d, nowMs));
    while (d.currentStep < d.steps.length && d.steps[d.currentStep]!.every((a) => actionDone(state.apps, lists, d, a))) {
      out.stepsDone.push({ deployment: d, step: d.currentStep });
      const begun = beginStep(state.apps, lists, { ...d, currentStep: d.currentStep + 1 }, nowMs);
      d = begun.d;
      out.stops.push(...begun.stops);
    }
    if (d.currentStep >= d.steps.length) out.finished.push(d);
    else if (d !== original) out.advanced.push(d);
  }
  return out;
}

/** The old instances the restarts of `d`'s current step may stop now. */
function restartKills(apps: ServicesState["apps"], lists: AppInstances, d: DeploymentRecord, nowMs: number): InstanceRecord[] {
  const out: InstanceRecord[] = [];
  for (const a of d.steps[d.currentStep] ?? []) {
    const record = apps.get(a.app);
    const strategy = d.strategies[a.app];
    if (a.action !== "RestartApplication" || !record || !strategy) continue;
    const step = planRestartStep(record.app.instances, strategy, restartView(lists.of(a.app), record), false);
    if (!step.done) out.push(...lists.stop(a.app, step.kill, nowMs));
  }
  return out;
}

/** A step as Marathon's deployments.raml `DeploymentStep` shows it. */
export const stepJson = (actions: readonly DeploymentAction[]) => ({ actions: actions.map((a) => ({ action: a.action, app: a.app })) });

/** A deployment as GET `/v2/deployments` shows it (Marathon's deployments.raml `DeploymentPlan` with `currentActions`), with each app's readiness results (readiness.ts). */
export function deploymentJson(d: DeploymentRecord, readinessOf: (appId: string) => readonly unknown[] = () => []): Record<string, unknown> {
  const current = d.steps[Math.min(d.currentStep, d.steps.length - 1)] ?? [];
  return {
    id: d.id,
    version: marathonTime(d.version),
    affectedApps: affectedApps(d),
    affectedPods: [],
    steps: d.steps.map(stepJson),
    currentActions: current.map((a) => ({ action: a.action, app: a.app, readinessCheckResults: readinessOf(a.app) })),
    currentStep: Math.min(d.currentStep + 1, d.steps.length),
    totalSteps: d.steps.length,
  };
}

/** Marathon's 409 for a change to an app a deployment holds (AppLockedException). */
export function lockedBody(ids: readonly string[]): Record<string, unknown> {
  return {
    message: `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.`,
    deployments: ids.map((id) => ({ id })),
  };
}

/** A deployment row as stored; rows of the first schema (one app's rolling restart) read as a one-step RestartApplication. */
export function storedDeployment(row: unknown): DeploymentRecord {
  const r = row as Partial<DeploymentRecord> & { appId?: string; previous?: MarathonApp; strategy?: RestartStrategy };
  if (r.steps) return r as DeploymentRecord;
  const appId = r.appId!;
  return {
    id: r.id!,
    version: r.version!,
    steps: [[{ action: "RestartApplication", app: appId }]],
    currentStep: 0,
    original: { [appId]: r.previous ?? null },
    strategies: r.strategy ? { [appId]: r.strategy } : {},
  };
}
