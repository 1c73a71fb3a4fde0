/// <reference types="node" />
/**
 * Hollow agents (`--hollow N`): the HollowContainerizer on a fake clock, the pieces a fleet is
 * made of, and a fleet of three real agent cores in this process against the fake HTTP master.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseFlags } from "../../../agent-bun/src/cli/flags.ts";
import { HttpMasterClient, MasterError } from "../../../agent-bun/src/core/master-client.ts";
import { CountingMasterClient, errorKind, Limiter } from "../../../agent-bun/src/hollow/counting-master-client.ts";
import { fetchLimitFor } from "../../../agent-bun/src/hollow/fetch-limit.ts";
import { HollowContainerizer } from "../../../agent-bun/src/hollow/hollow-containerizer.ts";
import { HOLLOW_RESOURCES, HollowFleet, hollowAttributes, hollowResources } from "../../../agent-bun/src/hollow/hollow-fleet.ts";
import { systemClock } from "../../../agent-bun/src/system/clock.ts";
import { createLogger } from "../../../agent-bun/src/system/log.ts";
import type { TaskInfo } from "../../../schemas/mesos.ts";
import { formatResources } from "../../../sdk/src/resources.ts";
import { FakeHttpMaster } from "../fake-http-master.ts";
import { FakeClock, FakeMaster, settle } from "../fakes.ts";

const task = (id: string, agentId: string): TaskInfo => ({
  name: id,
  task_id: { value: id },
  agent_id: { value: agentId },
  resources: [],
  command: { value: "true" },
});
const spec = (id: string) => ({ frameworkId: "fw", agentId: "a", task: task(id, "a"), sandbox: "/nowhere" });

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("HollowContainerizer", () => {
  it("runs a task for the configured time, then exits 0", async () => {
    const clock = new FakeClock();
    const c = new HollowContainerizer(1_000, clock);
    await c.prepare(spec("t"));
    const container = await c.launch(spec("t"));
    let exit: unknown;
    void container.exited.then((e) => {
      exit = e;
    });
    expect(c.counts).toEqual({ launched: 1, running: 1, finished: 0, killed: 0 });
    await clock.advance(999);
    expect(exit).toBeUndefined();
    await clock.advance(1);
    expect(exit).toEqual({ code: 0, signal: null, oomKilled: false });
    expect(c.counts).toEqual({ launched: 1, running: 0, finished: 1, killed: 0 });
  });

  it("ends a task at once when killed, whatever the grace period", async () => {
    const clock = new FakeClock();
    const c = new HollowContainerizer(60_000, clock);
    const container = await c.launch(spec("t"));
    container.kill(30_000);
    await settle();
    expect(await container.exited).toMatchObject({ code: null, signal: "SIGTERM" });
    expect(c.counts).toEqual({ launched: 1, running: 0, finished: 0, killed: 1 });
    await c.destroyOrphan({ framework_id: "fw", task_id: "t", state: "TASK_RUNNING" }); // nothing to do
  });
});

describe("hollow agent pieces", () => {
  it("parses --hollow and --hollow-task-ms (flags and env) and rejects bad values", () => {
    const run = (argv: string[], env: Record<string, string> = {}) => {
      const p = parseFlags(["--join-token", "t", ...argv], env);
      if (p.kind !== "run") throw new Error(p.kind);
      return p.flags;
    };
    expect(run([])).toMatchObject({ hollow: 0, hollowTaskMs: 1000 });
    expect(run(["--hollow", "3", "--hollow-task-ms=250"])).toMatchObject({ hollow: 3, hollowTaskMs: 250 });
    expect(run([], { STRATA_HOLLOW: "10000", STRATA_HOLLOW_TASK_MS: "0" })).toMatchObject({ hollow: 10000, hollowTaskMs: 0 });
    expect(() => run(["--hollow", "-1"])).toThrow(/--hollow:/);
    expect(() => run(["--hollow", "many"])).toThrow(/--hollow:/);
    expect(() => run(["--hollow", "1000000"])).toThrow(/--hollow:/);
    expect(() => run(["--hollow-task-ms", "1.5"])).toThrow(/--hollow-task-ms:/);
  });

  it("gives the benchmark shape by default, --resources replacing entries by name", () => {
    expect(formatResources(hollowResources())).toBe(formatResources(hollowResources([])));
    const byName = (rs: ReturnType<typeof hollowResources>) => Object.fromEntries(rs.map((r) => [r.name, r]));
    const plain = byName(hollowResources());
    expect(plain.cpus?.scalar?.value).toBe(2);
    expect(plain.mem?.scalar?.value).toBe(1024);
    expect(plain.disk?.scalar?.value).toBe(4096);
    expect(plain.ports?.ranges?.range).toEqual([{ begin: 31000, end: 32000 }]);
    expect(HOLLOW_RESOURCES).toBe("cpus:2;mem:1024;disk:4096;ports:[31000-32000]");
    const custom = byName(hollowResources([{ name: "cpus", type: "SCALAR", scalar: { value: 8 } }]));
    expect(custom.cpus?.scalar?.value).toBe(8);
    expect(custom.mem?.scalar?.value).toBe(1024);
  });

  it("adds hollow:<i> to the attributes unless they name hollow already", () => {
    const rack = { name: "rack", type: "TEXT" as const, text: { value: "r1" } };
    expect(hollowAttributes([rack], 7)).toEqual([rack, { name: "hollow", type: "SCALAR", scalar: { value: 7 } }]);
    const own = { name: "hollow", type: "TEXT" as const, text: { value: "yes" } };
    expect(hollowAttributes([own], 7)).toEqual([own]);
  });

  it("bounds registrations in flight; a waiter that aborts gives up its place", async () => {
    const limiter = new Limiter(2);
    expect(await limiter.acquire()).toBe(true);
    expect(await limiter.acquire()).toBe(true);
    const order: string[] = [];
    const abort = new AbortController();
    const third = limiter.acquire().then((ok) => order.push(`third ${ok}`));
    const fourth = limiter.acquire(abort.signal).then((ok) => order.push(`fourth ${ok}`));
    const fifth = limiter.acquire().then((ok) => order.push(`fifth ${ok}`));
    await settle();
    expect(order).toEqual([]);
    abort.abort();
    await fourth;
    limiter.release();
    await third;
    limiter.release();
    await fifth;
    expect(order).toEqual(["fourth false", "third true", "fifth true"]);
    expect(limiter.inUse).toBe(2);
    expect(limiter.queued).toBe(0);
  });

  it("counts calls and errors by kind", async () => {
    const master = new FakeMaster();
    const client = new CountingMasterClient(master, new FakeClock(), 1);
    master.onStatus = () => {
      throw new MasterError("POST /agent/v1/status: HTTP 503: busy", 503);
    };
    await client.register({ hostname: "h", port: 1, resources: [], attributes: [], tasks: [] });
    await expect(client.status({ agent_id: { value: "a" }, updates: [] })).rejects.toThrow(/503/);
    expect(client.calls.register).toMatchObject({ inFlight: 0, ok: 1, failed: 0 });
    expect(client.calls.status).toMatchObject({ inFlight: 0, ok: 0, failed: 1 });
    expect(Object.fromEntries(client.errors)).toEqual({ "status HTTP 503: busy": 1 });
    expect(errorKind(new MasterError("POST /agent/v1/poll: ECONNREFUSED"))).toBe("ECONNREFUSED");
    expect(errorKind(new MasterError("POST /agent/v1/poll: ECONNRESET: The socket connection was closed"))).toBe("ECONNRESET");
    expect(errorKind(new MasterError("POST /agent/v1/poll: timed out"))).toBe("timed out");
    expect(fetchLimitFor(10_000)).toBe(11_064);
    expect(fetchLimitFor(3)).toBe(70); // under Bun's default of 256: no re-exec
    expect(fetchLimitFor(70_000)).toBe(65_535);
  });
});

describe("a fleet of hollow agents", () => {
  let master: FakeHttpMaster | undefined;
  let fleet: HollowFleet | undefined;
  afterEach(async () => {
    fleet?.stop();
    await master?.stop();
  });

  it("registers each agent with its own id and hostname and runs a launched task to TASK_FINISHED", async () => {
    master = new FakeHttpMaster({ distinctAgentIds: true });
    await master.start();
    const lines: string[] = [];
    fleet = new HollowFleet({
      count: 3,
      taskMs: 1_000,
      client: new HttpMasterClient(master.url, "e2e-secret-token"),
      clock: systemClock,
      log: createLogger("info", (l) => lines.push(l)),
      debug: false,
      workDir: "/nonexistent/hollow",
      pollWaitSeconds: 1,
      info: { hostname: "h", port: 5051, resources: hollowResources(), attributes: [{ name: "rack", type: "TEXT", text: { value: "r1" } }] },
      registerConcurrency: 2,
      summaryIntervalMs: 0,
    });
    const done = fleet.run();
    await until(() => fleet!.registered === 3 && master!.polls.length >= 3, "3 agents registered and polling");

    const regs = master.registers.map((r) => r.body);
    expect(regs.map((r) => r.hostname).sort()).toEqual(["h-hollow-0", "h-hollow-1", "h-hollow-2"]);
    expect(regs.every((r) => formatResources(r.resources) === formatResources(hollowResources()))).toBe(true);
    const hollowAttr = (r: (typeof regs)[number]) => r.attributes.find((a) => a.name === "hollow")?.scalar?.value;
    expect(regs.map(hollowAttr).sort()).toEqual([0, 1, 2]);
    expect(regs.every((r) => r.attributes.some((a) => a.name === "rack"))).toBe(true);
    const ids = [...new Set(master.polls.map((p) => p.body.agent_id.value))].sort();
    expect(ids).toEqual(["e2e-agent-0", "e2e-agent-1", "e2e-agent-2"]);

    for (const id of ids) master.send({ type: "LAUNCH", framework_id: { value: "fw" }, task: task(`task-${id}`, id) }, id);
    for (const id of ids) {
      await until(() => master!.updates(id).some((u) => u.state === "TASK_FINISHED"), `TASK_FINISHED from ${id}`);
      const updates = master.updates(id).filter((u) => u.task_id.value === `task-${id}`);
      expect([...new Set(updates.map((u) => u.state))]).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
      const at = (s: string) => updates.find((u) => u.state === s)!.timestamp!;
      expect(at("TASK_FINISHED") - at("TASK_RUNNING")).toBeGreaterThanOrEqual(0.95);
      expect(updates.every((u) => u.agent_id?.value === id)).toBe(true);
    }

    // A kill ends a hollow task at once, through the core's normal path.
    master.send({ type: "LAUNCH", framework_id: { value: "fw" }, task: task("long", ids[0]!) }, ids[0]);
    await until(() => master!.updates(ids[0]).some((u) => u.task_id.value === "long" && u.state === "TASK_RUNNING"), "long running");
    master.send({ type: "KILL", framework_id: { value: "fw" }, task_id: { value: "long" } }, ids[0]);
    await until(() => master!.updates(ids[0]).some((u) => u.task_id.value === "long" && u.state === "TASK_KILLED"), "long killed");

    expect(fleet.containerizer.counts).toMatchObject({ launched: 4, running: 0, finished: 3, killed: 1 });
    const summary = fleet.summary();
    expect(summary).toMatchObject({ registered: "3/3", polls_in_flight: expect.any(Number), tasks_launched: 4, tasks_finished: 3, registers: 3 });
    expect(summary.errors).toBeUndefined();

    fleet.stop();
    await done;
    expect(lines.join("")).toMatch(/hollow agents stopped registered=3\/3/);
    expect(lines.some((l) => /registered with the master/.test(l))).toBe(false); // per-agent lines: debug only
  });
});

describe("hollow agents: logging", () => {
  const make = (debug: boolean, lines: string[]) => {
    const master = new FakeMaster();
    master.onRegister = () => {
      throw new MasterError("POST /agent/v1/register: HTTP 503: busy", 503);
    };
    return new HollowFleet({
      count: 2,
      taskMs: 1,
      client: master,
      clock: new FakeClock(),
      log: createLogger(debug ? "debug" : "info", (l) => lines.push(l)),
      debug,
      workDir: "/w",
      pollWaitSeconds: 1,
      summaryIntervalMs: 0,
      info: { hostname: "h", port: 1, resources: [], attributes: [] },
    });
  };

  it("counts the agents' warnings for the summary; their lines only at debug level, tagged with the index", async () => {
    const lines: string[] = [];
    const fleet = make(false, lines);
    const done = fleet.run();
    await settle();
    expect(lines).toEqual([]);
    expect(fleet.summary()).toMatchObject({
      registered: "0/2",
      errors: { "register HTTP 503: busy": 2 },
      agent_warnings: { "warn: registration failed; retrying": 2 },
    });
    expect(fleet.summary().errors).toBeUndefined(); // reset by each summary
    fleet.stop();
    await done;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/INFO hollow agents stopped registered=0\/2/);

    const debugLines: string[] = [];
    const loud = make(true, debugLines);
    const loudDone = loud.run();
    await settle();
    loud.stop();
    await loudDone;
    expect(debugLines.filter((l) => /DEBUG registration failed; retrying hollow=\d/.test(l))).toHaveLength(2);
  });
});
