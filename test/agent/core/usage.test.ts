/// <reference types="node" />
/**
 * Usage reports (agent-bun/src/core/usage.ts): measuring real processes through /proc and cgroup
 * files, when reports are made and sent, how they ride on polls, and the preempting KILL's
 * terminal state (TASK_LOST / TASK_GONE with REASON_CONTAINER_PREEMPTED).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../../agent-bun/src/core/agent.ts";
import {
  HollowUsageSampler,
  type MeasuredTask,
  ProcUsageSampler,
  USAGE_CPU_CHANGE,
  UsageReporter,
  type UsageSample,
  type UsageSampler,
} from "../../../agent-bun/src/core/usage.ts";
import { HollowFleet } from "../../../agent-bun/src/hollow/hollow-fleet.ts";
import { MemoryCheckpointStore, StateStore, type TaskRecord } from "../../../agent-bun/src/state/checkpoint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import type { AgentCommand } from "../../../schemas/agent.ts";
import type { TaskInfo } from "../../../schemas/mesos.ts";
import { FakeClock, FakeContainerizer, FakeMaster, settle } from "../fakes.ts";

const children: ChildProcess[] = [];
const dirs: string[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    try {
      process.kill(-c.pid!, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  for (const a of agents.splice(0)) a.stop();
  await settle();
});

const record = (taskId: string, extra: Partial<TaskRecord> = {}): TaskRecord => ({ framework_id: "fw1", task_id: taskId, state: "TASK_RUNNING", ...extra });
const info = (taskId: string, cpus: number, mem: number): TaskInfo => ({
  name: taskId,
  task_id: { value: taskId },
  agent_id: { value: "agent-1" },
  command: { value: "true" },
  resources: [
    { name: "cpus", type: "SCALAR", scalar: { value: cpus } },
    { name: "mem", type: "SCALAR", scalar: { value: mem } },
  ],
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ProcUsageSampler", () => {
  it("measures a busy process group through /proc: cpu time grows, memory is resident", async () => {
    // a shell whose child spins: the group's time counts, not just the leader's
    const child = spawn("/bin/sh", ["-c", "while :; do :; done & wait"], { detached: true, stdio: "ignore" });
    children.push(child);
    const idle = spawn("/bin/sh", ["-c", "sleep 30"], { detached: true, stdio: "ignore" });
    children.push(idle);
    await sleep(100);
    const sampler = new ProcUsageSampler();
    const tasks: MeasuredTask[] = [
      { record: record("busy", { pid: child.pid! }), info: undefined },
      { record: record("idle", { pid: idle.pid! }), info: undefined },
    ];
    const [a, i0] = sampler.sample(tasks, Date.now());
    await sleep(1_200);
    const [b, i1] = sampler.sample(tasks, Date.now());
    expect(a && b && i0 && i1).toBeTruthy();
    const busyCores = (b!.cpuSeconds - a!.cpuSeconds) / 1.2;
    // (loosely: the test machine may be busy) the spinning group used cpu, the sleeping one none
    expect(busyCores).toBeGreaterThan(0.05);
    expect(i1!.cpuSeconds - i0!.cpuSeconds).toBeLessThan((busyCores * 1.2) / 2);
    expect(b!.memBytes).toBeGreaterThan(100 * 1024);
    // a task whose process is gone cannot be measured
    expect(sampler.sample([{ record: record("gone", { pid: 2 ** 22 + 7 }), info: undefined }], Date.now())).toEqual([undefined]);
  });

  it("reads a task's cgroup when it has one (v2 cpu.stat/memory.stat, v1 cpuacct.usage/memory.stat)", () => {
    const root = mkdtempSync(join(tmpdir(), "strata-usage-"));
    dirs.push(root);
    const v2 = join(root, "v2"),
      v1cpu = join(root, "v1cpu"),
      v1mem = join(root, "v1mem");
    for (const d of [v2, v1cpu, v1mem]) mkdirSync(join(d, "task"), { recursive: true });
    writeFileSync(join(v2, "task", "cpu.stat"), "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
    writeFileSync(join(v2, "task", "memory.stat"), "anon 52428800\nfile 999\n");
    writeFileSync(join(v1cpu, "task", "cpuacct.usage"), "1500000000\n");
    writeFileSync(join(v1mem, "task", "memory.stat"), "cache 1\nrss 3\ntotal_cache 5\ntotal_rss 10485760\n");
    const t: MeasuredTask[] = [{ record: record("t", { cgroup: "task" }), info: undefined }];
    const two = new ProcUsageSampler([
      { controller: "memory", version: 2, base: v2 },
      { controller: "cpu", version: 2, base: v2 },
    ]);
    expect(two.sample(t, 0)).toEqual([{ cpuSeconds: 2.5, memBytes: 50 * 1024 * 1024, userSeconds: 2, systemSeconds: 0.5 }]);
    const one = new ProcUsageSampler([
      { controller: "memory", version: 1, base: v1mem },
      { controller: "cpu", version: 1, base: v1cpu },
    ]);
    expect(one.sample(t, 0)).toEqual([{ cpuSeconds: 1.5, memBytes: 10 * 1024 * 1024 }]); // no cpuacct.stat: no user/system split
    writeFileSync(join(v1cpu, "task", "cpuacct.stat"), "user 120\nsystem 30\n"); // USER_HZ ticks
    expect(one.sample(t, 0)).toEqual([{ cpuSeconds: 1.5, memBytes: 10 * 1024 * 1024, userSeconds: 1.2, systemSeconds: 0.3 }]);
    // no readable cgroup and no pid: nothing to measure
    expect(two.sample([{ record: record("t", { cgroup: "missing" }), info: undefined }], 0)).toEqual([undefined]);
  });
});

/** A sampler whose tasks use what the test sets, in cores and MB. */
class ScriptedSampler implements UsageSampler {
  readonly rates = new Map<string, { cpus: number; mem: number }>();
  private readonly cpu = new Map<string, { at: number; total: number }>();
  calls = 0;
  sample(tasks: readonly MeasuredTask[], now: number): Array<UsageSample | undefined> {
    this.calls++;
    return tasks.map(({ record: r }) => {
      const rate = this.rates.get(r.task_id);
      if (!rate) return undefined;
      const c = this.cpu.get(r.task_id) ?? { at: now, total: 0 };
      const total = c.total + (rate.cpus * (now - c.at)) / 1000;
      this.cpu.set(r.task_id, { at: now, total });
      return { cpuSeconds: total, memBytes: rate.mem * 1024 * 1024, userSeconds: total * 0.75, systemSeconds: total * 0.25 };
    });
  }
}

describe("UsageReporter", () => {
  function setup() {
    const clock = new FakeClock();
    const sampler = new ScriptedSampler();
    let tasks: MeasuredTask[] = [];
    const reporter = new UsageReporter({ sampler, clock, intervalMs: 10_000, running: () => tasks });
    return {
      clock,
      sampler,
      reporter,
      setTasks: (t: MeasuredTask[]) => {
        tasks = t;
      },
    };
  }

  it("measures nothing while nothing runs; reports a task one interval after first seeing it, then only changes", async () => {
    const { clock, sampler, reporter, setTasks } = setup();
    expect(reporter.due()).toBeUndefined();
    expect(reporter.pollWait(25)).toBe(25);
    expect(sampler.calls).toBe(0);

    sampler.rates.set("t1", { cpus: 0.5, mem: 100 });
    setTasks([{ record: record("t1"), info: undefined }]);
    expect(reporter.due()).toBeUndefined(); // first sight: a baseline, no rate yet
    expect(reporter.pollWait(25)).toBe(10); // polls are not held past the interval while tasks run
    await clock.advance(10_000);
    const first = reporter.due();
    expect(first).toEqual({
      tasks: [
        {
          framework_id: { value: "fw1" },
          task_id: { value: "t1" },
          cpus: 0.5,
          mem_mb: 100,
          mem_rss_bytes: 100 * 1024 * 1024,
          cpus_user_time_secs: 3.75,
          cpus_system_time_secs: 1.25, // 5 cpu seconds over 10 s
        },
      ],
    });
    reporter.delivered();

    await clock.advance(5_000);
    expect(reporter.due()).toBeUndefined(); // not due
    await clock.advance(5_000);
    sampler.rates.set("t1", { cpus: 0.5 + USAGE_CPU_CHANGE / 2, mem: 101 });
    expect(reporter.due()).toBeUndefined(); // due, but not changed enough
    await clock.advance(10_000);
    sampler.rates.set("t1", { cpus: 2, mem: 101 });
    expect(reporter.due()?.tasks[0]).toMatchObject({ cpus: 2, mem_mb: 101 });
    // not delivered (the poll failed): the next due report says it again
    await clock.advance(10_000);
    expect(reporter.due()?.tasks[0]).toMatchObject({ cpus: 2 });
    reporter.delivered();

    // the task ends: one empty report, then silence
    setTasks([]);
    await clock.advance(10_000);
    expect(reporter.due()).toEqual({ tasks: [] });
    reporter.delivered();
    await clock.advance(10_000);
    const calls = sampler.calls;
    expect(reporter.due()).toBeUndefined();
    expect(sampler.calls).toBe(calls);
  });

  it("sends the unchanged report again at the next interval after resend() (a new master instance knows none)", async () => {
    const { clock, sampler, reporter, setTasks } = setup();
    sampler.rates.set("t1", { cpus: 1, mem: 64 });
    setTasks([{ record: record("t1"), info: undefined }]);
    reporter.due();
    await clock.advance(10_000);
    expect(reporter.due()).toBeDefined();
    reporter.delivered();
    await clock.advance(10_000);
    expect(reporter.due()).toBeUndefined();
    reporter.resend();
    expect(reporter.due()).toBeUndefined(); // not due yet
    await clock.advance(10_000);
    expect(reporter.due()?.tasks).toHaveLength(1);
  });

  it("hollow tasks report the configured share of what they were given", () => {
    const sampler = new HollowUsageSampler(0.25);
    const t: MeasuredTask[] = [{ record: record("h"), info: info("h", 2, 512) }];
    expect(sampler.sample(t, 1_000)).toEqual([{ cpuSeconds: 0, memBytes: 128 * 1024 * 1024, userSeconds: 0, systemSeconds: 0 }]);
    expect(sampler.sample(t, 11_000)[0]!.cpuSeconds).toBeCloseTo(5); // 0.5 cores for 10 s
  });
});

describe("agent: usage on polls, preempting kills", () => {
  const launch = (seq: number, t: TaskInfo): AgentCommand => ({ seq, type: "LAUNCH", framework_id: { value: "fw1" }, task: t });

  function setup() {
    const store = new StateStore(new MemoryCheckpointStore());
    const master = new FakeMaster();
    const containerizer = new FakeContainerizer();
    const clock = new FakeClock();
    const sampler = new ScriptedSampler();
    const agent = new Agent({
      client: master,
      store,
      containerizer,
      clock,
      log: silentLogger,
      workDir: "/srv/agent",
      pollWaitSeconds: 25,
      info: { hostname: "h1", port: 5051, resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 4 } }], attributes: [] },
      usage: { sampler, intervalMs: 10_000 },
    });
    agents.push(agent);
    void agent.run();
    return { master, containerizer, clock, sampler, agent };
  }

  async function until(cond: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (cond()) return;
      await settle(2);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it("sends a usage report with a poll once due, and shortens the poll hold while tasks run", async () => {
    const { master, containerizer, clock, sampler } = setup();
    await until(() => master.polls.length === 1, "first poll");
    expect(master.polls[0]!.usage).toBeUndefined();
    expect(master.polls[0]!.wait_seconds).toBe(25);
    sampler.rates.set("t1", { cpus: 0.25, mem: 40 });
    master.answerPoll({ commands: [launch(1, info("t1", 1, 128))] });
    await until(() => containerizer.launched.length === 1, "launch");
    await until(() => master.polls.length === 2, "second poll");
    await clock.advance(10_000);
    master.answerPoll({});
    await until(() => master.polls.length === 3, "third poll");
    expect(master.polls[2]!.wait_seconds).toBe(10);
    expect(master.polls[2]!.usage).toEqual({
      tasks: [
        {
          framework_id: { value: "fw1" },
          task_id: { value: "t1" },
          cpus: 0.25,
          mem_mb: 40,
          mem_rss_bytes: 40 * 1024 * 1024,
          cpus_user_time_secs: 1.875,
          cpus_system_time_secs: 0.625,
        },
      ],
    });
    master.answerPoll({});
    await until(() => master.polls.length === 4, "fourth poll");
    expect(master.polls[3]!.usage).toBeUndefined(); // delivered, not due again yet
  });

  it("hollow agents report the configured share of their tasks' resources", async () => {
    const master = new FakeMaster();
    const clock = new FakeClock();
    const fleet = new HollowFleet({
      count: 1,
      taskMs: 1_000_000,
      client: master,
      clock,
      log: silentLogger,
      debug: false,
      workDir: "/nonexistent/hollow",
      pollWaitSeconds: 25,
      info: { hostname: "h", port: 5051, resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 2 } }], attributes: [] },
      summaryIntervalMs: 0,
      usage: { sampler: new HollowUsageSampler(0.5), intervalMs: 10_000 },
    });
    const done = fleet.run();
    try {
      await until(() => master.polls.length === 1, "first poll");
      master.answerPoll({ commands: [launch(1, info("h1", 1, 256))] });
      await until(() => master.polls.length === 2, "second poll");
      await until(() => master.sentUpdates().some((u) => u.status.state === "TASK_RUNNING"), "running");
      await clock.advance(10_000);
      master.answerPoll({});
      await until(() => master.polls.length === 3, "third poll");
      // the baseline may have been taken at the second poll or the third: the report comes by the next interval
      if (!master.polls[2]!.usage) {
        await clock.advance(10_000);
        master.answerPoll({});
        await until(() => master.polls.length === 4, "fourth poll");
      }
      expect(master.polls.at(-1)!.usage).toEqual({
        tasks: [
          {
            framework_id: { value: "fw1" },
            task_id: { value: "h1" },
            cpus: 0.5,
            mem_mb: 128,
            mem_rss_bytes: 128 * 1024 * 1024,
            cpus_user_time_secs: expect.any(Number),
            cpus_system_time_secs: 0,
          },
        ],
      });
    } finally {
      fleet.stop();
      await done;
    }
  });

  it("a KILL marked as a preemption ends the task in the state asked, with REASON_CONTAINER_PREEMPTED from the agent", async () => {
    const { master, containerizer } = setup();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({ commands: [launch(1, info("rv1", 1, 128)), launch(2, info("rv2", 1, 128)), launch(3, info("plain", 1, 128))] });
    await until(() => containerizer.launched.length === 3, "launches");
    master.answerPoll({
      commands: [
        {
          seq: 4,
          type: "KILL",
          framework_id: { value: "fw1" },
          task_id: { value: "rv1" },
          kill_policy: { grace_period: { nanoseconds: 0 } },
          preemption: { state: "TASK_LOST" },
        },
        { seq: 5, type: "KILL", framework_id: { value: "fw1" }, task_id: { value: "rv2" }, preemption: { state: "TASK_GONE" } },
        { seq: 6, type: "KILL", framework_id: { value: "fw1" }, task_id: { value: "plain" } },
      ],
    });
    const final = (id: string) =>
      master
        .sentUpdates()
        .map((u) => u.status)
        .find((s) => s.task_id.value === id && !["TASK_STARTING", "TASK_RUNNING"].includes(s.state));
    await until(() => ["rv1", "rv2", "plain"].every((id) => final(id)), "terminal updates");
    expect(containerizer.kills.find((k) => k.taskId === "rv1")!.graceMs).toBe(0);
    expect(final("rv1")).toMatchObject({ state: "TASK_LOST", reason: "REASON_CONTAINER_PREEMPTED", source: "SOURCE_AGENT" });
    expect(final("rv1")!.message).toMatch(/^Preempted/);
    expect(final("rv2")).toMatchObject({ state: "TASK_GONE", reason: "REASON_CONTAINER_PREEMPTED", source: "SOURCE_AGENT" });
    expect(final("plain")).toMatchObject({ state: "TASK_KILLED", source: "SOURCE_EXECUTOR" });
    expect(final("plain")!.reason).toBeUndefined();
  });
});
