/// <reference types="node" />
/**
 * Sandbox garbage collection (agent-bun/src/sandbox/sandbox-gc.ts): removal after --gc-delay, sooner
 * under disk pressure, volumes and live sandboxes kept, the schedule recomputed from mtimes after
 * a restart, and the agent scheduling a sandbox once its task's updates are acknowledged.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseFlags } from "../../../agent-bun/src/cli/flags.ts";
import { Agent } from "../../../agent-bun/src/core/agent.ts";
import { diskUsage, parseDurationMs, SandboxGc, type SandboxGcDeps } from "../../../agent-bun/src/sandbox/sandbox-gc.ts";
import { MemoryCheckpointStore, StateStore } from "../../../agent-bun/src/state/checkpoint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import type { TaskInfo } from "../../../schemas/mesos.ts";
import { FakeHttpMaster } from "../fake-http-master.ts";
import { FakeClock, FakeContainerizer, FakeMaster, settle } from "../fakes.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const dirs: string[] = [];
const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function workDir(): string {
  const d = mkdtempSync(join(tmpdir(), "strata-gc-"));
  dirs.push(d);
  return d;
}

/** Makes a sandbox with a file in it; `mtime` (ms) stamps the directory. */
function sandbox(work: string, fw: string, task: string, mtime?: number): string {
  const dir = join(work, "frameworks", fw, "tasks", task);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "stdout"), "out\n");
  if (mtime !== undefined) utimesSync(dir, mtime / 1000, mtime / 1000);
  return dir;
}

function gc(work: string, clock: FakeClock, extra: Partial<SandboxGcDeps> = {}): SandboxGc {
  const g = new SandboxGc({
    workDir: work,
    clock,
    log: silentLogger,
    delayMs: 7 * DAY,
    diskHeadroom: 0,
    diskWatchIntervalMs: 60_000,
    live: () => new Set(),
    diskUsage: () => 0,
    ...extra,
  });
  stops.push(() => g.stop());
  return g;
}

describe("sandbox garbage collection", () => {
  it("removes a forgotten task's sandbox after the delay, and its empty framework directory", async () => {
    const work = workDir();
    const clock = new FakeClock();
    const g = gc(work, clock);
    g.start();
    const dir = sandbox(work, "fw1", "t1");
    g.schedule(dir);
    await clock.advance(7 * DAY - 1_000);
    expect(existsSync(dir)).toBe(true);
    await clock.advance(1_000);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(join(work, "frameworks", "fw1"))).toBe(false);
    expect(existsSync(join(work, "frameworks"))).toBe(true);
    expect(g.pending.size).toBe(0);
  });

  it("removes sooner under disk pressure: gc-delay × max(0, 1 − headroom − usage)", async () => {
    const work = workDir();
    const clock = new FakeClock();
    let usage = 0.5;
    const g = gc(work, clock, { diskHeadroom: 0.1, diskUsage: () => usage });
    g.start();
    const a = sandbox(work, "fw1", "a");
    g.schedule(a);
    // 7 days × (1 − 0.1 − 0.5) = 2.8 days
    await clock.advance(2.8 * DAY - 60_000);
    expect(existsSync(a)).toBe(true);
    await clock.advance(60_000);
    expect(existsSync(a)).toBe(false);

    // The disk fills later: the next disk watch (every minute) removes what is now too old.
    usage = 0;
    const b = sandbox(work, "fw1", "b");
    g.schedule(b);
    await clock.advance(60_000); // disk read at 0 %: max age 0.9 × 7 days
    await clock.advance(HOUR);
    expect(existsSync(b)).toBe(true);
    usage = 0.95; // beyond the headroom: everything scheduled goes at the next watch
    await clock.advance(60_000);
    expect(existsSync(b)).toBe(false);
  });

  it("never touches live sandboxes or persistent volumes (reached from a sandbox by a symlink)", async () => {
    const work = workDir();
    const clock = new FakeClock();
    const live = sandbox(work, "fw1", "running", clock.now() - 30 * DAY);
    const old = sandbox(work, "fw1", "done", clock.now() - 30 * DAY);
    const volume = join(work, "volumes", "roles", "web", "pv1");
    mkdirSync(volume, { recursive: true });
    writeFileSync(join(volume, "data"), "keep me");
    symlinkSync(volume, join(old, "data"), "dir");
    utimesSync(old, (clock.now() - 30 * DAY) / 1000, (clock.now() - 30 * DAY) / 1000);
    const g = gc(work, clock, { live: () => new Set([live]) });
    g.start();
    await settle();
    expect(existsSync(old)).toBe(false);
    expect(existsSync(join(live, "stdout"))).toBe(true);
    expect(existsSync(join(volume, "data"))).toBe(true);
    expect(g.pending.size).toBe(0); // the live one was never scheduled
  });

  it("recomputes the schedule from directory mtimes after a restart", async () => {
    const work = workDir();
    const clock = new FakeClock();
    const first = gc(work, clock, { delayMs: DAY });
    first.start();
    const a = sandbox(work, "fw1", "a");
    first.schedule(a); // stamped with the (fake) time the task was forgotten
    await clock.advance(20 * HOUR);
    await first.stop();
    const b = sandbox(work, "fw2", "b", clock.now() - 2 * DAY); // left by an older run, already due
    writeFileSync(join(work, "frameworks", "fw1", "tasks", "a", "more"), "x"); // a file in it does not reset its age
    utimesSync(a, (clock.now() - 20 * HOUR) / 1000, (clock.now() - 20 * HOUR) / 1000);

    const second = gc(work, clock, { delayMs: DAY });
    second.start();
    await settle();
    expect(existsSync(b)).toBe(false);
    expect(existsSync(join(work, "frameworks", "fw2"))).toBe(false);
    expect(existsSync(a)).toBe(true);
    expect(second.pending.get(a)).toBe(clock.now() - 20 * HOUR);
    await clock.advance(4 * HOUR - 1_000);
    expect(existsSync(a)).toBe(true);
    await clock.advance(1_000);
    expect(existsSync(a)).toBe(false);
  });

  it("sets no timer while nothing is scheduled", async () => {
    const work = workDir();
    const clock = new FakeClock();
    const g = gc(work, clock);
    g.start();
    await clock.advance(10 * DAY);
    expect(clock.sleeps).toEqual([]);
    g.schedule(sandbox(work, "fw1", "t"));
    await settle();
    expect(clock.sleeps.length).toBe(1); // one timer: the next disk watch
    await clock.advance(7 * DAY);
    const n = clock.sleeps.length;
    await clock.advance(10 * DAY);
    expect(clock.sleeps.length).toBe(n);
  });

  it("parses Mesos-style durations and the gc flags", () => {
    expect(parseDurationMs("1weeks")).toBe(7 * DAY);
    expect(parseDurationMs("2days")).toBe(2 * DAY);
    expect(parseDurationMs("12hrs")).toBe(12 * HOUR);
    expect(parseDurationMs("30mins")).toBe(30 * 60_000);
    expect(parseDurationMs("90")).toBe(90_000);
    expect(parseDurationMs("5parsecs")).toBeUndefined();
    const parsed = parseFlags(["--join-token=x"], {});
    expect(parsed).toMatchObject({ kind: "run", flags: { gcDelayMs: 7 * DAY, gcDiskHeadroom: 0.1, diskWatchIntervalMs: 60_000 } });
    expect(parseFlags(["--join-token=x", "--gc-delay=1h", "--gc-disk-headroom=0.2"], {})).toMatchObject({ flags: { gcDelayMs: HOUR, gcDiskHeadroom: 0.2 } });
    expect(() => parseFlags(["--join-token=x", "--gc-delay=soon"], {})).toThrow(/--gc-delay/);
    expect(() => parseFlags(["--join-token=x", "--gc-disk-headroom=2"], {})).toThrow(/--gc-disk-headroom/);
  });
});

describe("the agent and sandbox gc", () => {
  it("schedules a sandbox once its task's updates are acknowledged, and removes it after the delay", async () => {
    const work = workDir();
    const master = new FakeMaster();
    const containerizer = new FakeContainerizer();
    const clock = new FakeClock();
    const store = new StateStore(new MemoryCheckpointStore());
    const agent = new Agent({
      client: master,
      store,
      containerizer,
      clock,
      log: silentLogger,
      workDir: work,
      pollWaitSeconds: 25,
      info: { hostname: "h1", port: 5051, resources: [], attributes: [] },
      gc: { delayMs: HOUR, diskHeadroom: 0, diskWatchIntervalMs: 60_000, diskUsage: () => 0 },
    });
    const done = agent.run();
    stops.push(async () => {
      agent.stop();
      master.answerPoll({});
      await done;
    });
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 200 && !cond(); i++) await settle(2);
      expect(cond()).toBe(true);
    };
    await until(() => master.polls.length === 1);
    const task: TaskInfo = { name: "t1", task_id: { value: "t1" }, agent_id: { value: "agent-1" }, resources: [], command: { value: "true" } };
    master.answerPoll({ commands: [{ seq: 1, type: "LAUNCH", framework_id: { value: "fw1" }, task }] });
    await until(() => containerizer.launched.length === 1);
    const dir = containerizer.launched[0]!.sandbox;
    mkdirSync(dir, { recursive: true });
    containerizer.exit("t1");
    await until(() => master.sentUpdates().some((u) => u.status.state === "TASK_FINISHED"));
    expect(agent.gc!.pending.size).toBe(0); // terminal but not acknowledged: kept
    const uuids = [...new Set(master.sentUpdates().map((u) => u.status.uuid))];
    master.answerPoll({ acks: uuids.map((uuid) => ({ task_id: { value: "t1" }, uuid })) });
    await until(() => agent.gc!.pending.has(dir));
    await clock.advance(HOUR - 1_000);
    expect(existsSync(dir)).toBe(true);
    await clock.advance(1_000);
    expect(existsSync(dir)).toBe(false);
  });
});

describe("the agent process and sandbox gc", () => {
  it("removes a finished, acknowledged task's sandbox after --gc-delay; kept until then, volumes kept", async () => {
    const repo = resolve(import.meta.dirname, "../../..");
    const work = workDir();
    const volume = join(work, "volumes", "roles", "web", "pv1");
    mkdirSync(volume, { recursive: true });
    writeFileSync(join(volume, "data"), "keep");
    const master = new FakeHttpMaster();
    await master.start();
    stops.push(() => master.stop());
    let stderr = "";
    const child = spawn(
      join(repo, "node_modules/.bin/bun"),
      [
        join(repo, "agent-bun/src/main.ts"),
        "--master",
        master.url,
        "--work-dir",
        work,
        "--cgroups",
        "off",
        "--allow-root-tasks=true",
        "--poll-wait-seconds",
        "1",
        "--resources",
        "cpus:2;mem:512",
        "--gc-delay",
        "2secs",
        "--disk-watch-interval",
        "1secs",
        "--gc-disk-headroom",
        "0",
        "--log-level",
        "debug",
      ],
      { env: { PATH: process.env.PATH, STRATA_JOIN_TOKEN: "e2e-secret-token" }, stdio: ["ignore", "ignore", "pipe"] },
    );
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    stops.push(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    const until = async (cond: () => boolean, what: string) => {
      const end = Date.now() + 15_000;
      while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${stderr.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until(() => master.polls.length > 0, "first poll");
    master.send({
      type: "LAUNCH",
      framework_id: { value: "fw" },
      task: {
        name: "t",
        task_id: { value: "t" },
        agent_id: { value: "e2e-agent" },
        resources: [],
        command: { value: "echo hi" },
      },
    });
    const sandboxDir = join(work, "frameworks", "fw", "tasks", "t");
    await until(() => master.updates().some((u) => u.state === "TASK_FINISHED"), "TASK_FINISHED");
    expect(existsSync(join(sandboxDir, "stdout"))).toBe(true);
    // Terminal but not acknowledged: the agent still knows the task, so its sandbox outlives the delay.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(existsSync(sandboxDir)).toBe(true);
    const acked = Date.now();
    master.ackAll();
    master.send({ type: "KILL", framework_id: { value: "fw" }, task_id: { value: "unknown" } }); // wakes the poll
    await until(() => !existsSync(sandboxDir), "sandbox removed");
    // 2 s × (1 − 0 headroom − this disk's usage), counted from when the agent got the acks
    expect(Date.now() - acked).toBeGreaterThanOrEqual(2_000 * (1 - diskUsage(work)) - 100);
    await until(() => !existsSync(join(work, "frameworks", "fw")), "empty framework directory removed");
    expect(existsSync(join(volume, "data"))).toBe(true);
  }, 30_000);
});
