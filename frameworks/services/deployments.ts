/**
 * The services framework's tracked deployments, decided purely: a new configuration of an app
 * (anything but `instances`) or a `/restart` is a rolling restart (rolling-restart.ts, Marathon's
 * TaskReplaceActor) recorded as a deployment; each change to the state asks `deploymentSteps`
 * which old instances to stop now and how many new ones to start, until the restart is done and
 * the deployment goes. The records are rows of the object's SQLite (`deployments`), so a restarted
 * object carries on. An instance is new when it was launched with the app's current configuration
 * (its version at or after `lastConfigChangeAt`); it is healthy when its task runs and, for an app
 * with a Mesos health check, the agent last reported it healthy.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import { instanceReady } from "./readiness-gate.ts";
import { keepOneRunning, planRestartStep, type RestartInstance, restartStrategy } from "./rolling-restart.ts";
import { type AppRecord, type DeploymentRecord, type InstanceRecord, instancesOf, isResidentApp, type ServicesState } from "./service-records.ts";
import { mesosHealthCheck } from "./task-health.ts";

/** Whether `app` has a check the agent runs. */
const hasMesosCheck = (app: MarathonApp): boolean => mesosHealthCheck(app.healthChecks, []) !== undefined;

/** Whether `i` counts as healthy for `record`'s app: running, and reported healthy when the app has a Mesos check. */
export function instanceHealthy(record: AppRecord, i: InstanceRecord): boolean {
  return i.state === "TASK_RUNNING" && (!hasMesosCheck(record.app) || i.health?.alive === true);
}

/** The app's instances as the restart planner sees them. */
function restartView(state: Pick<ServicesState, "instances">, record: AppRecord): RestartInstance[] {
  return instancesOf(state, record.app.id).map((i) => ({
    id: i.taskId,
    isNew: i.version >= record.lastConfigChangeAt,
    killing: i.goal === "stopped" || i.inactive === true, // an inactive unreachable instance (unreachable.ts) is not counted: it is replaced
    healthy: instanceHealthy(record, i) && instanceReady(record, i),
  }));
}

/** The deployment of `appId` in progress, if any. */
export function deploymentOfApp(state: Pick<ServicesState, "deployments">, appId: string): DeploymentRecord | undefined {
  for (const d of state.deployments.values()) if (d.appId === appId) return d;
  return undefined;
}

/** The ids of the deployments touching `appId` (for the app's `deployments`). */
export function deploymentsOf(state: Pick<ServicesState, "deployments">, appId: string): string[] {
  return [...state.deployments.values()].filter((d) => d.appId === appId).map((d) => d.id);
}

/**
 * A new deployment rolling `record` (already the new configuration) out over `state`'s instances, and the old instances to stop at once;
 * `rollback` for a cancel's rollback, which keeps one running instance (deployment-deadline.ts).
 */
export function startDeployment(
  state: Pick<ServicesState, "instances">,
  record: AppRecord,
  previous: MarathonApp,
  id: string,
  nowMs: number,
  rollback = false,
): { deployment: DeploymentRecord; stops: InstanceRecord[] } {
  const view = restartView(state, record);
  const runningAtStart = view.filter((i) => !i.isNew && !i.killing).length;
  const planned = restartStrategy(record.app.instances, record.app.upgradeStrategy, runningAtStart, isResidentApp(record.app));
  const strategy = rollback ? keepOneRunning(planned, record.app.instances, runningAtStart) : planned;
  const step = planRestartStep(record.app.instances, strategy, view, true);
  return { deployment: { id, appId: record.app.id, version: record.version, previous, strategy }, stops: stopped(state, step.kill, nowMs) };
}

const stopped = (state: Pick<ServicesState, "instances">, ids: readonly string[], nowMs: number): InstanceRecord[] =>
  ids.flatMap((id) => {
    const i = state.instances.get(id);
    return i ? [{ ...i, goal: "stopped" as const, killAskedAt: nowMs }] : [];
  });

/** How many new instances `record`'s deployment wants started now (undefined when the app has no deployment). */
export function deploymentStarts(state: Pick<ServicesState, "instances" | "deployments">, record: AppRecord): number | undefined {
  const d = deploymentOfApp(state, record.app.id);
  if (!d) return undefined;
  return planRestartStep(record.app.instances, d.strategy, restartView(state, record), false).start;
}

/** What the deployments in progress ask for now: old instances to stop, deployments that are over. */
export function deploymentSteps(state: ServicesState, nowMs: number): { stops: InstanceRecord[]; finished: string[] } {
  const stops: InstanceRecord[] = [];
  const finished: string[] = [];
  for (const d of state.deployments.values()) {
    const record = state.apps.get(d.appId);
    if (!record || record.version < d.version) {
      finished.push(d.id);
      continue;
    }
    const step = planRestartStep(record.app.instances, d.strategy, restartView(state, record), false);
    if (step.done) finished.push(d.id);
    else stops.push(...stopped(state, step.kill, nowMs));
  }
  return { stops, finished };
}

/** A deployment as GET `/v2/deployments` shows it (Marathon's deployments.raml `DeploymentPlan` with `currentActions`), with its app's readiness results (readiness.ts). */
export function deploymentJson(d: DeploymentRecord, readinessCheckResults: readonly unknown[] = []): Record<string, unknown> {
  const action = { action: "RestartApplication", app: d.appId };
  return {
    id: d.id,
    version: marathonTime(d.version),
    affectedApps: [d.appId],
    affectedPods: [],
    steps: [{ actions: [action] }],
    currentActions: [{ ...action, readinessCheckResults }],
    currentStep: 1,
    totalSteps: 1,
  };
}

/** Marathon's 409 for a change to an app a deployment holds (AppLockedException). */
export function lockedBody(ids: readonly string[]): Record<string, unknown> {
  return {
    message: `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.`,
    deployments: ids.map((id) => ({ id })),
  };
}
