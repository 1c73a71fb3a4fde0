/**
 * The services framework's answer to offers, decided purely: (apps, instances, offers, now) →
 * which instances to launch on which offer, and which offers to decline. Each app short of its
 * `instances` (counting the instances meant to keep running) takes offers, in app id order, as
 * long as Marathon's offer matching (frameworks/shared/offer-match.ts: roles, constraints, ports,
 * resources) says one fits and no launch delay (backoff after failed tasks) is in force. Several
 * instances may go on one offer: each takes its resources out before the next is matched.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import type { Offer, TaskInfo } from "../../schemas/mesos.ts";
import { subtract } from "../../sdk/src/resources.ts";
import { commandTask } from "../../sdk/src/task-helpers.ts";
import type { Constraint, ConstraintOperator } from "../shared/constraints.ts";
import { hostPortsOf } from "../shared/host-ports.ts";
import type { NoOfferMatchReason } from "../shared/no-offer-match-reason.ts";
import { type InstanceRequest, matchOffer } from "../shared/offer-match.ts";
import type { Placement } from "../shared/placement.ts";
import { placementOfOffer } from "../shared/placement.ts";
import { portMappingHostPorts, withContainer } from "./container-info.ts";
import { deploymentStarts } from "./deployments.ts";
import { type AppRecord, allInstancesOf, type InstanceRecord, isResidentApp, type ServicesState } from "./service-records.ts";
import { taskEnv } from "./task-env.ts";
import { mesosHealthCheck } from "./task-health.ts";
import { newTaskId, taskName } from "./task-ids.ts";
import { countsTowardInstances } from "./unreachable.ts";

/** What planning needs besides the state: the time, a source of uuids, the framework's role. */
export interface PlanContext {
  nowMs: number;
  uuid: () => string;
  /** The framework's role: an app's `role` when it names none. */
  role: string;
  /** At most this many instances on one offer (Marathon's `--max_instances_per_offer`); no limit when absent. */
  maxInstancesPerOffer?: number;
}

/** One ACCEPT: the tasks to launch on an offer and the instances they are. */
export interface PlannedLaunch {
  offerId: string;
  tasks: TaskInfo[];
  instances: InstanceRecord[];
}

/** The answer to a batch of offers. */
export interface OfferPlan {
  launches: PlannedLaunch[];
  /** Offers nothing was launched on. */
  declines: string[];
  /** For each app that wanted instances, each offer it looked at: used, or the reasons it did not fit (for `/v2/queue`). */
  outcomes: OfferOutcome[];
}

/** What one offer was to one app waiting for instances. */
export interface OfferOutcome {
  appId: string;
  offer: Offer;
  /** Empty when the app launched on it; else Marathon's reasons, in funnel order. */
  reasons: NoOfferMatchReason[];
}

/** Marathon's `[field, OPERATOR, value?]` constraints as the matcher's objects. */
export function constraintsOf(app: MarathonApp): Constraint[] {
  return app.constraints.map(([field, operator, value]) => ({
    field: field!,
    operator: operator as ConstraintOperator,
    ...(value !== undefined ? { value } : {}),
  }));
}

/** What one instance of `app` asks of an offer. */
export function instanceRequest(app: MarathonApp, role: string): InstanceRequest {
  const ports = (app.portDefinitions ?? []).map((p) => p.port);
  return {
    cpus: app.cpus,
    mem: app.mem,
    disk: app.disk,
    gpus: app.gpus,
    hostPorts: portMappingHostPorts(app) ?? hostPortsOf(ports, app.requirePorts),
    role: app.role ?? role,
    ...(app.acceptedResourceRoles ? { acceptedResourceRoles: app.acceptedResourceRoles } : {}),
    constraints: constraintsOf(app),
  };
}

/** How many more instances `record`'s app needs now (during a deployment, as many new ones as its next step starts); inactive unreachable instances do not count (unreachable.ts). */
export function missingInstances(state: Pick<ServicesState, "instances" | "deployments">, record: AppRecord): number {
  const starts = deploymentStarts(state, record);
  if (starts !== undefined) return starts;
  let active = 0;
  for (const i of allInstancesOf(state, record.app.id)) if (countsTowardInstances(i)) active++;
  return Math.max(0, record.app.instances - active);
}

/** Whether `record`'s app may launch at `nowMs` (no launch delay in force). */
export function launchAllowed(record: AppRecord, nowMs: number): boolean {
  return !record.delay || nowMs >= record.delay.sinceMs + record.delay.delayMs;
}

/** A new instance of `record`'s app launched as `taskId` on `offer` at `nowMs`: staging, meant to keep running. */
export function stagedInstance(record: AppRecord, offer: Offer, taskId: string, hostPorts: number[], nowMs: number): InstanceRecord {
  return {
    taskId,
    appId: record.app.id,
    agentId: offer.agent_id.value,
    host: offer.hostname,
    ports: hostPorts,
    state: "TASK_STAGING",
    version: record.version,
    stagedAt: nowMs,
    goal: "running",
  };
}

/** The TaskInfo of a new instance of `record`'s app on `offer`. */
export function buildTask(record: AppRecord, offer: Offer, taskId: string, resources: TaskInfo["resources"], hostPorts: number[]): TaskInfo {
  const { app } = record;
  const env = taskEnv(app, { taskId, version: marathonTime(record.version), host: offer.hostname, hostPorts });
  const task = commandTask({
    taskId,
    agentId: offer.agent_id,
    name: taskName(app.id),
    resources,
    ...(app.args && app.args.length > 0 ? { command: app.args } : { shell: app.cmd ?? "" }),
    env,
    ...(app.taskKillGracePeriodSeconds !== undefined ? { killGracePeriodSeconds: app.taskKillGracePeriodSeconds } : {}),
    ...(Object.keys(app.labels).length > 0 ? { labels: app.labels } : {}),
  });
  const healthCheck = mesosHealthCheck(app.healthChecks, hostPorts);
  if (healthCheck) task.health_check = healthCheck;
  if (app.user !== undefined) task.command = { ...task.command, user: app.user };
  if (app.fetch.length > 0) {
    task.command = {
      ...task.command,
      uris: app.fetch.map((f) => ({
        value: f.uri,
        extract: f.extract,
        executable: f.executable,
        cache: f.cache,
        ...(f.destPath ? { output_file: f.destPath } : {}),
      })),
    };
  }
  return withContainer(task, app, hostPorts);
}

/** The plan for `offers`: launches where apps are short of instances and an offer fits, declines for the rest. */
export function planOffers(state: ServicesState, offers: readonly Offer[], ctx: PlanContext): OfferPlan {
  const remaining = new Map(offers.map((o) => [o.id.value, o.resources]));
  const launches = new Map<string, PlannedLaunch>();
  const outcomes: OfferOutcome[] = [];
  const perOffer = ctx.maxInstancesPerOffer ?? Number.POSITIVE_INFINITY;
  const apps = [...state.apps.values()].sort((a, b) => a.app.id.localeCompare(b.app.id));
  for (const record of apps) {
    let missing = missingInstances(state, record);
    if (missing === 0 || !launchAllowed(record, ctx.nowMs) || isResidentApp(record.app)) continue; // resident apps: resident-planner.ts
    const request = instanceRequest(record.app, ctx.role);
    // Where the app's instances run (for its constraints): one list, grown as instances are placed.
    const offerOfAgent = new Map(offers.map((o) => [o.agent_id.value, o]));
    const placed: Placement[] = [];
    for (const i of allInstancesOf(state, record.app.id)) {
      if (i.goal !== "running") continue;
      const offerHere = offerOfAgent.get(i.agentId);
      placed.push(offerHere ? placementOfOffer(offerHere) : { hostname: i.host, attributes: [] });
    }
    for (const offer of offers) {
      let used = false;
      while (missing > 0 && (launches.get(offer.id.value)?.instances.length ?? 0) < perOffer) {
        const resources = remaining.get(offer.id.value)!;
        const match = matchOffer({ ...offer, resources }, request, { placed, nowMs: ctx.nowMs });
        if (!match.matched) {
          if (!used) outcomes.push({ appId: record.app.id, offer, reasons: match.reasons });
          break;
        }
        if (!used) outcomes.push({ appId: record.app.id, offer, reasons: [] });
        used = true;
        const taskId = newTaskId(record.app.id, ctx.uuid());
        const task = buildTask(record, offer, taskId, match.resources, match.hostPorts);
        const instance = stagedInstance(record, offer, taskId, match.hostPorts, ctx.nowMs);
        remaining.set(offer.id.value, subtract(resources, match.resources));
        placed.push(placementOfOffer(offer));
        const launch = launches.get(offer.id.value) ?? { offerId: offer.id.value, tasks: [], instances: [] };
        launch.tasks.push(task);
        launch.instances.push(instance);
        launches.set(offer.id.value, launch);
        missing--;
      }
    }
  }
  return { launches: [...launches.values()], declines: offers.map((o) => o.id.value).filter((id) => !launches.has(id)), outcomes };
}
