/// <reference types="node" />
/**
 * Health checks (Mesos `HealthCheck`): the checker's timing and counting with a fake clock and
 * a scripted probe; the agent's reports and kills with fakes; the real COMMAND, HTTP and TCP
 * probes against real processes and servers on this machine; the master-side validation.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { type AddressInfo, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ProcessContainerizer } from "../../../agent-bun/src/containerizers/process-containerizer.ts";
import { Agent } from "../../../agent-bun/src/core/agent.ts";
import { HealthChecker, healthTiming, type ProbeResult } from "../../../agent-bun/src/health/health-checker.ts";
import { commandProbe, type HealthProber, type HealthTarget, httpProbe, LocalHealthProber, tcpProbe } from "../../../agent-bun/src/health/health-probes.ts";
import { detectCgroups, type LinuxCgroups } from "../../../agent-bun/src/isolation/cgroups.ts";
import { sandboxPath } from "../../../agent-bun/src/sandbox/paths.ts";
import { MemoryCheckpointStore, StateStore } from "../../../agent-bun/src/state/checkpoint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import type { AgentCommand } from "../../../schemas/agent.ts";
import * as wire from "../../../schemas/agent-wire.ts";
import { describeHealthCheck, HEALTH_CHECK_DEFAULTS, healthCheckProblem } from "../../../schemas/health-check.ts";
import { HealthCheck, type TaskInfo } from "../../../schemas/mesos.ts";
import { parseMessage } from "../../../schemas/parse.ts";
import { FakeClock, FakeContainerizer, FakeMaster, settle } from "../fakes.ts";

const S = 1000;

/** A probe whose answers the test queues; records each call's abort signal. */
class ScriptedProbe {
  readonly calls: AbortSignal[] = [];
  /** Answers for the next calls, in order; when empty the probe answers `fallback`. */
  readonly answers: Array<ProbeResult | "hang"> = [];
  fallback: ProbeResult | "hang" = { ok: true, message: "ok" };

  readonly probe = (signal: AbortSignal): Promise<ProbeResult> => {
    this.calls.push(signal);
    const answer = this.answers.shift() ?? this.fallback;
    return answer === "hang" ? new Promise(() => {}) : Promise.resolve(answer);
  };
}

const ok: ProbeResult = { ok: true, message: "exit status 0" };
const bad: ProbeResult = { ok: false, message: "command exited with status 1" };

/** A checker started on a fake clock with a probe answering `answers`, then `fallback`. */
function checker(check: HealthCheck, answers: Array<ProbeResult | "hang"> = [], fallback: ProbeResult | "hang" = ok) {
  const clock = new FakeClock();
  const probe = new ScriptedProbe();
  probe.answers.push(...answers);
  probe.fallback = fallback;
  const changes: boolean[] = [];
  const kills: string[] = [];
  const hc = new HealthChecker(check, probe.probe, clock, { healthChanged: (h) => changes.push(h), kill: (m) => kills.push(m) });
  return { clock, probe, changes, kills, hc };
}

const cmdCheck = (extra: Partial<HealthCheck> = {}): HealthCheck => ({ type: "COMMAND", command: { value: "exit 1" }, ...extra });

describe("HealthChecker (fake clock, scripted probe)", () => {
  it("uses Mesos' defaults: first check after 15 s, then every 10 s", async () => {
    expect(healthTiming({})).toEqual({ delayMs: 15 * S, intervalMs: 10 * S, timeoutMs: 20 * S, graceMs: 10 * S, maxFailures: 3 });
    const { clock, probe, hc } = checker(cmdCheck());
    await clock.advance(14_999);
    expect(probe.calls).toHaveLength(0);
    await clock.advance(1);
    expect(probe.calls).toHaveLength(1);
    await clock.advance(9_999);
    expect(probe.calls).toHaveLength(1);
    await clock.advance(1);
    expect(probe.calls).toHaveLength(2);
    hc.stop();
    await hc.done;
  });

  it("reports the first result and then only changes of health", async () => {
    const { clock, probe, changes, kills, hc } = checker(
      cmdCheck({ delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 0, consecutive_failures: 5 }),
      [ok, ok, ok, bad, bad, ok, ok],
    );
    await settle();
    for (let i = 0; i < 6; i++) await clock.advance(S);
    expect(probe.calls).toHaveLength(7);
    expect(changes).toEqual([true, false, true]);
    expect(kills).toEqual([]);
    hc.stop();
    await hc.done;
  });

  it("ignores failures in the grace period until a check first succeeds, then kills after consecutive_failures", async () => {
    const { clock, probe, changes, kills, hc } = checker(
      cmdCheck({ delay_seconds: 1, interval_seconds: 2, grace_period_seconds: 6, consecutive_failures: 3 }),
      [],
      bad,
    );
    // Checks at 1, 3, 5 s fall inside the grace period: not counted, not reported.
    for (let t = 0; t < 5; t++) await clock.advance(S);
    expect(probe.calls).toHaveLength(3);
    expect(changes).toEqual([]);
    // 7 s: first counted failure (unhealthy), 9 s: second, 11 s: third → kill.
    await clock.advance(2 * S);
    expect(changes).toEqual([false]);
    await clock.advance(2 * S);
    expect(kills).toEqual([]);
    await clock.advance(2 * S);
    expect(kills).toHaveLength(1);
    expect(kills[0]).toBe("Task killed after 3 consecutive failed health checks (COMMAND 'exit 1'): command exited with status 1");
    await hc.done; // the loop ends by itself after the kill
    await clock.advance(10 * S);
    expect(probe.calls).toHaveLength(6);
  });

  it("counts failures inside the grace period once a check has succeeded", async () => {
    const { clock, changes, kills } = checker(cmdCheck({ delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 100, consecutive_failures: 2 }), [
      ok,
      bad,
      bad,
    ]);
    await settle();
    await clock.advance(S);
    await clock.advance(S);
    expect(changes).toEqual([true, false]);
    expect(kills).toHaveLength(1);
  });

  it("a success resets the count of consecutive failures", async () => {
    const { clock, probe, kills, hc } = checker(cmdCheck({ delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 0, consecutive_failures: 2 }), [
      bad,
      ok,
      bad,
      ok,
      bad,
    ]);
    await settle();
    for (let i = 0; i < 4; i++) await clock.advance(S);
    expect(probe.calls).toHaveLength(5);
    expect(kills).toEqual([]);
    hc.stop();
    await hc.done;
  });

  it("a check that takes longer than timeout_seconds fails and is aborted", async () => {
    const { clock, probe, changes, kills } = checker(
      cmdCheck({ delay_seconds: 0, interval_seconds: 1, timeout_seconds: 2, grace_period_seconds: 0, consecutive_failures: 1 }),
      [],
      "hang",
    );
    await settle();
    expect(probe.calls).toHaveLength(1);
    await clock.advance(1999);
    expect(probe.calls[0]!.aborted).toBe(false);
    expect(changes).toEqual([]);
    await clock.advance(1);
    expect(probe.calls[0]!.aborted).toBe(true);
    expect(changes).toEqual([false]);
    expect(kills[0]).toMatch(/\(COMMAND 'exit 1'\): timed out after 2 s$/);
  });

  it("a probe that throws counts as a failure with its error", async () => {
    const clock = new FakeClock();
    const kills: string[] = [];
    new HealthChecker(
      { type: "TCP", tcp: { port: 9 }, delay_seconds: 0, grace_period_seconds: 0, consecutive_failures: 1 },
      () => Promise.reject(new Error("boom")),
      clock,
      { healthChanged: () => {}, kill: (m) => kills.push(m) },
    );
    await settle();
    expect(kills).toEqual(["Task killed after 1 consecutive failed health checks (TCP 127.0.0.1:9): boom"]);
  });

  it("stop() aborts the check under way and starts no other", async () => {
    const { clock, probe, changes, hc } = checker(cmdCheck({ delay_seconds: 0 }), [], "hang");
    await settle();
    hc.stop();
    await hc.done;
    expect(probe.calls[0]!.aborted).toBe(true);
    await clock.advance(100 * S);
    expect(probe.calls).toHaveLength(1);
    expect(changes).toEqual([]);
  });
});

// ---- The agent with fakes ----

const task = (id: string, extra: Partial<TaskInfo> = {}): TaskInfo => ({
  name: id,
  task_id: { value: id },
  agent_id: { value: "agent-1" },
  resources: [{ name: "mem", type: "SCALAR", scalar: { value: 64 } }],
  command: { value: "sleep 1000" },
  ...extra,
});
const launch = (seq: number, t: TaskInfo): AgentCommand => ({ seq, type: "LAUNCH", framework_id: { value: "fw1" }, task: t });

/** A prober handing out one scripted probe per task (by task id). */
class FakeProber implements HealthProber {
  readonly probes = new Map<string, ScriptedProbe>();
  readonly targets: HealthTarget[] = [];
  /** What every probe answers. */
  fallback: ProbeResult = ok;
  probeFor(target: HealthTarget) {
    this.targets.push(target);
    const p = new ScriptedProbe();
    p.fallback = this.fallback;
    this.probes.set(target.spec.task.task_id.value, p);
    return p.probe;
  }
}

const agents: Agent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.stop();
  await settle();
});

function setupAgent() {
  const master = new FakeMaster();
  const containerizer = new FakeContainerizer();
  const clock = new FakeClock();
  const prober = new FakeProber();
  const agent = new Agent({
    client: master,
    store: new StateStore(new MemoryCheckpointStore()),
    containerizer,
    clock,
    log: silentLogger,
    workDir: "/srv/agent",
    pollWaitSeconds: 25,
    healthProber: prober,
    info: { hostname: "h1", port: 5051, resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 4 } }], attributes: [] },
  });
  agents.push(agent);
  void agent.run();
  return { master, containerizer, clock, prober, agent };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await settle(2);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const updatesOf = (master: FakeMaster, id: string) =>
  master
    .sentUpdates()
    .filter((u) => u.status.task_id.value === id)
    .map((u) => u.status)
    .filter((s, i, all) => all.findIndex((x) => x.uuid === s.uuid) === i);

describe("the agent's health checks (fakes)", () => {
  it("a task re-attached after an agent restart is health checked again", async () => {
    const disk = new MemoryCheckpointStore();
    const info = task("web", { health_check: { type: "TCP", tcp: { port: 9 }, delay_seconds: 0, interval_seconds: 1 } });
    await disk.write({
      agent_id: "agent-1",
      agent_token: "token-1",
      last_seq: 1,
      updates: [],
      acked_uuids: [],
      tasks: { "fw1/web": { framework_id: "fw1", task_id: "web", state: "TASK_RUNNING", sandbox: "/srv/agent/frameworks/fw1/tasks/web", pid: 4242, info } },
    } as never);
    const containerizer = new FakeContainerizer();
    const reattached: string[] = [];
    (containerizer as unknown as { recover: (r: { task_id: string; pid?: number }) => Promise<unknown> }).recover = async (r) => {
      reattached.push(r.task_id);
      return { identity: { pid: r.pid }, exited: new Promise(() => undefined), kill: () => undefined };
    };
    const master = new FakeMaster();
    const prober = new FakeProber();
    const agent = new Agent({
      client: master,
      store: new StateStore(disk),
      containerizer,
      clock: new FakeClock(),
      log: silentLogger,
      workDir: "/srv/agent",
      pollWaitSeconds: 25,
      healthProber: prober,
      info: { hostname: "h1", port: 5051, resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 4 } }], attributes: [] },
    });
    agents.push(agent);
    void agent.run();
    await until(() => agent.tasks.health.active === 1, "the re-attached task's checker");
    expect(reattached).toEqual(["web"]);
    expect(prober.targets.map((t) => [t.spec.task.task_id.value, t.spec.sandbox])).toEqual([["web", "/srv/agent/frameworks/fw1/tasks/web"]]);
  });

  it("reports healthy: true in a TASK_RUNNING update, once; a task without a check gets no checker and no timer", async () => {
    const { master, containerizer, clock, prober, agent } = setupAgent();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({ commands: [launch(1, task("plain"))] });
    await until(() => containerizer.launched.length === 1, "launch");
    await settle();
    expect(agent.tasks.health.active).toBe(0);
    expect(prober.targets).toHaveLength(0);
    const sleepsBefore = clock.sleeps.length;

    master.answerPoll({
      commands: [launch(2, task("web", { health_check: { type: "HTTP", http: { port: 8080, path: "/health" }, delay_seconds: 5, interval_seconds: 1 } }))],
    });
    await until(() => containerizer.launched.length === 2, "launch");
    await until(() => agent.tasks.health.active === 1, "checker");
    expect(prober.targets[0]!.spec.sandbox).toBe("/srv/agent/frameworks/fw1/tasks/web");
    expect(clock.sleeps.slice(sleepsBefore)).toContain(5 * S);
    await clock.advance(5 * S);
    await clock.advance(S);
    await clock.advance(S);
    expect(prober.probes.get("web")!.calls).toHaveLength(3);
    await until(() => updatesOf(master, "web").some((s) => s.healthy !== undefined), "health update");
    const health = updatesOf(master, "web").filter((s) => s.healthy !== undefined);
    expect(health).toHaveLength(1);
    expect(health[0]).toMatchObject({ state: "TASK_RUNNING", healthy: true, reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", source: "SOURCE_EXECUTOR" });

    // The task ends by itself: checking stops.
    containerizer.exit("web", { code: 0 });
    await until(() => agent.tasks.health.active === 0, "checker stopped");
    const calls = prober.probes.get("web")!.calls.length;
    await clock.advance(10 * S);
    expect(prober.probes.get("web")!.calls).toHaveLength(calls);
  });

  it("reports healthy: false, then kills the task after consecutive_failures and reports TASK_KILLED naming the check", async () => {
    const { master, containerizer, clock, prober, agent } = setupAgent();
    await until(() => master.polls.length === 1, "first poll");
    const check: HealthCheck = {
      type: "COMMAND",
      command: { value: "test -f ready" },
      delay_seconds: 0,
      interval_seconds: 1,
      grace_period_seconds: 0,
      consecutive_failures: 2,
    };
    prober.fallback = bad;
    master.answerPoll({ commands: [launch(1, task("sick", { health_check: check, kill_policy: { grace_period: { nanoseconds: 7e9 } } }))] });
    await until(() => prober.probes.get("sick")?.calls.length === 1, "first check");
    await clock.advance(S);
    await until(() => containerizer.kills.length === 1, "kill");
    expect(containerizer.kills[0]).toEqual({ taskId: "sick", graceMs: 7000 });
    await agent.tasks.idle();
    await until(() => updatesOf(master, "sick").some((s) => s.state === "TASK_KILLED"), "TASK_KILLED sent");
    const sent = updatesOf(master, "sick");
    expect(sent.map((s) => [s.state, s.healthy])).toEqual([
      ["TASK_STARTING", undefined],
      ["TASK_RUNNING", undefined],
      ["TASK_RUNNING", false],
      ["TASK_KILLED", false],
    ]);
    const killed = sent[3]!;
    expect(killed.reason).toBe("REASON_TASK_HEALTH_CHECK_STATUS_UPDATED");
    expect(killed.message).toContain("Task killed after 2 consecutive failed health checks (COMMAND 'test -f ready'): command exited with status 1");
    expect(agent.tasks.health.active).toBe(0);
  });

  it("a framework with TASK_KILLING_STATE hears TASK_KILLING before the health kill's TASK_KILLED", async () => {
    const { master, containerizer, prober } = setupAgent();
    await until(() => master.polls.length === 1, "first poll");
    prober.fallback = { ok: false, message: "cannot connect to 127.0.0.1:5432: connect ECONNREFUSED" };
    master.answerPoll({
      commands: [
        {
          ...launch(1, task("db", { health_check: { type: "TCP", tcp: { port: 5432 }, delay_seconds: 0, grace_period_seconds: 0, consecutive_failures: 1 } })),
          framework_info: { user: "u", name: "fw", capabilities: [{ type: "TASK_KILLING_STATE" }] },
        } as AgentCommand,
      ],
    });
    await until(() => containerizer.kills.length === 1, "kill");
    await until(() => updatesOf(master, "db").some((s) => s.state === "TASK_KILLED"), "TASK_KILLED sent");
    expect(updatesOf(master, "db").map((s) => s.state)).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]);
    expect(updatesOf(master, "db").at(-1)!.message).toContain("(TCP 127.0.0.1:5432): cannot connect to 127.0.0.1:5432");
  });

  it("a KILL from the master stops the checks and is reported as an ordinary kill", async () => {
    const { master, containerizer, clock, prober, agent } = setupAgent();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({ commands: [launch(1, task("t", { health_check: { type: "TCP", tcp: { port: 5432 }, delay_seconds: 0, interval_seconds: 1 } }))] });
    await until(() => agent.tasks.health.active === 1, "checker");
    master.answerPoll({ commands: [{ seq: 2, type: "KILL", framework_id: { value: "fw1" }, task_id: { value: "t" } }] });
    await until(() => containerizer.kills.length === 1, "kill");
    expect(agent.tasks.health.active).toBe(0);
    const calls = prober.probes.get("t")!.calls.length;
    await clock.advance(10 * S);
    expect(prober.probes.get("t")!.calls).toHaveLength(calls);
    await until(() => updatesOf(master, "t").some((s) => s.state === "TASK_KILLED"), "TASK_KILLED sent");
    const killed = updatesOf(master, "t").find((s) => s.state === "TASK_KILLED")!;
    expect(killed.healthy).toBeUndefined();
    expect(killed.reason).toBeUndefined();
  });

  it("an agent without a prober (hollow agents) runs no checks", async () => {
    const master = new FakeMaster();
    const containerizer = new FakeContainerizer();
    const agent = new Agent({
      client: master,
      store: new StateStore(new MemoryCheckpointStore()),
      containerizer,
      clock: new FakeClock(),
      log: silentLogger,
      workDir: "/srv/agent",
      pollWaitSeconds: 25,
      info: { hostname: "h1", port: 5051, resources: [], attributes: [] },
    });
    agents.push(agent);
    void agent.run();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({ commands: [launch(1, task("t", { health_check: { type: "TCP", tcp: { port: 1 } } }))] });
    await until(() => containerizer.launched.length === 1, "launch");
    await settle();
    expect(agent.tasks.health.active).toBe(0);
  });
});

// ---- The real probes ----

describe("real probes", () => {
  let dir: string;
  const servers: Array<{ close(cb: () => void): void }> = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const target = (command: HealthCheck["command"], sandbox: string): HealthTarget => ({
    check: { type: "COMMAND", command },
    spec: {
      frameworkId: "fw1",
      agentId: "agent-1",
      sandbox,
      task: task("t1", { command: { value: "sleep 1", environment: { variables: [{ name: "TASK_VAR", value: "from-task" }] } } }),
    },
  });
  const signal = () => new AbortController().signal;

  it("COMMAND: exit status 0 is healthy, others not; runs in the sandbox with the task's environment", async () => {
    dir = mkdtempSync(join(tmpdir(), "hc-"));
    writeFileSync(join(dir, "ready"), "");
    expect(await commandProbe(target({ value: "test -f ready" }, dir), undefined, signal())).toEqual({ ok: true, message: "exit status 0" });
    expect(await commandProbe(target({ value: "exit 3" }, dir), undefined, signal())).toEqual({ ok: false, message: "command exited with status 3" });
    const env = '[ "$TASK_VAR" = from-task ] && [ "$MESOS_TASK_ID" = t1 ] && [ "$MESOS_SANDBOX" = "$PWD" ] && [ "$CHECK_VAR" = mine ]';
    expect((await commandProbe(target({ value: env, environment: { variables: [{ name: "CHECK_VAR", value: "mine" }] } }, dir), undefined, signal())).ok).toBe(
      true,
    );
    expect((await commandProbe(target({ shell: false, value: "/bin/sh", arguments: ["sh", "-c", "exit 0"] }, dir), undefined, signal())).ok).toBe(true);
    const missing = await commandProbe(target({ shell: false, value: "/no/such/binary" }, dir), undefined, signal());
    expect(missing.ok).toBe(false);
  });

  it("COMMAND: aborting kills the check's whole process group", async () => {
    dir = mkdtempSync(join(tmpdir(), "hc-"));
    const abort = new AbortController();
    const started = Date.now();
    const result = commandProbe(target({ value: "sleep 30 & wait" }, dir), undefined, abort.signal);
    setTimeout(() => abort.abort(), 100);
    expect(await result).toEqual({ ok: false, message: "command terminated by SIGKILL" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  async function httpServer(handler: (path: string) => [number, Record<string, string>?]): Promise<number> {
    const server: Server = createHttpServer((req, res) => {
      const [status, headers] = handler(req.url ?? "/");
      res.writeHead(status, headers).end("body");
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return (server.address() as AddressInfo).port;
  }

  it("HTTP: 200-399 are healthy (redirects not followed), others not; statuses overrides", async () => {
    const port = await httpServer((path) => (path === "/health" ? [200] : path === "/moved" ? [302, { location: "/gone" }] : path === "/gone" ? [500] : [503]));
    expect(await httpProbe({ port, path: "/health" }, signal())).toEqual({ ok: true, message: `GET http://127.0.0.1:${port}/health answered 200` });
    expect((await httpProbe({ port, path: "/moved" }, signal())).ok).toBe(true);
    expect(await httpProbe({ port, path: "/down" }, signal())).toEqual({ ok: false, message: `GET http://127.0.0.1:${port}/down answered 503` });
    expect((await httpProbe({ port, path: "/down", statuses: [503] }, signal())).ok).toBe(true);
    expect((await httpProbe({ port, path: "/health", statuses: [204] }, signal())).ok).toBe(false);
  });

  it("HTTP: a closed port fails", async () => {
    const port = await freePort();
    const result = await httpProbe({ port, path: "/" }, signal());
    expect(result.ok).toBe(false);
    expect(result.message).toContain(`GET http://127.0.0.1:${port}/ failed`);
  });

  it("TCP: an open port is healthy, a closed one not", async () => {
    const server = createTcpServer((s) => s.end());
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    expect(await tcpProbe("127.0.0.1", port, signal())).toEqual({ ok: true, message: `connected to 127.0.0.1:${port}` });
    const closed = await freePort();
    const result = await tcpProbe("127.0.0.1", closed, signal());
    expect(result.ok).toBe(false);
    expect(result.message).toContain("ECONNREFUSED");
  });
});

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// ---- A COMMAND check inside the task's cgroup: needs root and cgroups; required in CI ----

const cgroupsRoot = `strata-hc-test-${process.pid}`;
const real = detectCgroups({ mode: "auto", cgroupsRoot });
const inCI = process.env.CI === "true" || process.env.CI === "1";
if (!real.enabled && !inCI) console.log(`skipping the health check cgroup test: ${real.description}`);
afterAll(() => real.removeRootIfEmpty());

describe.skipIf(!real.enabled && !inCI)("COMMAND checks in the task's cgroup", () => {
  it("runs the check's process inside the running task's cgroup", async () => {
    expect(real.enabled, real.description).toBe(true);
    const work = mkdtempSync(join(tmpdir(), "hc-cg-"));
    try {
      const containerizer = new ProcessContainerizer(real, silentLogger);
      const spec = { frameworkId: "fw", agentId: "a", sandbox: sandboxPath(work, "fw", "cg"), task: task("cg", { command: { value: "sleep 30" } }) };
      await containerizer.prepare(spec);
      const c = await containerizer.launch(spec);
      const name = c.identity.cgroup!;
      expect(name).toBeTruthy();
      const prober = new LocalHealthProber((real as LinuxCgroups).placements);
      const check = (value: string): HealthTarget => ({ check: { type: "COMMAND", command: { value } }, spec, cgroup: name });
      const inside = await prober.probeFor(check(`grep -q '/${cgroupsRoot}/${name}$' /proc/self/cgroup`))(new AbortController().signal);
      expect(inside).toEqual({ ok: true, message: "exit status 0" });
      expect((await prober.probeFor(check("exit 4"))(new AbortController().signal)).message).toBe("command exited with status 4");
      // Without the task's cgroup (an agent with cgroups off) the check runs outside it.
      const outside = await new LocalHealthProber([]).probeFor(check(`grep -q '/${cgroupsRoot}/${name}$' /proc/self/cgroup`))(new AbortController().signal);
      expect(outside.ok).toBe(false);
      c.kill(1_000);
      await c.exited;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

// ---- Schema and validation ----

describe("HealthCheck schema and validation", () => {
  const full = {
    type: "HTTP",
    delay_seconds: 1.5,
    interval_seconds: 2,
    timeout_seconds: 3,
    consecutive_failures: 4,
    grace_period_seconds: 5,
    http: { protocol: "IPv4", scheme: "http", port: 8080, path: "/health", statuses: [200, 204] },
  };

  it("parses every field in both spellings (mesos.ts and agent-wire.ts)", () => {
    expect(HealthCheck.parse(full)).toEqual(full);
    const poll = {
      commands: [
        { seq: 1, type: "LAUNCH", framework_id: { value: "f" }, task: { name: "t", task_id: { value: "t" }, agent_id: { value: "a" }, health_check: full } },
      ],
      acks: [],
    };
    const parsed = parseMessage(wire.PollResponse, poll);
    expect(parsed.commands[0]!.type === "LAUNCH" && parsed.commands[0]!.task.health_check).toEqual(full);
    expect(() =>
      parseMessage(
        wire.PollResponse,
        { ...poll, commands: [{ ...poll.commands[0], task: { ...poll.commands[0]!.task, health_check: { ...full, interval_seconds: -1 } } }] },
        "response",
      ),
    ).toThrow("commands[0].task.health_check.interval_seconds: Too small");
  });

  it("refuses checks Mesos refuses, naming the field", () => {
    const cases: Array<[HealthCheck, string | undefined]> = [
      [{ type: "COMMAND", command: { value: "true" } }, undefined],
      [{ type: "HTTP", http: { port: 80 } }, undefined],
      [{ type: "TCP", tcp: { port: 5432 } }, undefined],
      [{ http: { port: 80 } }, "health_check.type: required (COMMAND, HTTP or TCP)"],
      [{ type: "UNKNOWN" }, "health_check.type: required (COMMAND, HTTP or TCP)"],
      [{ type: "COMMAND" }, "health_check.command: required for a COMMAND health check"],
      [{ type: "COMMAND", command: {} }, "health_check.command.value: required (the command to run)"],
      [{ type: "HTTP", tcp: { port: 80 } }, "health_check.http: required for an HTTP health check"],
      [{ type: "HTTP", http: { port: 80, scheme: "ftp" } }, "health_check.http.scheme: 'ftp' is not supported (http or https)"],
      [{ type: "HTTP", http: { port: 80, path: "health" } }, "health_check.http.path: 'health' must start with '/'"],
      [{ type: "HTTP", http: { port: 0 } }, "health_check.http.port: 0 is not a port (1-65535)"],
      [{ type: "HTTP", http: { port: 80, statuses: [200, 42] } }, "health_check.http.statuses: 42 is not an HTTP status code"],
      [{ type: "TCP" }, "health_check.tcp: required for a TCP health check"],
      [{ type: "TCP", tcp: { port: 70000 } }, "health_check.tcp.port: 70000 is not a port (1-65535)"],
    ];
    for (const [check, problem] of cases) expect(healthCheckProblem(check), JSON.stringify(check)).toBe(problem);
  });

  it("names checks for messages", () => {
    expect(describeHealthCheck({ type: "HTTP", http: { port: 80, scheme: "https", path: "/x" } })).toBe("HTTP GET https://127.0.0.1:80/x");
    expect(describeHealthCheck({ type: "TCP", tcp: { port: 80, protocol: "IPv6" } })).toBe("TCP [::1]:80");
    expect(HEALTH_CHECK_DEFAULTS.consecutive_failures).toBe(3);
  });
});
