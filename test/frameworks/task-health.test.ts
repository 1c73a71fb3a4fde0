import { describe, expect, it } from "vitest";
import { healthAfter, marathonRunChecks, mesosHealthCheck } from "../../frameworks/services/task-health.ts";
import { app } from "../support/services-fixtures.ts";

const checksOf = (healthChecks: unknown[], portDefinitions: unknown[] = [{ port: 0 }, { port: 0 }]) =>
  app({ id: "/web", cmd: "sleep 1", portDefinitions, healthChecks }).healthChecks;
const timing = { delay_seconds: 15, interval_seconds: 60, timeout_seconds: 20, consecutive_failures: 3, grace_period_seconds: 300 };

describe("mesosHealthCheck: Marathon's Mesos checks as the task's health_check", () => {
  const cases: Array<[string, unknown[], unknown]> = [
    [
      "MESOS_HTTP with Marathon's defaults, portIndex 0 → the first host port, path /",
      [{ protocol: "MESOS_HTTP" }],
      { type: "HTTP", ...timing, http: { scheme: "http", port: 31001, path: "/" } },
    ],
    [
      "MESOS_HTTPS on portIndex 1 with a path and its own timing",
      [
        {
          protocol: "MESOS_HTTPS",
          portIndex: 1,
          path: "/health",
          intervalSeconds: 2,
          timeoutSeconds: 1,
          gracePeriodSeconds: 5,
          delaySeconds: 0,
          maxConsecutiveFailures: 2,
        },
      ],
      {
        type: "HTTP",
        delay_seconds: 0,
        interval_seconds: 2,
        timeout_seconds: 1,
        consecutive_failures: 2,
        grace_period_seconds: 5,
        http: { scheme: "https", port: 31002, path: "/health" },
      },
    ],
    ["MESOS_TCP on a fixed port", [{ protocol: "MESOS_TCP", port: 8080 }], { type: "TCP", ...timing, tcp: { port: 8080 } }],
    [
      "COMMAND as a shell command",
      [{ protocol: "COMMAND", command: { value: "test -f /tmp/ok" } }],
      { type: "COMMAND", ...timing, command: { shell: true, value: "test -f /tmp/ok" } },
    ],
    ["no checks: none", [], undefined],
  ];
  it.each(cases)("%s", (_name, checks, expected) => {
    expect(mesosHealthCheck(checksOf(checks), [31001, 31002])).toEqual(expected);
  });
});

describe("marathonRunChecks: the deprecated checks Marathon ran itself", () => {
  it.each([
    [[{ protocol: "HTTP" }], [0]],
    [
      [{ protocol: "MESOS_HTTP" }, { protocol: "TCP" }, { protocol: "HTTPS" }],
      [1, 2],
    ],
    [[{ protocol: "COMMAND", command: { value: "true" } }], []],
    [[{}], [0]], // the protocol defaults to HTTP
  ])("%j → %j", (checks, expected) => {
    expect(marathonRunChecks(checksOf(checks))).toEqual(expected);
  });
});

describe("healthAfter", () => {
  it("follows the reports: first and last success, failures in a row and their cause", () => {
    const a = healthAfter(undefined, true, 1_000);
    expect(a).toEqual({ alive: true, consecutiveFailures: 0, firstSuccess: 1_000, lastSuccess: 1_000 });
    const b = healthAfter(a, false, 2_000, "HTTP 404");
    expect(b).toEqual({ alive: false, consecutiveFailures: 1, firstSuccess: 1_000, lastSuccess: 1_000, lastFailure: 2_000, lastFailureCause: "HTTP 404" });
    expect(healthAfter(b, true, 3_000)).toMatchObject({ alive: true, consecutiveFailures: 0, firstSuccess: 1_000, lastSuccess: 3_000, lastFailure: 2_000 });
  });
});
