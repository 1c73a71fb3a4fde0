/**
 * An app's health check as the agent runs it, and an instance's health as Marathon shows it.
 * Marathon hands its Mesos checks (MESOS_HTTP, MESOS_HTTPS, MESOS_TCP, COMMAND) to Mesos as the
 * task's `health_check` (mesosphere/marathon, core/health/MesosHealthCheck.scala `toMesos`):
 * `portIndex` names the task's host port (or `port` a fixed one), the timing fields carry over
 * (`delaySeconds` → `delay_seconds`, `maxConsecutiveFailures` → `consecutive_failures`, …) and
 * the agent kills the task after that many failures in a row. The HTTP, HTTPS and TCP checks that
 * Marathon ran itself were deprecated by Marathon (1.4: "use Mesos health checks instead") and
 * Strata has no Marathon-side prober: an app naming one is refused (`marathonRunChecks`).
 */
import type { HealthCheck as MarathonHealthCheck } from "../../schemas/marathon/health-checks.ts";
import type { HealthCheck as MesosHealthCheck } from "../../schemas/mesos.ts";

/** The refusal text of a Marathon-run check. */
export const MARATHON_RUN_CHECK =
  "HTTP, HTTPS and TCP health checks run by Marathon itself are deprecated by Marathon and not run by Strata: use MESOS_HTTP, MESOS_HTTPS or MESOS_TCP (run by the agent)";

/** The indices of the checks of `checks` that Marathon would run itself (HTTP, HTTPS, TCP). */
export function marathonRunChecks(checks: readonly MarathonHealthCheck[]): number[] {
  return checks.flatMap((c, i) => (c.protocol === "HTTP" || c.protocol === "HTTPS" || c.protocol === "TCP" ? [i] : []));
}

/** The Mesos `health_check` of an instance with `hostPorts`, or undefined when the app has no Mesos check. */
export function mesosHealthCheck(checks: readonly MarathonHealthCheck[], hostPorts: readonly number[]): MesosHealthCheck | undefined {
  const c = checks.find((h) => h.protocol === "COMMAND" || h.protocol.startsWith("MESOS_"));
  if (!c) return undefined;
  const timing = {
    delay_seconds: c.delaySeconds,
    interval_seconds: c.intervalSeconds,
    timeout_seconds: c.timeoutSeconds,
    consecutive_failures: c.maxConsecutiveFailures,
    grace_period_seconds: c.gracePeriodSeconds,
  };
  if (c.protocol === "COMMAND") return { type: "COMMAND", ...timing, command: { shell: true, value: c.command?.value ?? "" } };
  const port = c.port ?? hostPorts[c.portIndex ?? 0] ?? 0;
  if (c.protocol === "MESOS_TCP") return { type: "TCP", ...timing, tcp: { port } };
  return {
    type: "HTTP",
    ...timing,
    http: { scheme: c.protocol === "MESOS_HTTPS" ? "https" : "http", port, path: c.path ?? "/" },
  };
}

/** What the framework has heard of an instance's health (from the `healthy` of its status updates). */
export interface InstanceHealth {
  /** The latest `healthy` reported. */
  alive: boolean;
  consecutiveFailures: number;
  firstSuccess?: number;
  lastSuccess?: number;
  lastFailure?: number;
  lastFailureCause?: string;
}

/** `health` after an update saying `healthy` at `nowMs` (with the update's `message`). */
export function healthAfter(health: InstanceHealth | undefined, healthy: boolean, nowMs: number, message?: string): InstanceHealth {
  const h: InstanceHealth = health ? { ...health } : { alive: healthy, consecutiveFailures: 0 };
  h.alive = healthy;
  if (healthy) {
    h.consecutiveFailures = 0;
    h.firstSuccess ??= nowMs;
    h.lastSuccess = nowMs;
  } else {
    h.consecutiveFailures += 1;
    h.lastFailure = nowMs;
    if (message) h.lastFailureCause = message;
  }
  return h;
}
