/// <reference types="node" />
/**
 * Executors and re-attaching after an agent restart, with the real process containerizer and
 * real processes. The "previous agent run" is a containerizer whose containers the test lets
 * go of; the restarted agent is a fresh containerizer (and a fresh Agent) given the checkpoint.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { parseFlags } from "../../../agent-bun/src/cli/flags.ts";
import type { Container, LaunchSpec } from "../../../agent-bun/src/containerizers/containerizer.ts";
import { EXIT_FILE, exitFromStatus } from "../../../agent-bun/src/containerizers/executor.ts";
import { ProcessContainerizer } from "../../../agent-bun/src/containerizers/process-containerizer.ts";
import { Agent } from "../../../agent-bun/src/core/agent.ts";
import { RESTART_CLEANUP_MESSAGE, RESTART_LOST_MESSAGE, type RecoverMode } from "../../../agent-bun/src/core/task-manager.ts";
import { type Cgroups, detectCgroups, NoCgroups } from "../../../agent-bun/src/isolation/cgroups.ts";
import { sandboxPath } from "../../../agent-bun/src/sandbox/paths.ts";
import { MemoryCheckpointStore, StateStore, type TaskRecord } from "../../../agent-bun/src/state/checkpoint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import { killGroup, procStatFields } from "../../../agent-bun/src/system/proc.ts";
import type { CommandInfo, TaskInfo } from "../../../schemas/mesos.ts";
import { taskKey } from "../../../sdk/src/ids.ts";
import { FakeClock, FakeMaster } from "../fakes.ts";

const work = mkdtempSync(join(tmpdir(), "strata-recovery-"));
const started: number[] = [];
let n = 0;

afterAll(() => {
  for (const pid of started) killGroup(pid, "SIGKILL");
});

function taskInfo(id: string, command: CommandInfo, extra: Partial<TaskInfo> = {}): TaskInfo {
  return { name: id, task_id: { value: id }, agent_id: { value: "agent-1" }, resources: [], command, ...extra };
}

function spec(command: CommandInfo, extra: Partial<TaskInfo> = {}): LaunchSpec {
  const id = `t${++n}`;
  return { frameworkId: "fw", agentId: "agent-1", sandbox: sandboxPath(work, "fw", id), task: taskInfo(id, command, extra) };
}

/** Launches with `containerizer` (the "previous agent run") and returns what it checkpoints. */
async function launchOld(containerizer: ProcessContainerizer, s: LaunchSpec): Promise<{ record: TaskRecord; container: Container }> {
  await containerizer.prepare(s);
  const container = await containerizer.launch(s);
  started.push(container.identity.pid!);
  const record: TaskRecord = {
    framework_id: s.frameworkId,
    task_id: s.task.task_id.value,
    state: "TASK_RUNNING",
    sandbox: s.sandbox,
    info: s.task,
    ...container.identity,
  };
  return { record, container };
}

/** Running (not gone, not a zombie). */
function alive(pid: number): boolean {
  const state = procStatFields(pid)?.[0];
  return state !== undefined && state !== "Z" && state !== "X";
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const file = (s: LaunchSpec, name: string) => (existsSync(join(s.sandbox, name)) ? readFileSync(join(s.sandbox, name), "utf8") : "");
const decode = (b64: string | undefined) => Buffer.from(b64 ?? "", "base64").toString();

/**
 * The previous (dead) agent run's view of cgroups: it creates task cgroups for real, but never
 * reacts to an OOM kill or removes a cgroup, as the live containers of this test process would.
 */
function inert(cg: Cgroups): Cgroups {
  return {
    enabled: cg.enabled,
    description: cg.description,
    destroy: async () => {},
    attach: () => undefined,
    removeRootIfEmpty: () => {},
    create: async (name, limits) => {
      const t = await cg.create(name, limits);
      return t && { name: t.name, addProcess: (pid) => t.addProcess(pid), pids: () => t.pids(), oomKilled: () => false, destroy: async () => {} };
    },
  };
}

function suite(name: string, cgroups: Cgroups) {
  describe(`re-attaching tasks (real processes, ${name})`, () => {
    const previous = new ProcessContainerizer(inert(cgroups), silentLogger);
    const restarted = new ProcessContainerizer(cgroups, silentLogger);

    it("the executor records exit codes and signals; it is the task's parent and group leader, in a session of its own", async () => {
      const cases: Array<[string, { code: number | null; signal: string | null }]> = [
        ["exit 0", { code: 0, signal: null }],
        ["exit 7", { code: 7, signal: null }],
        ["kill -USR1 $$", { code: null, signal: "SIGUSR1" }],
        ["kill -9 $$", { code: null, signal: "SIGKILL" }],
      ];
      for (const [value, expected] of cases) {
        const { container } = await launchOld(previous, spec({ value }));
        expect(await container.exited, value).toMatchObject({ ...expected, oomKilled: false });
      }
      const s = spec({ value: "echo $$ > pid; exec sleep 30" });
      const { container } = await launchOld(previous, s);
      await until(() => file(s, "pid").trim() !== "", "pid file");
      const executor = container.identity.pid!;
      const task = Number(file(s, "pid"));
      const [, ppid, pgrp, session] = procStatFields(task)!;
      expect(Number(ppid)).toBe(executor);
      expect(Number(pgrp)).toBe(executor);
      const own = procStatFields(executor)!;
      expect(Number(own[2])).toBe(executor); // group leader
      expect(Number(own[3])).toBe(executor); // session leader: not in the agent's group or session
      expect(Number(session)).toBe(executor);
      expect(readFileSync(`/proc/${executor}/cmdline`, "utf8").split("\0")[0]).toBe("strata-executor");
      const status = readFileSync(`/proc/${executor}/status`, "utf8");
      const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]);
      console.log(`executor RSS: ${rssKb} kB (anonymous: ${/^RssAnon:\s+(\d+)/m.exec(status)?.[1]} kB)`);
      expect(rssKb).toBeLessThan(8_192);
      container.kill(1_000);
      expect(await container.exited).toMatchObject({ code: null, signal: "SIGTERM" });
    });

    it("re-attaches to a running task: same pid, its end reported with its stdout", async () => {
      const s = spec({ value: "echo $$ > pid; echo started; sleep 1; echo finished" });
      const { record } = await launchOld(previous, s);
      await until(() => file(s, "pid").trim() !== "", "pid file");
      const pid = Number(file(s, "pid"));
      const c = await restarted.recover(record);
      expect(c).toBeDefined();
      expect(c!.identity).toEqual({ pid: record.pid, boot_id: record.boot_id, pid_start: record.pid_start, cgroup: record.cgroup });
      expect(alive(pid)).toBe(true);
      const exit = await c!.exited;
      expect(exit).toMatchObject({ code: 0, signal: null, oomKilled: false });
      expect(exit.lost).toBeUndefined();
      expect(decode(exit.stdoutTail)).toBe("started\nfinished\n");
      if (record.cgroup) {
        for (const p of (cgroups as { placements?: Array<{ base: string }> }).placements ?? []) expect(existsSync(join(p.base, record.cgroup))).toBe(false);
      }
    });

    it("reports a task that ended while the agent was down from the status its executor left", async () => {
      for (const [value, expected] of [
        ["echo bye; exit 3", { code: 3, signal: null }],
        ["kill -TERM $$", { code: null, signal: "SIGTERM" }],
      ] as const) {
        const s = spec({ value });
        const { record, container } = await launchOld(previous, s);
        await container.exited;
        expect(file(s, EXIT_FILE).trim()).toMatch(/^\d+$/);
        const c = await restarted.recover(record);
        expect(c, value).toBeDefined();
        expect(await c!.exited, value).toMatchObject(expected);
      }
    });

    it("KILL after re-attaching: SIGTERM to the task's group, SIGKILL after the grace; the executor records it", async () => {
      const polite = spec({ value: "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done" });
      const stubborn = spec({ value: "sleep 1000 & echo $! > child.pid; trap '' TERM; echo ready; while true; do sleep 0.1; done" });
      const a = await launchOld(previous, polite);
      const b = await launchOld(previous, stubborn);
      await until(
        () => file(polite, "stdout").includes("ready") && file(stubborn, "stdout").includes("ready") && file(stubborn, "child.pid") !== "",
        "both ready",
      );
      const child = Number(file(stubborn, "child.pid"));
      const ca = (await restarted.recover(a.record))!;
      const cb = (await restarted.recover(b.record))!;
      ca.kill(10_000);
      const exitA = await ca.exited;
      expect(exitA).toMatchObject({ code: 0, signal: null });
      expect(decode(exitA.stdoutTail)).toContain("got-term");
      const t0 = Date.now();
      cb.kill(600);
      const exitB = await cb.exited;
      expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
      expect(exitB).toMatchObject({ code: null, signal: "SIGKILL" });
      expect(exitB.lost).toBeUndefined(); // the executor survived the SIGKILL and recorded it
      await until(() => !alive(child), "the task's background child to be gone");
    });

    if (cgroups.enabled)
      it("keeps the cgroup: an OOM kill after re-attaching is reported, the cgroup removed", async () => {
        const s = spec(
          { value: "echo before; sleep 1; head -c 200M /dev/zero | tail; sleep 5; echo after" },
          { resources: [{ name: "mem", type: "SCALAR", scalar: { value: 32 } }] },
        );
        const { record } = await launchOld(previous, s);
        expect(record.cgroup).toBeDefined();
        const c = (await restarted.recover(record))!;
        const exit = await c.exited;
        expect(exit.oomKilled).toBe(true);
        expect(decode(exit.stdoutTail)).toBe("before\n");
        for (const p of (cgroups as { placements?: Array<{ base: string }> }).placements ?? []) expect(existsSync(join(p.base, record.cgroup!))).toBe(false);
      });

    it("finds an executor whose pid was never checkpointed by its sandbox, and its cgroup by name", async () => {
      const s = spec({ value: "echo $$ > pid; exec sleep 30" });
      const { record } = await launchOld(previous, s);
      await until(() => file(s, "pid").trim() !== "", "pid file");
      const unrecorded: TaskRecord = { framework_id: record.framework_id, task_id: record.task_id, state: "TASK_STARTING", sandbox: s.sandbox, info: s.task };
      const c = (await restarted.recover(unrecorded))!;
      expect(c.identity).toEqual({ pid: record.pid, boot_id: record.boot_id, pid_start: record.pid_start, cgroup: record.cgroup });
      c.kill(1_000);
      expect(await c.exited).toMatchObject({ code: null, signal: "SIGTERM" });

      // --recover=cleanup finds it the same way.
      const s2 = spec({ value: "echo $$ > pid; exec sleep 30" });
      const old2 = await launchOld(previous, s2);
      await until(() => file(s2, "pid").trim() !== "", "pid file");
      const task = Number(file(s2, "pid"));
      await restarted.destroyOrphan({ framework_id: "fw", task_id: old2.record.task_id, state: "TASK_STARTING", sandbox: s2.sandbox });
      await until(() => !alive(task) && !alive(old2.record.pid!), "the task and its executor killed");
      if (old2.record.cgroup) {
        for (const p of (cgroups as { placements?: Array<{ base: string }> }).placements ?? [])
          expect(existsSync(join(p.base, old2.record.cgroup))).toBe(false);
      }
    });

    it("nothing to re-attach: another boot, an executor gone without a status, a pid that is no executor", async () => {
      const s = spec({ value: "sleep 30" });
      const { record, container } = await launchOld(previous, s);
      expect(await restarted.recover({ ...record, boot_id: "another-boot" })).toBeUndefined();
      expect(await restarted.recover({ ...record, pid_start: "1" })).toBeUndefined(); // a reused pid
      expect(await restarted.recover({ ...record, pid: process.pid, pid_start: procStatFields(process.pid)![19] })).toBeUndefined();
      killGroup(record.pid!, "SIGKILL"); // executor and task killed, nothing recorded
      const exit = await container.exited;
      expect(exit.lost).toMatch(/executor ended with signal SIGKILL/);
      expect(await restarted.recover(record)).toBeUndefined();
    });
  });
}

suite("no cgroups", new NoCgroups("tests"));

// Real cgroups: needs root and a writable memory controller. Required in CI (CI=true).
const cgroupsRoot = `strata-recovery-${process.pid}`;
const real = detectCgroups({ mode: "auto", cgroupsRoot });
const inCI = process.env.CI === "true" || process.env.CI === "1";
if (!real.enabled && !inCI) console.log(`skipping re-attach tests with real cgroups: ${real.description}`);
if (real.enabled || inCI) suite("cgroups", real);
afterAll(() => real.removeRootIfEmpty());

describe("agent restart with the real process containerizer", () => {
  const agents: Agent[] = [];
  afterEach(() => {
    for (const a of agents.splice(0)) a.stop();
  });

  /** A checkpoint as the previous agent run left it: three tasks launched by `previous`. */
  async function previousRun() {
    const previous = new ProcessContainerizer(new NoCgroups("tests"), silentLogger);
    const disk = new MemoryCheckpointStore();
    const store = new StateStore(disk);
    store.state.agent_id = "agent-1";
    store.state.agent_token = "token-1";
    store.state.last_seq = 3;
    const running = spec({ value: "echo $$ > pid; echo running; exec sleep 1000" }, { kill_policy: { grace_period: { nanoseconds: 5e9 } } });
    const ended = spec({ value: "echo ended-meanwhile" });
    const late = spec({ value: "echo $$ > pid; sleep 1; echo late" });
    const ids: Record<string, LaunchSpec> = { running, ended, late };
    for (const s of Object.values(ids)) {
      const { record, container } = await launchOld(previous, s);
      store.state.tasks[taskKey("fw", record.task_id)] = record;
      if (s === ended) await container.exited;
    }
    await until(() => file(running, "pid") !== "" && file(late, "pid") !== "", "pid files");
    store.changed();
    await store.flush();
    return { disk, ids, pid: Number(file(running, "pid")) };
  }

  function restart(disk: MemoryCheckpointStore, recover: RecoverMode) {
    const master = new FakeMaster();
    const agent = new Agent({
      client: master,
      store: new StateStore(disk),
      clock: new FakeClock(),
      log: silentLogger,
      recover,
      containerizer: new ProcessContainerizer(new NoCgroups("tests"), silentLogger),
      workDir: work,
      pollWaitSeconds: 25,
      info: { hostname: "h", port: 5051, resources: [], attributes: [] },
    });
    agents.push(agent);
    void agent.run();
    const updates = (id: string) =>
      master
        .sentUpdates()
        .filter((u) => u.status.task_id.value === id)
        .map((u) => u.status);
    return { master, agent, updates };
  }

  it("--recover=reconnect: running tasks stay running and are reported when they end; a KILL works", async () => {
    const { disk, ids, pid } = await previousRun();
    const { master, updates } = restart(disk, "reconnect");
    await until(() => master.registers.length === 1, "registration");
    const reported = Object.fromEntries(master.registers[0]!.tasks.map((t) => [t.task_id.value, t.state]));
    // Recovery comes before registering: the task that ended meanwhile is already reported over.
    expect(reported).toEqual({
      [ids.running!.task.task_id.value]: "TASK_RUNNING",
      [ids.ended!.task.task_id.value]: "TASK_FINISHED",
      [ids.late!.task.task_id.value]: "TASK_RUNNING",
    });
    const id = (k: string) => ids[k]!.task.task_id.value;

    // Ended while the agent was down: its terminal update comes now, with its stdout.
    await until(() => updates(id("ended")).some((u) => u.state === "TASK_FINISHED"), "ended → FINISHED");
    expect(decode(updates(id("ended")).at(-1)!.data)).toBe("ended-meanwhile\n");
    // Ends after the restart: reported as it ends.
    await until(() => updates(id("late")).some((u) => u.state === "TASK_FINISHED"), "late → FINISHED");
    expect(updates(id("late")).at(-1)).toMatchObject({ message: "Command exited with status 0" });
    expect(decode(updates(id("late")).at(-1)!.data)).toBe("late\n");
    // Still running, same pid; a KILL ends it.
    expect(alive(pid)).toBe(true);
    expect(updates(id("running"))).toEqual([]);
    master.answerPoll({ commands: [{ seq: 4, type: "KILL", framework_id: { value: "fw" }, task_id: { value: id("running") } }] });
    await until(() => updates(id("running")).some((u) => u.state === "TASK_KILLED"), "running → KILLED");
    expect(updates(id("running")).at(-1)).toMatchObject({
      message: "Command terminated with signal SIGTERM",
      data: Buffer.from("running\n").toString("base64"),
    });
    expect(alive(pid)).toBe(false);
  });

  it("--recover=reconnect: a task launched just before the agent died (pid not checkpointed) is found, RUNNING, then FINISHED", async () => {
    const previous = new ProcessContainerizer(new NoCgroups("tests"), silentLogger);
    const disk = new MemoryCheckpointStore();
    const store = new StateStore(disk);
    Object.assign(store.state, { agent_id: "agent-1", agent_token: "token-1", last_seq: 1 });
    const s = spec({ value: "sleep 1; echo made-it" });
    const { record } = await launchOld(previous, s);
    store.state.tasks[taskKey("fw", record.task_id)] = {
      framework_id: "fw",
      task_id: record.task_id,
      state: "TASK_STARTING",
      sandbox: s.sandbox,
      info: s.task,
    };
    store.changed();
    await store.flush();
    const { master, updates } = restart(disk, "reconnect");
    await until(() => master.registers.length === 1, "registration");
    expect(master.registers[0]!.tasks).toEqual([{ framework_id: { value: "fw" }, task_id: { value: record.task_id }, state: "TASK_RUNNING" }]);
    await until(() => updates(record.task_id).some((u) => u.state === "TASK_FINISHED"), "FINISHED");
    expect(updates(record.task_id).map((u) => u.state)).toEqual(["TASK_RUNNING", "TASK_FINISHED"]);
    expect(decode(updates(record.task_id).at(-1)!.data)).toBe("made-it\n");
    expect(disk.load()!.tasks[taskKey("fw", record.task_id)]!.pid).toBe(record.pid); // now checkpointed
  });

  it("--recover=cleanup: what the previous run left is killed and reported failed", async () => {
    const { disk, ids, pid } = await previousRun();
    const { master, updates } = restart(disk, "cleanup");
    await until(() => master.registers.length === 1, "registration");
    expect(master.registers[0]!.tasks.every((t) => t.state === "TASK_FAILED")).toBe(true);
    await until(() => Object.values(ids).every((s) => updates(s.task.task_id.value).length > 0), "updates");
    for (const s of Object.values(ids)) {
      expect(updates(s.task.task_id.value)).toMatchObject([{ state: "TASK_FAILED", reason: "REASON_EXECUTOR_TERMINATED", message: RESTART_CLEANUP_MESSAGE }]);
    }
    await until(() => !alive(pid), "the running task killed");
  });

  it("--recover=reconnect: a task whose executor is gone without a status is reported lost", async () => {
    const { disk, ids } = await previousRun();
    const lostId = ids.running!.task.task_id.value;
    const record = disk.load()!.tasks[taskKey("fw", lostId)]!;
    killGroup(record.pid!, "SIGKILL");
    await until(() => !alive(record.pid!), "executor gone");
    const { updates } = restart(disk, "reconnect");
    await until(() => updates(lostId).length > 0, "lost update");
    expect(updates(lostId)).toMatchObject([{ state: "TASK_FAILED", reason: "REASON_EXECUTOR_TERMINATED", message: RESTART_LOST_MESSAGE }]);
  });
});

describe("exitFromStatus", () => {
  it("reads a shell's $?: 128 + a known signal is that signal", () => {
    expect(exitFromStatus(0)).toEqual({ code: 0, signal: null });
    expect(exitFromStatus(128)).toEqual({ code: 128, signal: null });
    expect(exitFromStatus(137)).toEqual({ code: null, signal: "SIGKILL" });
    expect(exitFromStatus(143)).toEqual({ code: null, signal: "SIGTERM" });
    expect(exitFromStatus(255)).toEqual({ code: 255, signal: null });
  });
});

describe("--recover", () => {
  it("defaults to reconnect, takes cleanup from the flag or STRATA_RECOVER, refuses anything else", () => {
    const flags = (argv: string[], env: Record<string, string> = {}) => {
      const parsed = parseFlags(["--join-token", "t", ...argv], env);
      if (parsed.kind !== "run") throw new Error(parsed.kind);
      return parsed.flags;
    };
    expect(flags([]).recover).toBe("reconnect");
    expect(flags(["--recover", "cleanup"]).recover).toBe("cleanup");
    expect(flags([], { STRATA_RECOVER: "cleanup" }).recover).toBe("cleanup");
    expect(() => flags(["--recover=keep"])).toThrow(/--recover: expected one of reconnect, cleanup, got 'keep'/);
  });
});
