/// <reference types="node" />
/**
 * Isolation of command tasks with real processes: the task's user (task-user.ts), the pids
 * limit of its cgroup, and the sandbox disk limit (disk-watch.ts). Switching users and cgroups
 * need root: those tests are required in CI (CI=true, which runs as root) and skipped with a
 * printed reason elsewhere.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseFlags } from "../../../agent-bun/src/cli/flags.ts";
import { LaunchError, type LaunchSpec } from "../../../agent-bun/src/containerizers/containerizer.ts";
import { EXIT_FILE, readExitStatus } from "../../../agent-bun/src/containerizers/executor.ts";
import { ProcessContainerizer, type ProcessIsolation } from "../../../agent-bun/src/containerizers/process-containerizer.ts";
import { Agent } from "../../../agent-bun/src/core/agent.ts";
import { type Cgroups, detectCgroups, LinuxCgroups, NoCgroups } from "../../../agent-bun/src/isolation/cgroups.ts";
import { DiskWatch, sandboxDiskLimitMB, sandboxUsage } from "../../../agent-bun/src/isolation/disk-watch.ts";
import { lookupUser, setprivPrefix, TaskUserError, taskUser } from "../../../agent-bun/src/isolation/task-user.ts";
import { sandboxPath } from "../../../agent-bun/src/sandbox/paths.ts";
import { MemoryCheckpointStore, StateStore } from "../../../agent-bun/src/state/checkpoint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import { killGroup } from "../../../agent-bun/src/system/proc.ts";
import type { AgentCommand } from "../../../schemas/agent.ts";
import type { CommandInfo, Resource, TaskInfo } from "../../../schemas/mesos.ts";
import { taskKey } from "../../../sdk/src/ids.ts";
import { FakeClock, FakeMaster } from "../fakes.ts";

const inCI = process.env.CI === "true" || process.env.CI === "1";
const isRoot = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), "strata-isolation-"));
chmodSync(work, 0o755); // task users must be able to reach their sandboxes (README "Isolation")
const started: number[] = [];
let n = 0;

afterAll(() => {
  for (const pid of started) killGroup(pid, "SIGKILL");
});

function taskInfo(id: string, command: CommandInfo, resources: Resource[] = []): TaskInfo {
  return { name: id, task_id: { value: id }, agent_id: { value: "agent-1" }, resources, command };
}

function spec(command: CommandInfo, extra: Partial<LaunchSpec> = {}, resources: Resource[] = []): LaunchSpec {
  const id = `iso${++n}`;
  return { frameworkId: "fw", agentId: "agent-1", sandbox: sandboxPath(work, "fw", id), task: taskInfo(id, command, resources), ...extra };
}

async function run(containerizer: ProcessContainerizer, s: LaunchSpec) {
  await containerizer.prepare(s);
  const c = await containerizer.launch(s);
  started.push(c.identity.pid!);
  return { container: c, exit: await c.exited };
}

const scalar = (name: string, value: number): Resource => ({ name, type: "SCALAR", scalar: { value } });

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An Agent on a fake master with the real process containerizer; `launch` sends one LAUNCH. */
function agentWith(containerizer: ProcessContainerizer, diskWatch?: DiskWatch) {
  const master = new FakeMaster();
  const agent = new Agent({
    client: master,
    store: new StateStore(new MemoryCheckpointStore()),
    clock: new FakeClock(),
    log: silentLogger,
    containerizer,
    workDir: work,
    pollWaitSeconds: 25,
    info: { hostname: "h", port: 5051, resources: [], attributes: [] },
    ...(diskWatch ? { diskWatch } : {}),
  });
  void agent.run();
  let seq = 0;
  const launch = (task: TaskInfo, user = "root") => {
    const cmd: AgentCommand = { seq: ++seq, type: "LAUNCH", framework_id: { value: "fw" }, framework_info: { user, name: "iso" }, task };
    master.answerPoll({ commands: [cmd] });
  };
  const updates = (id: string) =>
    master
      .sentUpdates()
      .filter((u) => u.status.task_id.value === id)
      .map((u) => u.status);
  return { agent, launch, updates };
}

// ---- No root needed ----

describe("task users (account files and policy)", () => {
  const dir = mkdtempSync(join(tmpdir(), "strata-accounts-"));
  const files = { passwd: join(dir, "passwd"), group: join(dir, "group") };
  writeFileSync(files.passwd, "# comment\nroot:x:0:0:root:/root:/bin/sh\nalice:x:1001:1001::/home/alice:/bin/sh\nbob:x:1002:100::/home/bob:/bin/sh\n");
  writeFileSync(files.group, "root:x:0:\nalice:x:1001:\nusers:x:100:alice\ndocker:x:999:alice,bob\nwheel:x:10:bobby\n");
  const policy = { switchUser: true, allowRoot: true };

  it("reads uid, gid and supplementary groups from passwd and group", () => {
    expect(lookupUser("alice", files)).toEqual({ name: "alice", uid: 1001, gid: 1001, groups: [100, 999] });
    // bob's primary group (100) is not repeated; "bobby" is someone else.
    expect(lookupUser("bob", files)).toEqual({ name: "bob", uid: 1002, gid: 100, groups: [999] });
    expect(lookupUser("carol", files)).toBeUndefined();
  });

  it("a root agent switches to the named user; unknown users and refused root fail with a clear message", () => {
    expect(taskUser("alice", policy, 0, files)?.uid).toBe(1001);
    expect(() => taskUser("carol", policy, 0, files)).toThrow(new TaskUserError("user 'carol' does not exist on this agent"));
    expect(taskUser("root", policy, 0, files)).toBeUndefined(); // as the agent (root)
    expect(taskUser(undefined, policy, 0, files)).toBeUndefined();
    const noRoot = { switchUser: true, allowRoot: false };
    expect(() => taskUser("root", noRoot, 0, files)).toThrow(/root tasks are not allowed/);
    expect(() => taskUser(undefined, noRoot, 0, files)).toThrow(/names no user/);
    expect(() => taskUser("alice", { switchUser: false, allowRoot: false }, 0, files)).toThrow(/--switch-user=false/);
    expect(taskUser("alice", { switchUser: false, allowRoot: true }, 0, files)).toBeUndefined();
  });

  it("setpriv starts the command as the user with all its groups", () => {
    const alice = lookupUser("alice", files)!;
    expect(setprivPrefix(alice, "/usr/bin/setpriv")).toEqual(["/usr/bin/setpriv", "--reuid=1001", "--regid=1001", "--groups=100,999", "--"]);
    expect(setprivPrefix({ ...alice, groups: [] }, "/usr/bin/setpriv")).toContain("--clear-groups");
    expect(setprivPrefix(alice, undefined)).toBeUndefined();
  });

  it("an agent that is not root runs every task as itself (users are not looked up)", () => {
    expect(taskUser("carol", policy, 1000, files)).toBeUndefined();
    expect(taskUser("root", { switchUser: true, allowRoot: false }, 1000, files)).toBeUndefined();
  });

  it("flags: defaults as Mesos (switch user, root allowed), a pids limit, a 15 s disk watch, enforced", () => {
    const parsed = parseFlags(["--join-token", "t"], {});
    if (parsed.kind !== "run") throw new Error("expected flags");
    expect(parsed.flags).toMatchObject({
      switchUser: true,
      allowRootTasks: false,
      taskPidsLimit: 4096,
      containerDiskWatchIntervalSeconds: 15,
      enforceDiskLimit: true,
    });
    const other = parseFlags(
      [
        "--join-token",
        "t",
        "--switch-user=false",
        "--allow-root-tasks",
        "false",
        "--task-pids-limit",
        "0",
        "--enforce-disk-limit=false",
        "--container-disk-watch-interval-seconds",
        "2",
      ],
      {},
    );
    expect(other.kind === "run" && other.flags).toMatchObject({
      switchUser: false,
      allowRootTasks: false,
      taskPidsLimit: 0,
      enforceDiskLimit: false,
      containerDiskWatchIntervalSeconds: 2,
    });
    expect(() => parseFlags(["--join-token", "t", "--switch-user=yes"], {})).toThrow("--switch-user: expected true or false, got 'yes'");
    expect(() => parseFlags(["--join-token", "t", "--task-pids-limit=-1"], {})).toThrow(/--task-pids-limit/);
    expect(() => parseFlags(["--join-token", "t", "--container-disk-watch-interval-seconds=0"], {})).toThrow(/--container-disk-watch-interval-seconds/);
  });
});

describe("sandbox disk usage", () => {
  it("counts allocated bytes like du, not following symlinks (volumes), and stops at the entry cap", async () => {
    const dir = mkdtempSync(join(tmpdir(), "strata-du-"));
    const base = (await sandboxUsage(dir)).bytes;
    writeFileSync(join(dir, "big"), Buffer.alloc(2 * 1024 * 1024, 1));
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub", "small"), Buffer.alloc(100_000, 1));
    const outside = mkdtempSync(join(tmpdir(), "strata-du-vol-"));
    writeFileSync(join(outside, "huge"), Buffer.alloc(4 * 1024 * 1024, 1));
    symlinkSync(outside, join(dir, "volume"));
    const usage = await sandboxUsage(dir);
    expect(usage.truncated).toBe(false);
    expect(usage.bytes - base).toBeGreaterThanOrEqual(2 * 1024 * 1024 + 100_000);
    expect(usage.bytes - base).toBeLessThan(3 * 1024 * 1024); // the 4 MB behind the symlink is not counted
    expect((await sandboxUsage(dir, 1)).truncated).toBe(true);
  });

  it("the sandbox's limit is its disk resources, persistent volumes excluded", () => {
    const volume: Resource = { ...scalar("disk", 500), disk: { persistence: { id: "v1" }, volume: { container_path: "data", mode: "RW" } } };
    expect(sandboxDiskLimitMB([scalar("cpus", 1), scalar("disk", 64), volume])).toBe(64);
    expect(sandboxDiskLimitMB([scalar("cpus", 1)])).toBe(0);
  });

  it("a task writing past its disk resource is killed: TASK_FAILED, REASON_CONTAINER_LIMITATION_DISK, used/limit in the message", async () => {
    const containerizer = new ProcessContainerizer(new NoCgroups("tests"), silentLogger);
    const { agent, launch, updates } = agentWith(containerizer, new DiskWatch({ intervalMs: 100, enforce: true, log: silentLogger }));
    launch(taskInfo("du-over", { value: "head -c 3000000 /dev/zero > fill; sleep 30" }, [scalar("disk", 1)]));
    launch(taskInfo("du-under", { value: "head -c 100000 /dev/zero > fill; sleep 0.5" }, [scalar("disk", 1)]));
    await until(() => updates("du-over").some((u) => u.state === "TASK_FAILED"), "du-over → TASK_FAILED");
    const failed = updates("du-over").at(-1)!;
    expect(failed).toMatchObject({ state: "TASK_FAILED", reason: "REASON_CONTAINER_LIMITATION_DISK", source: "SOURCE_AGENT" });
    expect(failed.message).toMatch(/^Disk usage \(2\.\d MB\) exceeds the task's disk limit \(1 MB\)/);
    await until(() => updates("du-under").some((u) => u.state === "TASK_FINISHED"), "du-under → TASK_FINISHED");
    agent.stop();
  });

  it("a task re-attached after an agent restart is watched too", async () => {
    const previous = new ProcessContainerizer(new NoCgroups("tests"), silentLogger);
    const s = spec({ value: "sleep 0.3; head -c 3000000 /dev/zero > fill; exec sleep 30" }, {}, [scalar("disk", 1)]);
    await previous.prepare(s);
    const old = await previous.launch(s);
    started.push(old.identity.pid!);
    const disk = new MemoryCheckpointStore();
    const store = new StateStore(disk);
    Object.assign(store.state, { agent_id: "agent-1", agent_token: "token-1", last_seq: 1 });
    store.state.tasks[taskKey("fw", s.task.task_id.value)] = {
      framework_id: "fw",
      task_id: s.task.task_id.value,
      state: "TASK_RUNNING",
      sandbox: s.sandbox,
      info: s.task,
      ...old.identity,
    };
    store.changed();
    await store.flush();
    const master = new FakeMaster();
    const agent = new Agent({
      client: master,
      store: new StateStore(disk),
      clock: new FakeClock(),
      log: silentLogger,
      workDir: work,
      pollWaitSeconds: 25,
      containerizer: new ProcessContainerizer(new NoCgroups("tests"), silentLogger),
      info: { hostname: "h", port: 5051, resources: [], attributes: [] },
      diskWatch: new DiskWatch({ intervalMs: 100, enforce: true, log: silentLogger }),
    });
    void agent.run();
    const updates = () =>
      master
        .sentUpdates()
        .filter((u) => u.status.task_id.value === s.task.task_id.value)
        .map((u) => u.status);
    await until(() => updates().some((u) => u.state === "TASK_FAILED"), "re-attached task → TASK_FAILED");
    expect(updates().at(-1)).toMatchObject({ reason: "REASON_CONTAINER_LIMITATION_DISK" });
    agent.stop();
  });

  it("with --enforce-disk-limit=false the task is left running (only logged)", async () => {
    const containerizer = new ProcessContainerizer(new NoCgroups("tests"), silentLogger);
    const { agent, launch, updates } = agentWith(containerizer, new DiskWatch({ intervalMs: 50, enforce: false, log: silentLogger }));
    launch(taskInfo("du-lax", { value: "head -c 3000000 /dev/zero > fill; sleep 0.6" }, [scalar("disk", 1)]));
    await until(() => updates("du-lax").some((u) => u.state === "TASK_FINISHED"), "du-lax → TASK_FINISHED");
    agent.stop();
  });
});

// ---- Root: switching users (required in CI) ----

if (!isRoot && !inCI) console.log("skipping task user tests: they need root (the agent switches users only as root)");

describe.skipIf(!isRoot && !inCI)("tasks as their user (root agent)", () => {
  const nobody = lookupUser("nobody");

  it("runs as CommandInfo.user: `id -u` prints its uid, the sandbox is its own, the exit file is still written", async () => {
    expect(isRoot, "the task user tests need root in CI").toBe(true);
    expect(nobody, "the user nobody").toBeDefined();
    const containerizer = new ProcessContainerizer(new NoCgroups("tests"), silentLogger);
    const s = spec({ value: 'id -u; id -g; echo "$USER"; touch mine', user: "nobody" }, { frameworkUser: "root" });
    const { exit } = await run(containerizer, s);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(readFileSync(join(s.sandbox, "stdout"), "utf8")).toBe(`${nobody!.uid}\n${nobody!.gid}\nnobody\n`);
    expect(lstatSync(s.sandbox).uid).toBe(nobody!.uid);
    expect(lstatSync(join(s.sandbox, "stdout")).uid).toBe(nobody!.uid);
    expect(lstatSync(join(s.sandbox, "mine")).uid).toBe(nobody!.uid);
    expect(existsSync(join(s.sandbox, EXIT_FILE))).toBe(true);
    expect(readExitStatus(s.sandbox)).toBe(0);
  });

  it("without setpriv the executor itself runs as the user (primary group) and still writes its exit file", async () => {
    const containerizer = new ProcessContainerizer(new NoCgroups("tests"), silentLogger, { setpriv: null });
    const s = spec({ value: "id -u; id -g; exit 3", user: "nobody" });
    const { exit } = await run(containerizer, s);
    expect(exit).toMatchObject({ code: 3, signal: null });
    expect(readFileSync(join(s.sandbox, "stdout"), "utf8")).toBe(`${nobody!.uid}\n${nobody!.gid}\n`);
    expect(readExitStatus(s.sandbox)).toBe(3);
    expect(lstatSync(join(s.sandbox, EXIT_FILE)).uid).toBe(nobody!.uid);
  });

  it("without CommandInfo.user runs as FrameworkInfo.user", async () => {
    const containerizer = new ProcessContainerizer(new NoCgroups("tests"), silentLogger);
    const s = spec({ value: "id -u" }, { frameworkUser: "nobody" });
    const { exit } = await run(containerizer, s);
    expect(exit.code).toBe(0);
    expect(readFileSync(join(s.sandbox, "stdout"), "utf8")).toBe(`${nobody!.uid}\n`);
  });

  it("a user the agent does not know fails the launch: TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED", async () => {
    const containerizer = new ProcessContainerizer(new NoCgroups("tests"), silentLogger);
    await expect(run(containerizer, spec({ value: "true", user: "no-such-user-strata" }))).rejects.toThrow(
      new LaunchError("user 'no-such-user-strata' does not exist on this agent"),
    );
    const { agent, launch, updates } = agentWith(containerizer);
    launch(taskInfo("ghost", { value: "true" }), "no-such-user-strata");
    await until(() => updates("ghost").some((u) => u.state === "TASK_FAILED"), "ghost → TASK_FAILED");
    expect(updates("ghost").at(-1)).toMatchObject({
      reason: "REASON_CONTAINER_LAUNCH_FAILED",
      message: "user 'no-such-user-strata' does not exist on this agent",
    });
    agent.stop();
  });

  it("root tasks: run as root by default (e2e frameworks use root), refused with --allow-root-tasks=false", async () => {
    const allowed = new ProcessContainerizer(new NoCgroups("tests"), silentLogger);
    const s = spec({ value: "id -u", user: "root" });
    expect((await run(allowed, s)).exit.code).toBe(0);
    expect(readFileSync(join(s.sandbox, "stdout"), "utf8")).toBe("0\n");
    const refusing = new ProcessContainerizer(new NoCgroups("tests"), silentLogger, { users: { switchUser: true, allowRoot: false } });
    await expect(run(refusing, spec({ value: "true", user: "root" }))).rejects.toThrow(/root tasks are not allowed on this agent/);
    // Named users still run.
    expect((await run(refusing, spec({ value: "true", user: "nobody" }))).exit.code).toBe(0);
  });
});

// ---- Root and cgroups: the pids limit (required in CI) ----

const cgroupsRoot = `strata-iso-test-${process.pid}`;
const real: Cgroups = isRoot ? detectCgroups({ mode: "auto", cgroupsRoot }) : new NoCgroups("the agent is not root");
const pidsPlacement = real instanceof LinuxCgroups ? real.placements.find((p) => p.controller === "pids") : undefined;
const noPids = !real.enabled ? real.description : !pidsPlacement ? "no usable pids controller" : undefined;
if (noPids && !inCI) console.log(`skipping the pids limit test: ${noPids}`);

afterAll(() => real.removeRootIfEmpty());

describe.skipIf(!!noPids && !inCI)("pids limit (real cgroups)", () => {
  it("a fork loop hits the task's pids.max, not the machine", async () => {
    expect(noPids, "the pids test needs cgroups with the pids controller in CI").toBeUndefined();
    const isolation: ProcessIsolation = { pidsLimit: 16 };
    const containerizer = new ProcessContainerizer(real, silentLogger, isolation);
    // Starts 100 background sleeps; forks past the limit fail (the shell reports it on stderr).
    const s = spec({ value: "i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); done; echo all-started" });
    await containerizer.prepare(s);
    const c = await containerizer.launch(s);
    started.push(c.identity.pid!);
    const dir = join(pidsPlacement!.base, c.identity.cgroup!);
    expect(readFileSync(join(dir, "pids.max"), "utf8").trim()).toBe("16");
    const exit = await Promise.race([c.exited, new Promise<undefined>((r) => setTimeout(r, 3_000, undefined))]);
    const stderr = readFileSync(join(s.sandbox, "stderr"), "utf8");
    expect(stderr).toMatch(/fork|Resource temporarily unavailable/i);
    expect(readFileSync(join(s.sandbox, "stdout"), "utf8")).not.toContain("all-started");
    if (exit === undefined) {
      expect(Number(readFileSync(join(dir, "pids.current"), "utf8"))).toBeLessThanOrEqual(16);
      c.kill(0);
      await c.exited;
    }
  });
});
