/**
 * Marathon's resident apps (apps with local persistent volumes), decided purely. Sources
 * (mesosphere/marathon): docs/docs/persistent-volumes.md (what is reserved, relaunching on the
 * same agent, scale-down keeping reservations, `wipe=true` and app deletion destroying them),
 * core/instance/LocalVolumeId.scala (`<app path>#<containerPath>#<uuid>` persistence ids),
 * core/launcher/impl/TaskLabels.scala (the reservation labels `marathon_framework_id` and
 * `marathon_task_id`), and AppsResourceTest ("Resident apps cannot have the role *").
 *
 * - A new instance takes an offer's unreserved resources (cpus, mem, ports, its `disk` and the
 *   volumes' sizes) and in one ACCEPT: RESERVE them for the app's role under the instance's
 *   labels, CREATE its volumes, LAUNCH its first task (`<instance>._app.1`) with them.
 * - The instance record keeps the agent, the reservation's labels and the volumes
 *   (`InstanceRecord.resident`). When its task ends the record stays (terminal state): with goal
 *   `running` it relaunches (`._app.<n+1>`) on the first offer of that agent that holds its
 *   volumes, using exactly the resources reserved under its labels; with goal `stopped`
 *   (scale-down) it is suspended, and is relaunched the same way when the app wants instances
 *   again, before any new reservation is made.
 * - A wiped instance (`wipe=true`, the app deleted) once its task is over: DESTROY its volumes and
 *   UNRESERVE its resources on the first offer of its agent holding them; then it is forgotten.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import type { Offer, Resource, TaskStatus } from "../../schemas/mesos.ts";
import type { OfferOperation } from "../../schemas/scheduler.ts";
import { isTerminal } from "../../schemas/task-states.ts";
import { normalize, subtract } from "../../sdk/src/resources.ts";
import { type InstanceRequest, matchOffer } from "../shared/offer-match.ts";
import { type Placement, placementOfOffer } from "../shared/placement.ts";
import { buildTask, instanceRequest, launchAllowed, missingInstances, type OfferOutcome, type PlanContext, stagedInstance } from "./offer-planner.ts";
import { type InstanceRecord, isResidentApp, type ResidentClaim, type ResidentVolume, type ServicesState } from "./service-records.ts";
import type { StatusOutcome } from "./status-planner.ts";
import { safePath } from "./task-ids.ts";

/** What resident planning needs besides `PlanContext`: who makes the reservations. */
export interface ResidentContext extends PlanContext {
  /** The framework's principal (the reservations' and volumes' principal). */
  principal?: string;
}

/** One ACCEPT of resident work on one offer. */
export interface ResidentAccept {
  offerId: string;
  operations: OfferOperation[];
  /** Instance records to commit (new ones, relaunched ones under their new task ids). */
  instances: InstanceRecord[];
  /** Task ids whose rows go (the old rows of relaunched instances, wiped instances). */
  removed: string[];
  /** The rows as they were, to put back when the master refuses the ACCEPT. */
  previous: InstanceRecord[];
}

/** The resident answer to a batch of offers. */
export interface ResidentPlan {
  accepts: ResidentAccept[];
  /** For `/v2/queue`: what each offer looked at for a new reservation was to the app. */
  outcomes: OfferOutcome[];
}

/** A resident instance with no task (its task ended, or it is suspended). */
export const isIdleResident = (i: InstanceRecord): boolean => i.resident !== undefined && isTerminal(i.state);

/** The reservation labels of an instance (Marathon's TaskLabels). */
export function residentLabels(frameworkId: string, instanceId: string): Record<string, string> {
  return { marathon_framework_id: frameworkId, marathon_task_id: instanceId };
}

/** The labels a resource is reserved under (the top of its reservation stack). */
function labelsOf(r: Resource): Map<string, string> {
  const top = r.reservations?.length ? r.reservations[r.reservations.length - 1] : r.reservation;
  return new Map((top?.labels?.labels ?? []).map((l) => [l.key, l.value ?? ""] as const));
}

/** The resources of `offer` reserved for the instance `instanceId` (volumes included). */
export function reservedFor(offer: Offer, instanceId: string): Resource[] {
  return offer.resources.filter((r) => labelsOf(r).get("marathon_task_id") === instanceId);
}

/** Whether `offer` holds every volume of `claim`. */
const holdsVolumes = (offer: Offer, claim: ResidentClaim): boolean => {
  const here = new Set(reservedFor(offer, claim.instanceId).flatMap((r) => r.disk?.persistence?.id ?? []));
  return claim.volumes.every((v) => here.has(v.persistenceId));
};

/** The host ports of reserved port ranges, in order, the first `n`. */
function portsOf(resources: readonly Resource[], n: number): number[] {
  const out: number[] = [];
  for (const r of resources) {
    if (r.name !== "ports") continue;
    for (const range of r.ranges?.range ?? []) for (let p = range.begin; p <= range.end && out.length < n; p++) out.push(p);
  }
  return out;
}

/** A resource as reserved (pre-refinement spelling, as offers to the framework carry it) for `role` under `labels`. */
function reserved(r: Resource, role: string, principal: string | undefined, labels: Record<string, string>): Resource {
  const { reservations: _stack, ...rest } = r;
  return {
    ...rest,
    role,
    reservation: { ...(principal !== undefined ? { principal } : {}), labels: { labels: Object.entries(labels).map(([key, value]) => ({ key, value })) } },
  };
}

/** The persistent volumes of `app`. */
const persistentVolumes = (app: MarathonApp) => (app.container?.volumes ?? []).filter((v) => v.persistent !== undefined);

/** The plan for `offers` (those nothing else took): wipes, relaunches on reservations, new reservations. */
export function planResidentOffers(state: ServicesState, offers: readonly Offer[], ctx: ResidentContext): ResidentPlan {
  const accepts = new Map<string, ResidentAccept>();
  const outcomes: OfferOutcome[] = [];
  const acceptOf = (offer: Offer): ResidentAccept => {
    let a = accepts.get(offer.id.value);
    if (!a) accepts.set(offer.id.value, (a = { offerId: offer.id.value, operations: [], instances: [], removed: [], previous: [] }));
    return a;
  };
  const instances = [...state.instances.values()].filter((i) => i.resident !== undefined).sort((a, b) => a.taskId.localeCompare(b.taskId));

  // Wiped instances whose task is over: DESTROY and UNRESERVE, then forget them.
  for (const i of instances) {
    if (!i.resident?.wipe || !isTerminal(i.state)) continue;
    const offer = offers.find((o) => o.agent_id.value === i.agentId && reservedFor(o, i.resident!.instanceId).length > 0);
    if (!offer) continue;
    const mine = reservedFor(offer, i.resident.instanceId);
    const volumes = mine.filter((r) => r.disk?.persistence);
    const a = acceptOf(offer);
    if (volumes.length > 0) a.operations.push({ type: "DESTROY", destroy: { volumes } });
    a.operations.push({ type: "UNRESERVE", unreserve: { resources: normalize(mine.map(({ disk: _d, ...r }) => r)) } });
    a.removed.push(i.taskId);
    a.previous.push(i);
  }

  const remaining = new Map(offers.map((o) => [o.id.value, o.resources]));
  const apps = [...state.apps.values()].filter((r) => isResidentApp(r.app)).sort((a, b) => a.app.id.localeCompare(b.app.id));
  for (const record of apps) {
    const { app } = record;
    if (!launchAllowed(record, ctx.nowMs)) continue;
    const role = app.role ?? ctx.role;
    const mineIdle = instances.filter((i) => i.appId === app.id && isIdleResident(i) && !i.resident!.wipe);
    let missing = missingInstances(state, record);
    const suspended = mineIdle.filter((i) => i.goal === "stopped");

    // Relaunch on the reservation: every idle instance meant to run, and suspended ones while the app is short.
    const relaunch = (i: InstanceRecord, offer: Offer): void => {
      const claim = i.resident!;
      const resources = reservedFor(offer, claim.instanceId);
      const incarnation = claim.incarnation + 1;
      const taskId = `${claim.instanceId}._app.${incarnation}`;
      const hostPorts = portsOf(resources, (app.portDefinitions ?? []).length);
      const task = buildTask(record, offer, taskId, resources, hostPorts);
      const { health: _h, killAskedAt: _k, startedAt: _s, ...rest } = i;
      const a = acceptOf(offer);
      a.operations.push({ type: "LAUNCH", launch: { task_infos: [task] } });
      a.instances.push({
        ...rest,
        taskId,
        host: offer.hostname,
        ports: hostPorts,
        state: "TASK_STAGING",
        version: record.version,
        stagedAt: ctx.nowMs,
        goal: "running",
        resident: { ...claim, incarnation },
      });
      a.removed.push(i.taskId);
      a.previous.push(i);
      outcomes.push({ appId: app.id, offer, reasons: [] });
    };
    for (const i of mineIdle) {
      if (i.goal !== "running") continue;
      const offer = offers.find((o) => o.agent_id.value === i.agentId && holdsVolumes(o, i.resident!));
      if (offer) relaunch(i, offer);
    }
    let waiting = suspended.length;
    for (const i of suspended) {
      if (missing <= 0) break;
      const offer = offers.find((o) => o.agent_id.value === i.agentId && holdsVolumes(o, i.resident!));
      if (!offer) continue;
      relaunch(i, offer);
      missing--;
      waiting--;
    }

    // New reservations, only for what the suspended instances (relaunched when their agents offer) cannot cover.
    let fresh = missing - waiting;
    if (fresh <= 0) continue;
    const volumes = persistentVolumes(app);
    const volumeMb = volumes.reduce((s, v) => s + v.persistent!.size, 0);
    const request: InstanceRequest = { ...instanceRequest(app, ctx.role), disk: app.disk + volumeMb, acceptedResourceRoles: ["*"] };
    const placed: Placement[] = instances
      .filter((i) => i.appId === app.id && i.goal === "running")
      .map((i) => {
        const here = offers.find((o) => o.agent_id.value === i.agentId);
        return here ? placementOfOffer(here) : { hostname: i.host, attributes: [] };
      });
    for (const offer of offers) {
      let used = false;
      while (fresh > 0) {
        const resources = remaining.get(offer.id.value)!;
        const match = matchOffer({ ...offer, resources }, request, { placed, nowMs: ctx.nowMs });
        if (!used) outcomes.push({ appId: app.id, offer, reasons: match.matched ? [] : match.reasons });
        if (!match.matched) break;
        used = true;
        const uuid = ctx.uuid();
        const instanceId = `${safePath(app.id)}.instance-${uuid}`;
        const taskId = `${instanceId}._app.1`;
        const labels = residentLabels(state.frameworkId ?? "", instanceId);
        const toReserve = match.resources.map((r) => reserved(r, role, ctx.principal, labels));
        const reservedDisk = (mb: number): Resource => reserved({ name: "disk", type: "SCALAR", scalar: { value: mb } }, role, ctx.principal, labels);
        const claimVolumes: ResidentVolume[] = volumes.map((v) => ({
          containerPath: v.containerPath,
          persistenceId: `${safePath(app.id)}#${v.containerPath}#${uuid}`,
          size: v.persistent!.size,
        }));
        const volumeResources: Resource[] = claimVolumes.map((v) => ({
          ...reservedDisk(v.size),
          disk: {
            persistence: { id: v.persistenceId, ...(ctx.principal !== undefined ? { principal: ctx.principal } : {}) },
            volume: { container_path: v.containerPath, mode: "RW" },
          },
        }));
        const allocation = match.resources[0]?.allocation_info;
        const withAllocation = (r: Resource): Resource => (allocation ? { ...r, allocation_info: allocation } : r);
        const taskResources = [
          ...toReserve.filter((r) => r.name !== "disk"),
          ...(app.disk > 0 ? [withAllocation(reservedDisk(app.disk))] : []),
          ...volumeResources.map(withAllocation),
        ];
        const task = buildTask(record, offer, taskId, taskResources, match.hostPorts);
        const a = acceptOf(offer);
        a.operations.push(
          { type: "RESERVE", reserve: { resources: toReserve } },
          { type: "CREATE", create: { volumes: volumeResources.map(withAllocation) } },
          { type: "LAUNCH", launch: { task_infos: [task] } },
        );
        a.instances.push({
          ...stagedInstance(record, offer, taskId, match.hostPorts, ctx.nowMs),
          resident: { instanceId, incarnation: 1, role, ...(ctx.principal !== undefined ? { principal: ctx.principal } : {}), volumes: claimVolumes },
        });
        remaining.set(offer.id.value, subtract(resources, match.resources));
        placed.push(placementOfOffer(offer));
        fresh--;
      }
    }
  }
  return { accepts: [...accepts.values()], outcomes };
}

/**
 * Whether the master never heard of an instance's first task (a reconciliation of a launch that
 * stayed TASK_STAGING says it is unknown): the ACCEPT that reserved, created and launched never
 * reached it, and an ACCEPT is all or nothing, so there is no reservation to wait for.
 */
const neverAccepted = (before: InstanceRecord, status: TaskStatus): boolean =>
  before.resident?.incarnation === 1 &&
  before.state === "TASK_STAGING" &&
  status.reason === "REASON_RECONCILIATION" &&
  /unknown to the master/.test(status.message ?? "");

/**
 * A status update's outcome for a resident instance: when its task ends the record stays, with
 * the terminal state (its reservation is kept for the relaunch); the app's failure, if any, is
 * kept. An update for a task already over (a repeat, a reconciliation) changes nothing.
 * A first launch the master never heard of is the exception: that instance goes.
 */
export function residentStatus(state: ServicesState, status: TaskStatus, outcome: StatusOutcome): StatusOutcome {
  const before = state.instances.get(status.task_id.value);
  if (!before?.resident) return outcome;
  if (isTerminal(before.state)) return {};
  if (outcome.removed !== before.taskId) return outcome;
  if (neverAccepted(before, status)) return outcome; // nothing was reserved: the instance goes and is planned afresh
  const { health: _h, ...rest } = before;
  return { ...(outcome.app ? { app: outcome.app } : {}), instance: { ...rest, state: status.state } };
}

/** The app ids with resident work waiting for offers: idle instances meant to run, wipes not done. */
export function residentWaiting(state: Pick<ServicesState, "instances" | "apps">): Set<string> {
  const out = new Set<string>();
  for (const i of state.instances.values()) {
    if (!isIdleResident(i)) continue;
    if (i.resident!.wipe || (i.goal === "running" && state.apps.has(i.appId))) out.add(i.appId);
  }
  return out;
}

/** `instances` marked to be wiped: stopped (their tasks killed when alive), their reservations destroyed once over. */
export function wiped(instances: readonly InstanceRecord[], nowMs: number): InstanceRecord[] {
  return instances.flatMap((i) =>
    i.resident && !i.resident.wipe
      ? [{ ...i, goal: "stopped" as const, ...(isTerminal(i.state) ? {} : { killAskedAt: nowMs }), resident: { ...i.resident, wipe: true } }]
      : [],
  );
}

/** Every resident instance of `appId` (suspended ones included), for a wipe. */
export const residentInstancesOf = (state: Pick<ServicesState, "instances">, appId: string): InstanceRecord[] =>
  [...state.instances.values()].filter((i) => i.appId === appId && i.resident !== undefined);
