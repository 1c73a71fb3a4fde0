/**
 * Marathon's `ReadinessCheckResult` (mesosphere/marathon,
 * docs/docs/rest-api/public/api/v2/types/readinessCheckResult.raml): the last answer of a task's
 * readiness check, as an app's `readinessCheckResults` list it. `lastResponse` only when the
 * check says `preserveLastResponse`.
 */
export interface ReadinessCheckResult {
  name: string;
  taskId: string;
  ready: boolean;
  lastResponse?: { status: number; contentType: string; body: string };
}
