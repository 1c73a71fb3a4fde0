/**
 * Health checks (Mesos `HealthCheck`) without zod at run time: the defaults of its timing fields
 * and the checks across its fields, shared by the master (which refuses a bad check before the
 * launch, TASK_ERROR / REASON_TASK_INVALID, as Mesos' task validation does) and the agent
 * (which runs the checks: agent-bun/src/health/health-checker.ts).
 */
import type { HealthCheck } from "./mesos.ts";

/**
 * Mesos' defaults (include/mesos/v1/mesos.proto), in seconds: wait 15 s before the first
 * check, then one every 10 s; a check taking over 20 s fails; 3 failures in a row kill the task;
 * failures in the first 10 s after the launch do not count until a check has once succeeded.
 */
export const HEALTH_CHECK_DEFAULTS = {
  delay_seconds: 15,
  interval_seconds: 10,
  timeout_seconds: 20,
  consecutive_failures: 3,
  grace_period_seconds: 10,
} as const;

const validPort = (port: number) => port >= 1 && port <= 65_535;

/**
 * What is wrong with a health check (its field path and why), or undefined. Mirrors Mesos'
 * validation: `type` must be given and its section present; a command needs a value; an HTTP
 * check's scheme is http or https and its path starts with "/". Ports must be real ports and
 * `statuses` real HTTP status codes (Mesos does not check these; a user would expect it to).
 */
export function healthCheckProblem(check: HealthCheck): string | undefined {
  switch (check.type) {
    case undefined:
    case "UNKNOWN":
      return "health_check.type: required (COMMAND, HTTP or TCP)";
    case "COMMAND":
      if (!check.command) return "health_check.command: required for a COMMAND health check";
      if (!check.command.value) return "health_check.command.value: required (the command to run)";
      return undefined;
    case "HTTP": {
      const http = check.http;
      if (!http) return "health_check.http: required for an HTTP health check";
      if (http.scheme !== undefined && http.scheme !== "http" && http.scheme !== "https") {
        return `health_check.http.scheme: '${http.scheme}' is not supported (http or https)`;
      }
      if (!validPort(http.port)) return `health_check.http.port: ${http.port} is not a port (1-65535)`;
      if (http.path !== undefined && !http.path.startsWith("/")) return `health_check.http.path: '${http.path}' must start with '/'`;
      const bad = http.statuses?.find((s) => s < 100 || s > 599);
      if (bad !== undefined) return `health_check.http.statuses: ${bad} is not an HTTP status code`;
      return undefined;
    }
    case "TCP":
      if (!check.tcp) return "health_check.tcp: required for a TCP health check";
      if (!validPort(check.tcp.port)) return `health_check.tcp.port: ${check.tcp.port} is not a port (1-65535)`;
      return undefined;
  }
}

/** The loopback address a check of this protocol targets (Mesos probes 127.0.0.1, or ::1 for IPv6). */
export const checkHost = (protocol: "IPv4" | "IPv6" | undefined): string => (protocol === "IPv6" ? "::1" : "127.0.0.1");

/** One line naming a check, for logs and the message of the kill it causes: `HTTP GET http://127.0.0.1:8080/health`. */
export function describeHealthCheck(check: HealthCheck): string {
  if (check.type === "COMMAND") return `COMMAND '${check.command?.value ?? ""}'`;
  if (check.type === "HTTP" && check.http) return `HTTP GET ${httpCheckUrl(check.http)}`;
  if (check.type === "TCP" && check.tcp) return `TCP ${hostPort(checkHost(check.tcp.protocol), check.tcp.port)}`;
  return `${check.type ?? "UNKNOWN"} health check`;
}

/** The URL an HTTP check requests. */
export function httpCheckUrl(http: NonNullable<HealthCheck["http"]>): string {
  return `${http.scheme ?? "http"}://${hostPort(checkHost(http.protocol), http.port)}${http.path ?? "/"}`;
}

const hostPort = (host: string, port: number) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);
