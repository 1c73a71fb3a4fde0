/**
 * What the services framework keeps: its apps (the current definition and its version times, the
 * launch delay in force, the last task failure) and its instances (one Mesos task each: where it
 * runs, its state and whether it is meant to keep running). The object's SQLite rows hold these
 * as JSON (services-store.ts); the planners read and return them.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import type { ReadinessCheckResult } from "../../schemas/marathon/readiness-result.ts";
import type { TaskState } from "../../schemas/mesos.ts";
import { isTerminal } from "../../schemas/task-states.ts";
import type { LaunchDelay } from "../shared/launch-backoff.ts";
import type { RestartStrategy } from "./rolling-restart.ts";
import type { InstanceHealth } from "./task-health.ts";

/** Marathon's `lastTaskFailure` (appInfo.raml `TaskFailure`), as GET `/v2/apps/{id}` shows it. */
export interface TaskFailure {
  appId: string;
  host: string;
  message: string;
  state: string;
  taskId: string;
  timestamp: string;
  version: string;
  slaveId?: string;
}

/** One app: its definition and what its versions and failures left behind. Times are ms since the epoch. */
export interface AppRecord {
  app: MarathonApp;
  /** When this definition was stored (Marathon's `version`). */
  version: number;
  /** When the instance count last changed. */
  lastScalingAt: number;
  /** When anything but the instance count last changed. */
  lastConfigChangeAt: number;
  /** The launch delay after failed tasks (launch-backoff.ts); reset by a configuration change. */
  delay?: LaunchDelay;
  lastTaskFailure?: TaskFailure;
  /** The last deployment that failed its deadline (deployment-deadline.ts), until the app's next change. */
  lastDeploymentFailure?: DeploymentFailure;
}

/** A deployment that failed, as the app keeps it (shown with `strataExplain=true`). */
export interface DeploymentFailure {
  deploymentId: string;
  /** The app version (ms) the deployment rolled out. */
  version: number;
  /** When it failed (ms). */
  at: number;
  reason: string;
  /** The deployment rolling the app back, when the app asked for one. */
  rollbackDeploymentId?: string;
}

/** A new app record: `app` stored at `nowMs`, its first version and configuration. */
export const newRecord = (app: MarathonApp, nowMs: number): AppRecord => ({ app, version: nowMs, lastScalingAt: nowMs, lastConfigChangeAt: nowMs });

/** One instance: a Mesos task of an app. */
export interface InstanceRecord {
  taskId: string;
  appId: string;
  agentId: string;
  host: string;
  /** The host ports it was given, in the app's port order. */
  ports: number[];
  /** The latest state the master reported (TASK_STAGING until the first update). */
  state: TaskState;
  /** The app version (ms) it was launched with. */
  version: number;
  stagedAt: number;
  startedAt?: number;
  /** `running`: kept running (replaced when it ends); `stopped`: being killed (scale down, delete). */
  goal: "running" | "stopped";
  /** When the kill was last asked, for instances being stopped. */
  killAskedAt?: number;
  /** Its health as the agent's checks last reported it (absent until the first report). */
  health?: InstanceHealth;
  /** While its task is TASK_UNREACHABLE: since when (ms, the master's `unreachable_time`; unreachable.ts). */
  unreachableSince?: number;
  /** Unreachable for longer than the app's `inactiveAfterSeconds` (Marathon's UnreachableInactive): no longer counted, replaced. */
  inactive?: true;
  /** A resident app's instance: its reservation and volumes on `agentId` (resident-planner.ts). */
  resident?: ResidentClaim;
  /** Its readiness check's last result, for a new instance during a deployment (readiness.ts). */
  readiness?: ReadinessCheckResult;
}

/** One local persistent volume of a resident instance (Marathon's `LocalVolumeId`). */
export interface ResidentVolume {
  containerPath: string;
  /** `<app path with _>#<containerPath>#<uuid>`. */
  persistenceId: string;
  /** MiB. */
  size: number;
}

/**
 * What a resident instance holds on its agent: resources reserved for `role` under the labels
 * `marathon_framework_id` and `marathon_task_id` (= `instanceId`), and its volumes. The record
 * outlives its tasks: once a task ends (state terminal) the instance waits for an offer of its
 * reservation, to relaunch there (goal `running`) or to stay suspended (goal `stopped`, after a
 * scale-down) until it is wanted again or wiped.
 */
export interface ResidentClaim {
  /** `<app path with _>.instance-<uuid>`; its tasks are `<instanceId>._app.<incarnation>`. */
  instanceId: string;
  /** The incarnation of its latest task. */
  incarnation: number;
  role: string;
  /** The principal the reservation and volumes were made by. */
  principal?: string;
  volumes: ResidentVolume[];
  /** `wipe=true` or the app's deletion: destroy the volumes and unreserve once no task runs, then forget the instance. */
  wipe?: boolean;
}

/** Whether `app` has local persistent volumes (a resident app: its instances reserve what they run on). */
export const isResidentApp = (app: MarathonApp): boolean => (app.container?.volumes ?? []).some((v) => v.persistent !== undefined);

/** A resident instance whose task is over and which is not meant to run: its reservation is kept, no task is listed. */
export const isSuspended = (i: InstanceRecord): boolean => i.resident !== undefined && i.goal === "stopped" && isTerminal(i.state);

/** Marathon's deployment actions (DeploymentAction.scala): what a step does to one app. */
export type DeploymentActionName = "StartApplication" | "ScaleApplication" | "RestartApplication" | "StopApplication";

/** One action of a deployment step. */
export interface DeploymentAction {
  action: DeploymentActionName;
  /** The app's id. */
  app: string;
}

/**
 * One deployment (Marathon's DeploymentPlan): steps of actions taken in order, a step only once
 * every action of the one before is done (deployments.ts).
 */
export interface DeploymentRecord {
  id: string;
  /** The version (ms) of the change it rolls out. */
  version: number;
  steps: DeploymentAction[][];
  /** The step in progress, from 0; `steps.length` once every step is done. */
  currentStep: number;
  /** Every affected app as it was before (null: it did not exist): what a rollback goes back to. */
  original: Record<string, MarathonApp | null>;
  /** The rolling-restart numbers of each app whose RestartApplication began, fixed when it began (rolling-restart.ts). */
  strategies: Record<string, RestartStrategy>;
  /** The group changed through `/v2/groups`, for a group change. */
  groupId?: string;
  /** For a group change, each group record it set or removed as it was before (null: none): what a rollback restores. */
  originalGroups?: Record<string, GroupRecord | null>;
  /** For a rollback after a deadline (deployment-deadline.ts): the deployment that failed. */
  rollbackOf?: string;
  /** A rollback (a cancel's or a deadline's): its restarts keep one running instance until a new one is healthy (rolling-restart.ts `keepOneRunning`). */
  keepOne?: true;
}

/** A group made through `/v2/groups` (groups that only hold apps exist through their ids). */
export interface GroupRecord {
  id: string;
  /** Absolute ids of the apps or groups every app in it depends on. */
  dependencies: string[];
  /** When it was last changed (ms). */
  version: number;
}

/** A group as stored among its versions: its apps and groups, nested. */
export interface GroupSnapshot {
  id: string;
  apps: MarathonApp[];
  groups: GroupSnapshot[];
  dependencies: string[];
  version: number;
}

/** Everything the framework knows: apps by id, instances by task id, deployments by id, and its framework id once subscribed. */
export interface ServicesState {
  apps: Map<string, AppRecord>;
  instances: Map<string, InstanceRecord>;
  /** The deployments in progress, by id. */
  deployments: Map<string, DeploymentRecord>;
  frameworkId?: string;
  /** The master's origin as clients reach it (learned from the first forwarded request). */
  masterOrigin?: string;
  /** The groups made through `/v2/groups`, by id (absent: none). */
  groups?: Map<string, GroupRecord>;
  /** The stored versions of each group changed through `/v2/groups`, oldest first (absent: none). */
  groupVersions?: Map<string, GroupSnapshot[]>;
}

/**
 * The instances by task id, also indexed by app, so that an app's instances are found without a
 * scan of every instance (the object's state holds one; listing 1,000 apps × 10 instances, or
 * counting an app's instances after each update, would otherwise visit every instance per app).
 * Entries go through `set`/`delete` as in any Map; an app's list is kept sorted by task id.
 */
export class InstanceMap extends Map<string, InstanceRecord> {
  // Declared only (no field initialiser runs after Map's constructor, which may already have called set).
  declare private byApp: Map<string, Map<string, InstanceRecord>> | undefined;
  declare private sorted: Map<string, InstanceRecord[]> | undefined;
  /** The task ids of instances being stopped (goal `stopped`) and of unreachable ones: what each round looks at. */
  declare private stopping: Set<string> | undefined;
  declare private unreachable: Set<string> | undefined;

  static of(instances: Iterable<InstanceRecord>): InstanceMap {
    const out = new InstanceMap();
    for (const i of instances) out.set(i.taskId, i);
    return out;
  }

  override set(taskId: string, i: InstanceRecord): this {
    const old = super.get(taskId);
    if (old && old.appId !== i.appId) this.unindex(old);
    super.set(taskId, i);
    this.mark((this.stopping ??= new Set()), taskId, i.goal === "stopped");
    this.mark((this.unreachable ??= new Set()), taskId, i.state === "TASK_UNREACHABLE");
    this.byApp ??= new Map();
    const mine = this.byApp.get(i.appId) ?? new Map<string, InstanceRecord>();
    if (mine.size === 0) this.byApp.set(i.appId, mine);
    const isNew = !mine.has(taskId);
    mine.set(taskId, i);
    const list = this.sorted?.get(i.appId);
    if (list) {
      if (isNew) this.sorted!.delete(i.appId);
      else list[list.findIndex((x) => x.taskId === taskId)] = i;
    }
    return this;
  }

  override delete(taskId: string): boolean {
    const old = super.get(taskId);
    if (old) this.unindex(old);
    this.stopping?.delete(taskId);
    this.unreachable?.delete(taskId);
    return super.delete(taskId);
  }

  override clear(): void {
    super.clear();
    this.byApp = undefined;
    this.sorted = undefined;
    this.stopping = undefined;
    this.unreachable = undefined;
  }

  /** The instances being stopped (goal `stopped`). */
  stoppingInstances(): InstanceRecord[] {
    return [...(this.stopping ?? [])].map((id) => super.get(id)!);
  }

  /** The instances whose task is TASK_UNREACHABLE. */
  unreachableInstances(): InstanceRecord[] {
    return [...(this.unreachable ?? [])].map((id) => super.get(id)!);
  }

  private mark(set: Set<string>, taskId: string, member: boolean): void {
    if (member) set.add(taskId);
    else set.delete(taskId);
  }

  /** Every instance of `appId` (suspended ones too), in task id order; the caller must not change the array. */
  ofApp(appId: string): readonly InstanceRecord[] {
    const cached = this.sorted?.get(appId);
    if (cached) return cached;
    const list = [...(this.byApp?.get(appId)?.values() ?? [])].sort((a, b) => a.taskId.localeCompare(b.taskId));
    (this.sorted ??= new Map()).set(appId, list);
    return list;
  }

  private unindex(i: InstanceRecord): void {
    const mine = this.byApp?.get(i.appId);
    mine?.delete(i.taskId);
    if (mine?.size === 0) this.byApp!.delete(i.appId);
    this.sorted?.delete(i.appId);
  }
}

/** Every instance of `appId`, suspended resident ones too, in task id order (the index when the state keeps one, else a scan). */
export function allInstancesOf(state: Pick<ServicesState, "instances">, appId: string): readonly InstanceRecord[] {
  if (state.instances instanceof InstanceMap) return state.instances.ofApp(appId);
  return [...state.instances.values()].filter((i) => i.appId === appId).sort((a, b) => a.taskId.localeCompare(b.taskId));
}

/** The instances being stopped (goal `stopped`): from the index when the state keeps one, else a scan. */
export function stoppingInstances(state: Pick<ServicesState, "instances">): InstanceRecord[] {
  if (state.instances instanceof InstanceMap) return state.instances.stoppingInstances();
  return [...state.instances.values()].filter((i) => i.goal === "stopped");
}

/** The instances whose task is TASK_UNREACHABLE: from the index when the state keeps one, else a scan. */
export function unreachableInstances(state: Pick<ServicesState, "instances">): InstanceRecord[] {
  if (state.instances instanceof InstanceMap) return state.instances.unreachableInstances();
  return [...state.instances.values()].filter((i) => i.state === "TASK_UNREACHABLE");
}

/** The instances of `appId` (but suspended resident ones), in task id order. */
export function instancesOf(state: Pick<ServicesState, "instances">, appId: string): InstanceRecord[] {
  return allInstancesOf(state, appId).filter((i) => !isSuspended(i));
}
