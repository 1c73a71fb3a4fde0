/**
 * Strata's explanation of an app (`GET /v2/apps/{id}?strataExplain=true`, off by default so that
 * Marathon clients read Marathon's shape exactly): its last deployment failure
 * (deployment-deadline.ts) and which instances run which version of its definition — after a
 * forced change or a cancelled deployment, instances of several versions may run side by side,
 * and Marathon's answer does not say which.
 */
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import { strataDeploymentFailureJson } from "./deployment-deadline.ts";
import { type AppRecord, instancesOf, type ServicesState } from "./service-records.ts";

/** The Strata-only fields of `record`'s answer. */
export function appExplainJson(state: Pick<ServicesState, "instances">, record: AppRecord): Record<string, unknown> {
  const byVersion = new Map<number, string[]>();
  for (const i of instancesOf(state, record.app.id)) {
    if (i.goal !== "running") continue;
    byVersion.set(i.version, [...(byVersion.get(i.version) ?? []), i.taskId]);
  }
  const versions = [...byVersion.entries()]
    .sort(([a], [b]) => b - a)
    .map(([version, tasks]) => ({
      version: marathonTime(version),
      // Whether it runs the app's configuration now (a scale since does not change it).
      current: version >= record.lastConfigChangeAt,
      tasks,
    }));
  return { ...strataDeploymentFailureJson(record), strataInstancesByVersion: versions };
}
