/**
 * One app changed through the API, decided purely (services-api.ts for `/v2/apps/{id}`,
 * bulk-update.ts for `/v2/apps`): a new definition (or a rollback to a stored one) is a rolling
 * deployment unless only `instances` changed, which stops the surplus (or starts more) at once.
 * The definitions arrive already parsed, normalised and checked (schemas/marathon/).
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import type { MarathonRefusal } from "../../schemas/marathon/marathon-error.ts";
import type { ApiAnswer, ApiContext, Served } from "./api-types.ts";
import { recordAt, unknownApp } from "./app-versions-api.ts";
import { deploymentAnswer, rollingChange } from "./deployment-api.ts";
import { deploymentsOf, sameButScale } from "./deployments.ts";
import { instancesToStop } from "./scale-planner.ts";
import { type AppRecord, type InstanceRecord, instancesOf, type ServicesState } from "./service-records.ts";

/** A refusal as an answer. */
export const refused = (r: MarathonRefusal): ApiAnswer => ({ status: r.status, json: r.body });

/** The instances of `record`'s app to stop now (all of them without a record), marked so. */
export function stops(state: ServicesState, record: AppRecord | undefined, appId: string, nowMs: number): InstanceRecord[] {
  const running = instancesOf(state, appId).filter((i) => i.goal === "running");
  const ids = new Set(record ? instancesToStop(record, running) : running.map((i) => i.taskId));
  return running.filter((i) => ids.has(i.taskId)).map((i) => ({ ...i, goal: "stopped" as const, killAskedAt: nowMs }));
}

/**
 * `existing` changed to `app`: a rolling deployment for a new configuration, else a scale change
 * that stops only the surplus (or starts more); a forced change ends the deployment it overrides.
 */
export function changeApp(state: ServicesState, existing: AppRecord, app: MarathonApp, ctx: ApiContext): Served {
  if (!sameButScale(existing.app, app)) return rollingChange(state, existing, app, ctx, 200);
  const record: AppRecord = { ...existing, app, version: ctx.nowMs, lastScalingAt: ctx.nowMs };
  return {
    answer: deploymentAnswer(200, ctx, record.version),
    changes: { apps: [record], removedApps: [], instances: stops(state, record, app.id, ctx.nowMs), removedDeployments: deploymentsOf(state, app.id) },
  };
}

/**
 * The definition a rollback to `version` brings back (AppHelpers.scala `rollback`): the stored
 * definition of that version, or Marathon's 404 when the app has no such version.
 */
export function rollbackTarget(state: ServicesState, ctx: ApiContext, id: string, version: string): { app: MarathonApp } | ApiAnswer {
  const old = recordAt(state, ctx, id, version);
  return old ? { app: { ...old.app, id } } : unknownApp(id, version);
}
