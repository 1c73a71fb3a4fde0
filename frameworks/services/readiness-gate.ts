/**
 * The one question a deployment asks of readiness checks (readiness.ts): may this instance count
 * as ready? A new instance of an app with a readiness check counts only once its check passed
 * (Marathon's ReadinessBehavior: an instance is counted once healthy and ready); instances of an
 * older configuration and apps without a check are never held back. Apart from readiness.ts so
 * that deployments.ts can ask it without importing the checks' planning.
 */
import type { AppRecord, InstanceRecord } from "./service-records.ts";

/** Whether `i` has passed `record`'s readiness check, as a deployment counts it. */
export function instanceReady(record: AppRecord, i: InstanceRecord): boolean {
  return record.app.readinessChecks.length === 0 || i.version < record.lastConfigChangeAt || i.readiness?.ready === true;
}
