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
  timeoutSeconds: int32().optional(),
  delaySeconds: int32(0).optional(),
});
export type HealthCheckInput = z.output<typeof HealthCheckInput>;

/** A health check as Marathon keeps and shows it: its defaults filled, only the fields of its protocol. */
export interface HealthCheck {
  command?: { value: string };
  gracePeriodSeconds: number;
  /** HTTP and HTTPS checks (run by Marathon) only. */
  ignoreHttp1xx?: boolean;
  intervalSeconds: number;
  maxConsecutiveFailures: number;
  path?: string;
  port?: number;
  portIndex?: number;
  protocol: HealthCheckProtocol;
  timeoutSeconds: number;
  delaySeconds: number;
}

/** Marathon's health check defaults (healthCheck.raml): protocol HTTP, 300 s grace, a check every 60 s, … */
export const MARATHON_HEALTH_CHECK_DEFAULTS = {
  gracePeriodSeconds: 300,
  intervalSeconds: 60,
  maxConsecutiveFailures: 3,
  protocol: "HTTP",
  timeoutSeconds: 20,
  delaySeconds: 15,
  ignoreHttp1xx: false,
} as const;

/**
 * `check` with Marathon's defaults, in the shape Marathon writes it back
 * (raml/HealthCheckConversion.scala `appHealthCheckWrites`): a COMMAND check has no port, path
 * nor `ignoreHttp1xx`; TCP checks no path; HTTP and HTTPS checks (run by Marathon) always
 * `ignoreHttp1xx` and the default `delaySeconds` (Marathon's own checks have no delay of their own).
 */
export function withHealthCheckDefaults(check: HealthCheckInput): HealthCheck {
  const d = MARATHON_HEALTH_CHECK_DEFAULTS;
  const protocol = check.protocol ?? d.protocol;
  const marathonRun = protocol === "HTTP" || protocol === "HTTPS" || protocol === "TCP";
  const common = {
    gracePeriodSeconds: check.gracePeriodSeconds ?? d.gracePeriodSeconds,
    intervalSeconds: check.intervalSeconds ?? d.intervalSeconds,
    maxConsecutiveFailures: check.maxConsecutiveFailures ?? d.maxConsecutiveFailures,
    protocol,
    timeoutSeconds: check.timeoutSeconds ?? d.timeoutSeconds,
    delaySeconds: marathonRun ? d.delaySeconds : (check.delaySeconds ?? d.delaySeconds),
  };
  if (protocol === "COMMAND") return { ...(check.command && { command: check.command }), ...common };
  const http = protocol !== "TCP" && protocol !== "MESOS_TCP";
  return {
    ...common,
    ...((protocol === "HTTP" || protocol === "HTTPS") && { ignoreHttp1xx: check.ignoreHttp1xx ?? d.ignoreHttp1xx }),
    ...(http && check.path !== undefined && { path: check.path }),
    ...(check.port !== undefined && { port: check.port }),
    ...(check.portIndex !== undefined && { portIndex: check.portIndex }),
    ...(check.command && { command: check.command }),
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
