import { describe, expect, it } from "vitest";
import { TaskInfo } from "../../schemas/mesos.ts";
import { authorizationHeader } from "../../sdk/src/auth.ts";
import { Backoff, backoffDelay } from "../../sdk/src/backoff.ts";
import { base64Utf8, utf8FromBase64 } from "../../sdk/src/base64.ts";
import { takeScalars } from "../../sdk/src/offer-fit.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { commandTask, decodeTaskOutput, exitStatusOf } from "../../sdk/src/task-helpers.ts";

describe("commandTask", () => {
  it("builds a shell task that validates as a TaskInfo", () => {
    const task = commandTask({
      taskId: "t-1",
      agentId: { value: "a-1" },
      resources: [scalar("cpus", 0.1), scalar("mem", 32)],
      shell: "echo $GREETING",
      env: { GREETING: "hi" },
      killGracePeriodSeconds: 1.5,
      labels: { team: "infra" },
    });
    expect(task).toEqual({
      name: "t-1",
      task_id: { value: "t-1" },
      agent_id: { value: "a-1" },
      resources: [scalar("cpus", 0.1), scalar("mem", 32)],
      command: { shell: true, value: "echo $GREETING", environment: { variables: [{ name: "GREETING", type: "VALUE", value: "hi" }] } },
      kill_policy: { grace_period: { nanoseconds: 1_500_000_000 } },
      labels: { labels: [{ key: "team", value: "infra" }] },
    });
    expect(TaskInfo.parse(task)).toEqual(task);
  });

  it("carries a health check", () => {
    const health_check = { type: "HTTP" as const, http: { port: 8080, path: "/health" }, consecutive_failures: 2 };
    const task = commandTask({ taskId: "web", agentId: "a", resources: [], shell: "serve", healthCheck: health_check });
    expect(task.health_check).toEqual(health_check);
    expect(TaskInfo.parse(task).health_check).toMatchObject(health_check);
  });

  it("builds an argv task without a shell", () => {
    const task = commandTask({ name: "list", taskId: "t-2", agentId: "a", resources: [], command: ["/bin/ls", "-l", "/tmp"] });
    expect(task.name).toBe("list");
    expect(task.command).toEqual({ shell: false, value: "/bin/ls", arguments: ["/bin/ls", "-l", "/tmp"] });
    expect(task.kill_policy).toBeUndefined();
  });

  it("needs exactly one of shell and command", () => {
    expect(() => commandTask({ taskId: "t", agentId: "a", resources: [] })).toThrow(/exactly one/);
    expect(() => commandTask({ taskId: "t", agentId: "a", resources: [], shell: "x", command: ["y"] })).toThrow(/exactly one/);
    expect(() => commandTask({ taskId: "t", agentId: "a", resources: [], command: [] })).toThrow(/executable/);
  });
});

describe("task status helpers", () => {
  it("decodes base64 UTF-8 output", () => {
    expect(decodeTaskOutput({ data: base64Utf8("Linux host 6.1 — ok ✓\n") })).toBe("Linux host 6.1 — ok ✓\n");
    expect(decodeTaskOutput({})).toBe("");
    expect(decodeTaskOutput({ data: "!!!not base64" })).toBe("");
  });

  it.each([
    ["Command exited with status 0", 0],
    ["Command exited with status 137", 137],
    ["command EXITED WITH STATUS 2 (after 3s)", 2],
    ["Command terminated with signal Killed", undefined],
    [undefined, undefined],
  ])("exitStatusOf(%s) = %s", (message, expected) => {
    expect(exitStatusOf({ message })).toBe(expected);
  });
});

describe("auth and base64", () => {
  it("builds Basic and Bearer headers", () => {
    expect(authorizationHeader({ principal: "fw", secret: "s3cret" })).toBe(`Basic ${Buffer.from("fw:s3cret").toString("base64")}`);
    expect(authorizationHeader({ principal: "jürgen", secret: "pässwörd🔑" })).toBe(`Basic ${Buffer.from("jürgen:pässwörd🔑", "utf8").toString("base64")}`);
    expect(authorizationHeader({ token: "abc.def" })).toBe("Bearer abc.def");
    expect(authorizationHeader(undefined)).toBeUndefined();
  });

  it("round trips UTF-8 through base64", () => {
    for (const s of ["", "a", "héllo", "日本語", "🚀🚀", "\u0000\u00ff"]) expect(utf8FromBase64(base64Utf8(s))).toBe(s);
  });
});

describe("backoffDelay", () => {
  it("grows exponentially, is capped, and jitters within [cap/2, cap]", () => {
    const opts = { initialMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, opts, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, opts, () => 0))).toEqual([50, 100, 200, 400, 500]);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(2, opts);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });
});

describe("Backoff", () => {
  it("doubles without jitter up to the cap, and starts over after reset()", () => {
    const b = new Backoff(500, 5_000);
    expect([1, 2, 3, 4, 5, 6].map(() => b.next())).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    b.reset();
    expect(b.next()).toBe(500);
  });

  it("jitters with an injected random", () => {
    const b = new Backoff(100, 1000, () => 0);
    expect([1, 2, 3].map(() => b.next())).toEqual([50, 100, 200]);
  });
});

describe("takeScalars", () => {
  const offered = [
    { ...scalar("cpus", 0.5, "dev"), allocation_info: { role: "dev" } },
    { ...scalar("cpus", 1, "*"), allocation_info: { role: "dev" } },
    { ...scalar("mem", 64, "*"), allocation_info: { role: "dev" } },
    { name: "ports", type: "RANGES" as const, ranges: { range: [{ begin: 1, end: 2 }] } },
  ];

  it("takes quantities from the offer's own entries, across roles, keeping allocation_info", () => {
    expect(takeScalars(offered, { cpus: 0.8, mem: 32 })).toEqual([
      { ...scalar("cpus", 0.5, "dev"), allocation_info: { role: "dev" } },
      { ...scalar("cpus", 0.3, "*"), allocation_info: { role: "dev" } },
      { ...scalar("mem", 32, "*"), allocation_info: { role: "dev" } },
    ]);
  });

  it("is undefined when a quantity does not fit", () => {
    expect(takeScalars(offered, { cpus: 1.6 })).toBeUndefined();
    expect(takeScalars(offered, { cpus: 0.1, gpus: 1 })).toBeUndefined();
    expect(takeScalars(offered, {})).toEqual([]);
  });
});
