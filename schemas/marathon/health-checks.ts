/**
 * An app's health and readiness checks as Marathon reads them (mesosphere/marathon,
 * docs/docs/rest-api/public/api/v2/types/healthCheck.raml `AppHealthCheck`, readinessCheck.raml),
 * with Marathon's defaults.
 */
import { z } from "zod";
import { freeText, list } from "../bounded.ts";
import { anyPort, int32, legacyName, marathonEnum, uriText } from "./marathon-types.ts";

/** `AppHealthCheckProtocol`: the HTTP/HTTPS/TCP checks Marathon runs itself, the rest the agent runs. */
export const HealthCheckProtocol = marathonEnum(["HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_TCP", "MESOS_HTTP", "MESOS_HTTPS"] as const);
export type HealthCheckProtocol = z.output<typeof HealthCheckProtocol>;

/** The protocols a Mesos agent runs (Marathon allows at most one such check per app). */
export const MESOS_CHECK_PROTOCOLS: ReadonlySet<HealthCheckProtocol> = new Set(["COMMAND", "MESOS_TCP", "MESOS_HTTP", "MESOS_HTTPS"]);

/** `AppHealthCheck` as sent (no defaults). */
export const HealthCheckInput = z.object({
  command: z.object({ value: freeText() }).optional(),
  gracePeriodSeconds: int32(0).optional(),
  ignoreHttp1xx: z.boolean().optional(),
  intervalSeconds: int32(0).optional(),
  maxConsecutiveFailures: int32(0).optional(),
  path: freeText().optional(),
  port: anyPort().optional(),
  portIndex: anyPort().optional(),
  protocol: HealthCheckProtocol.optional(),
  ipProtocol: marathonEnum(["IPv4", "IPv6"] as const).optional(),
  timeoutSeconds: int32().optional(),
  delaySeconds: int32(0).optional(),
});
export type HealthCheckInput = z.output<typeof HealthCheckInput>;

/** A health check with Marathon's defaults filled. */
export type HealthCheck = HealthCheckInput & {
  gracePeriodSeconds: number;
  intervalSeconds: number;
  maxConsecutiveFailures: number;
  protocol: HealthCheckProtocol;
  timeoutSeconds: number;
  delaySeconds: number;
};

/** Marathon's health check defaults (healthCheck.raml): protocol HTTP, 300 s grace, a check every 60 s, … */
export const HEALTH_CHECK_DEFAULTS = {
  gracePeriodSeconds: 300,
  intervalSeconds: 60,
  maxConsecutiveFailures: 3,
  protocol: "HTTP",
  timeoutSeconds: 20,
  delaySeconds: 15,
} as const;

/** `check` with Marathon's defaults. */
export function withHealthCheckDefaults(check: HealthCheckInput): HealthCheck {
  return {
    ...check,
    gracePeriodSeconds: check.gracePeriodSeconds ?? HEALTH_CHECK_DEFAULTS.gracePeriodSeconds,
    intervalSeconds: check.intervalSeconds ?? HEALTH_CHECK_DEFAULTS.intervalSeconds,
    maxConsecutiveFailures: check.maxConsecutiveFailures ?? HEALTH_CHECK_DEFAULTS.maxConsecutiveFailures,
    protocol: check.protocol ?? HEALTH_CHECK_DEFAULTS.protocol,
    timeoutSeconds: check.timeoutSeconds ?? HEALTH_CHECK_DEFAULTS.timeoutSeconds,
    delaySeconds: check.delaySeconds ?? HEALTH_CHECK_DEFAULTS.delaySeconds,
  };
}

/** `ReadinessCheck` as sent (no defaults). */
export const ReadinessCheckInput = z.object({
  name: freeText().min(1).optional(),
  protocol: marathonEnum(["HTTP", "HTTPS"] as const).optional(),
  path: uriText().optional(),
  portName: legacyName().optional(),
  intervalSeconds: int32(0).optional(),
  timeoutSeconds: int32(1).optional(),
  httpStatusCodesForReady: list(int32(100).max(999)).min(1).optional(),
  preserveLastResponse: z.boolean().optional(),
});
export type ReadinessCheckInput = z.output<typeof ReadinessCheckInput>;

/** A readiness check with every field filled. */
export type ReadinessCheck = Required<ReadinessCheckInput>;

/** Marathon's readiness check defaults (readinessCheck.raml; 200 is `DefaultHttpStatusCodesForReady`). */
export const READINESS_CHECK_DEFAULTS = {
  name: "readinessCheck",
  protocol: "HTTP",
  path: "/",
  portName: "http-api",
  intervalSeconds: 30,
  timeoutSeconds: 10,
  httpStatusCodesForReady: [200],
  preserveLastResponse: false,
} as const;

/** `check` with Marathon's defaults. */
export function withReadinessDefaults(check: ReadinessCheckInput): ReadinessCheck {
  const d = READINESS_CHECK_DEFAULTS;
  return {
    name: check.name ?? d.name,
    protocol: check.protocol ?? d.protocol,
    path: check.path ?? d.path,
    portName: check.portName ?? d.portName,
    intervalSeconds: check.intervalSeconds ?? d.intervalSeconds,
    timeoutSeconds: check.timeoutSeconds ?? d.timeoutSeconds,
    httpStatusCodesForReady: check.httpStatusCodesForReady ?? [...d.httpStatusCodesForReady],
    preserveLastResponse: check.preserveLastResponse ?? d.preserveLastResponse,
  };
}
