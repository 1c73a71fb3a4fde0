/**
 * Strata's "deployments never hang silently" (issue 12, "Better than Marathon"), decided purely.
 * Marathon lets a deployment wait forever for instances that never turn healthy; an app may ask
 * Strata for a deadline instead, in its labels (the room Marathon leaves for data of its own):
 *
 * - `STRATA_DEPLOYMENT_DEADLINE_SECONDS`: a deployment of the app still running this many seconds
 *   after it started (its version) fails: it is removed from `/v2/deployments`, `deployment_failed`
 *   is emitted and the reason is kept as the app's last deployment failure; the instances stay as
 *   they are (no more old ones are stopped).
 * - `STRATA_DEPLOYMENT_ROLLBACK=true`: a failed deployment is rolled back, as a new deployment, to
 *   the definition the app had before (a rollback that fails in turn is not rolled back again).
 *
 * Cancelling never leaves an app with no instance: a rollback (DELETE `/v2/deployments/{id}`, or
 * one after a deadline) keeps at least one of the running instances until a replacement is
 * healthy (rolling-restart.ts `keepOneRunning`), one over capacity where the strategy would otherwise kill them all.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { revertChanges } from "./deployment-api.ts";
import { affectedApps, instanceHealthy } from "./deployments.ts";
import {
  type AppRecord,
  type DeploymentFailure,
  type DeploymentRecord,
  type GroupRecord,
  type InstanceRecord,
  instancesOf,
  type ServicesState,
} from "./service-records.ts";

/** The label naming the deadline in seconds (a positive number). */
export const DEADLINE_LABEL = "STRATA_DEPLOYMENT_DEADLINE_SECONDS";
/** The label asking for a rollback once the deadline has passed (`true` or `false`, any case). */
export const ROLLBACK_LABEL = "STRATA_DEPLOYMENT_ROLLBACK";
/** The longest deadline: one year. */
const MAX_DEADLINE_SECONDS = 365 * 24 * 3600;

/** An app's deadline and whether to roll back after it. */
export interface DeadlinePolicy {
  seconds: number;
  rollback: boolean;
}

const DEADLINE_TEXT = /^\s*\d+(\.\d+)?\s*$/;

/** The label refusals of `labels`, as [path, message] pairs for Marathon's "Object is not valid". */
export function deadlineLabelProblems(labels: Readonly<Record<string, string>>): Array<readonly [string, string]> {
  const problems: Array<readonly [string, string]> = [];
  const deadline = labels[DEADLINE_LABEL];
  if (deadline !== undefined && !(DEADLINE_TEXT.test(deadline) && Number(deadline) > 0 && Number(deadline) <= MAX_DEADLINE_SECONDS)) {
    problems.push([`/labels/${DEADLINE_LABEL}`, `must be a number of seconds above 0 and at most ${MAX_DEADLINE_SECONDS}`]);
  }
  const rollback = labels[ROLLBACK_LABEL];
  if (rollback !== undefined && !/^(true|false)$/i.test(rollback.trim())) problems.push([`/labels/${ROLLBACK_LABEL}`, "must be true or false"]);
  if (rollback !== undefined && deadline === undefined) problems.push([`/labels/${ROLLBACK_LABEL}`, `needs ${DEADLINE_LABEL}`]);
  return problems;
}

/** `app`'s deadline policy, or undefined when it has none (or its labels are not valid). */
export function deadlinePolicy(app: MarathonApp): DeadlinePolicy | undefined {
  if (deadlineLabelProblems(app.labels).length > 0) return undefined;
  const seconds = app.labels[DEADLINE_LABEL];
  if (seconds === undefined) return undefined;
  return { seconds: Number(seconds), rollback: /^true$/i.test((app.labels[ROLLBACK_LABEL] ?? "").trim()) };
}

/** How far app `record` of a failed deployment came. */
function progressOf(state: Pick<ServicesState, "instances">, record: AppRecord): string {
  const mine = instancesOf(state, record.app.id).filter((i) => i.goal === "running");
  const fresh = mine.filter((i) => i.version >= record.lastConfigChangeAt);
  const healthy = fresh.filter((i) => instanceHealthy(record, i)).length;
  const old = mine.length - fresh.length;
  return `${record.app.id}: ${healthy} of ${record.app.instances} new instances healthy, ${old} old instance${old === 1 ? "" : "s"} left`;
}

/** The deadline of deployment `d`: the shortest among the apps it rolls out (as they are now) that name one. */
export function deadlineOf(state: Pick<ServicesState, "apps">, d: DeploymentRecord): DeadlinePolicy | undefined {
  let out: DeadlinePolicy | undefined;
  for (const id of affectedApps(d)) {
    const app = state.apps.get(id)?.app;
    const policy = app && deadlinePolicy(app);
    if (policy && (!out || policy.seconds < out.seconds)) out = policy;
  }
  return out;
}

/** One deployment past its deadline. */
export interface ExpiredDeployment {
  deployment: DeploymentRecord;
  reason: string;
  /** The rollback deployment started in its place. */
  rollback?: DeploymentRecord;
}

/** What the deadlines ask for at `nowMs`: the deployments that failed, and what to commit. */
export interface DeadlineOutcome {
  expired: ExpiredDeployment[];
  /** Apps changed: the failure recorded, or rolled back (a new version). */
  apps: AppRecord[];
  /** Of `apps`, those that are a new version (the rollbacks). */
  newVersions: AppRecord[];
  /** Apps a rollback removes (those the failed deployment created). */
  removedApps: string[];
  /** Instances a rollback stops at once. */
  instances: InstanceRecord[];
  /** Rollback deployments started. */
  deployments: DeploymentRecord[];
  /** The failed deployments. */
  removedDeployments: string[];
  /** The groups a rollback of a group change restores or removes. */
  groups: GroupRecord[];
  removedGroups: string[];
}

/**
 * The deployments of `state` past their deadline at `nowMs` (counted from their start): failed,
 * and rolled back where asked, as a new deployment (revertChanges, deployment-api.ts) that is
 * not rolled back again. Every app of a failed deployment records the failure.
 */
export function expireDeployments(state: ServicesState, nowMs: number, uuid: () => string): DeadlineOutcome {
  const out: DeadlineOutcome = {
    expired: [],
    apps: [],
    newVersions: [],
    removedApps: [],
    instances: [],
    deployments: [],
    removedDeployments: [],
    groups: [],
    removedGroups: [],
  };
  for (const d of state.deployments.values()) {
    const policy = deadlineOf(state, d);
    if (!policy || nowMs < d.version + policy.seconds * 1000) continue;
    const records = affectedApps(d).flatMap((id) => state.apps.get(id) ?? []);
    const reason = `Deployment ${d.id} did not finish within ${policy.seconds} s (${DEADLINE_LABEL}): ${records.map((r) => progressOf(state, r)).join("; ")}`;
    const failure: DeploymentFailure = { deploymentId: d.id, version: d.version, at: nowMs, reason };
    const reverted = policy.rollback && d.rollbackOf === undefined ? revertChanges(state, d, uuid(), nowMs, { rollbackOf: d.id }) : undefined;
    if (!reverted || "cycle" in reverted) {
      out.expired.push({ deployment: d, reason });
      out.removedDeployments.push(d.id);
      out.apps.push(...records.map((r) => ({ ...r, lastDeploymentFailure: failure })));
      continue;
    }
    const rollback = reverted.deployments!.at(-1)!;
    const marked = reverted.apps.map((r) => ({ ...r, lastDeploymentFailure: { ...failure, rollbackDeploymentId: rollback.id } }));
    out.expired.push({ deployment: d, reason, rollback });
    out.apps.push(...marked);
    out.newVersions.push(...marked);
    out.removedApps.push(...reverted.removedApps);
    out.instances.push(...reverted.instances);
    out.deployments.push(...(reverted.deployments ?? []));
    out.removedDeployments.push(...(reverted.removedDeployments ?? []));
    out.groups.push(...(reverted.groups ?? []));
    out.removedGroups.push(...(reverted.removedGroups ?? []));
  }
  return out;
}

/** The Strata-only part of an app's answer with `strataExplain=true`: its last deployment failure (`null` when none). */
export function strataDeploymentFailureJson(record: AppRecord): Record<string, unknown> {
  const f = record.lastDeploymentFailure;
  return {
    strataLastDeploymentFailure: f
      ? {
          deploymentId: f.deploymentId,
          version: new Date(f.version).toISOString(),
          failedAt: new Date(f.at).toISOString(),
          reason: f.reason,
          ...(f.rollbackDeploymentId ? { rollbackDeploymentId: f.rollbackDeploymentId } : {}),
        }
      : null,
  };
}
