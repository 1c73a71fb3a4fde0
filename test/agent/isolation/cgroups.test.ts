/// <reference types="node" />
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ProcessContainerizer } from "../../../agent-bun/src/containerizers/process-containerizer.ts";
import { Agent } from "../../../agent-bun/src/core/agent.ts";
import { type CgroupHost, CgroupTask, nodeCgroupHost } from "../../../agent-bun/src/isolation/cgroup-task.ts";
import { detectCgroups, LinuxCgroups } from "../../../agent-bun/src/isolation/cgroups.ts";
import { sandboxPath } from "../../../agent-bun/src/sandbox/paths.ts";
import { MemoryCheckpointStore, StateStore } from "../../../agent-bun/src/state/checkpoint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import { FakeClock, FakeMaster } from "../fakes.ts";

/** A cgroup filesystem made of plain files in a temp dir, recording writes and signals. */
function fakeCgroupFs(layout: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), "strata-cgfs-"));
  for (const [path, content] of Object.entries(layout)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  const writes: Array<[string, string]> = [];
  const kills: Array<[number, string]> = [];
  const host: CgroupHost = {
    ...nodeCgroupHost,
    write: (p, d) => {
      writes.push([p.slice(root.length + 1), d]);
      writeFileSync(p, d);
    },
    rmdir: (p) => rmSync(p, { recursive: true }), // real cgroupfs removes a dir full of control files
    kill: (pid, sig) => {
      kills.push([pid, sig]);
    },
  };
  return { root, host, writes, kills, read: (p: string) => readFileSync(join(root, p), "utf8") };
}

describe("cgroups detection and file writes (fake cgroup fs)", () => {
  it("v2 (unified at the root): delegates controllers and writes memory.max, swap, cpu.max", async () => {
    const fs = fakeCgroupFs({
      "cgroup.controllers": "cpuset cpu io memory pids\n",
      "cgroup.subtree_control": "",
      "strata/memory.swap.max": "max\n",
    });
    const cg = detectCgroups({ mode: "auto", cgroupsRoot: "strata", fsRoot: fs.root, host: fs.host });
    expect(cg).toBeInstanceOf(LinuxCgroups);
    expect((cg as LinuxCgroups).placements).toEqual([
      { controller: "memory", version: 2, base: join(fs.root, "strata") },
      { controller: "cpu", version: 2, base: join(fs.root, "strata") },
      { controller: "pids", version: 2, base: join(fs.root, "strata") },
    ]);
    expect(fs.writes).toContainEqual(["cgroup.subtree_control", "+memory"]);
    expect(fs.writes).toContainEqual(["strata/cgroup.subtree_control", "+pids"]);
    expect(fs.writes).toContainEqual(["strata/cgroup.subtree_control", "+cpu"]);

    const task = await cg.create("fw_t1", { cpus: 0.5, memMB: 32, pids: 100 });
    expect(fs.read("strata/fw_t1/memory.max")).toBe(String(32 * 1024 * 1024));
    expect(fs.read("strata/fw_t1/pids.max")).toBe("100");
    expect(fs.read("strata/fw_t1/memory.swap.max")).toBe("0");
    expect(fs.read("strata/fw_t1/cpu.max")).toBe("50000 100000");
    expect(Number(fs.read("strata/fw_t1/cpu.weight"))).toBeGreaterThan(0);
    task!.addProcess(4321);
    expect(fs.read("strata/fw_t1/cgroup.procs")).toBe("4321");
    expect(task!.oomKilled()).toBe(false);
    writeFileSync(join(fs.root, "strata/fw_t1/memory.events"), "low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\n");
    expect(task!.oomKilled()).toBe(false);
    writeFileSync(join(fs.root, "strata/fw_t1/memory.events"), "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n");
    expect(task!.oomKilled()).toBe(true);
    await task!.destroy();
    expect(fs.kills).toEqual([[4321, "SIGKILL"]]);
    expect(existsSync(join(fs.root, "strata/fw_t1"))).toBe(false);
  });

  it("v1 (unified mounted without controllers): memory + memsw, cpu shares and CFS quota", async () => {
    const fs = fakeCgroupFs({
      "unified/cgroup.controllers": "",
      "unified/cgroup.subtree_control": "",
      "memory/memory.limit_in_bytes": "9223372036854771712\n",
      "memory/memory.memsw.limit_in_bytes": "9223372036854771712\n",
      "cpu,cpuacct/cpu.shares": "1024\n",
    });
    const cg = detectCgroups({ mode: "auto", cgroupsRoot: "agents/a1", fsRoot: fs.root, host: fs.host }) as LinuxCgroups;
    expect(cg.placements).toEqual([
      { controller: "memory", version: 1, base: join(fs.root, "memory/agents/a1"), memsw: true },
      { controller: "cpu", version: 1, base: join(fs.root, "cpu,cpuacct/agents/a1") },
    ]);
    const task = await cg.create("fw_t2", { cpus: 1.5, memMB: 100 });
    const bytes = String(100 * 1024 * 1024);
    expect(fs.writes.filter(([p]) => p.includes("fw_t2"))).toEqual([
      ["memory/agents/a1/fw_t2/memory.limit_in_bytes", bytes],
      ["memory/agents/a1/fw_t2/memory.memsw.limit_in_bytes", bytes],
      ["cpu,cpuacct/agents/a1/fw_t2/cpu.shares", "1536"],
      ["cpu,cpuacct/agents/a1/fw_t2/cpu.cfs_period_us", "100000"],
      ["cpu,cpuacct/agents/a1/fw_t2/cpu.cfs_quota_us", "150000"],
    ]);
    // --cgroups-enable-cfs=false: cpus give a weight only, no hard limit
    await cg.create("fw_t3", { cpus: 1.5, cpuQuota: false });
    expect(fs.writes.filter(([p]) => p.includes("fw_t3"))).toEqual([["cpu,cpuacct/agents/a1/fw_t3/cpu.shares", "1536"]]);
    await cg.destroy("fw_t3");
    task.addProcess(77);
    expect(fs.read("memory/agents/a1/fw_t2/cgroup.procs")).toBe("77");
    expect(fs.read("cpu,cpuacct/agents/a1/fw_t2/cgroup.procs")).toBe("77");
    writeFileSync(join(fs.root, "memory/agents/a1/fw_t2/memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
    expect(task.oomKilled()).toBe(false);
    writeFileSync(join(fs.root, "memory/agents/a1/fw_t2/memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    expect(task.oomKilled()).toBe(true);
    await cg.destroy("fw_t2");
    expect(existsSync(join(fs.root, "memory/agents/a1/fw_t2"))).toBe(false);
    expect(existsSync(join(fs.root, "cpu,cpuacct/agents/a1/fw_t2"))).toBe(false);
    cg.removeRootIfEmpty();
    expect(existsSync(join(fs.root, "memory/agents/a1"))).toBe(false);
    expect(existsSync(join(fs.root, "memory/agents"))).toBe(true);
  });

  it("places each controller where it is usable (memory v2, cpu v1)", () => {
    const fs = fakeCgroupFs({
      "unified/cgroup.controllers": "memory pids",
      "unified/cgroup.subtree_control": "",
      "cpu/cpu.shares": "1024",
    });
    const cg = detectCgroups({ mode: "auto", cgroupsRoot: "strata", fsRoot: fs.root, host: fs.host }) as LinuxCgroups;
    expect(cg.placements.map((p) => [p.controller, p.version])).toEqual([
      ["memory", 2],
      ["cpu", 1],
      ["pids", 2],
    ]);
    expect(new CgroupTask("x", cg.placements, fs.host).dirs).toEqual([join(fs.root, "unified/strata/x"), join(fs.root, "cpu/strata/x")]);
  });

  it("honours --cgroups=off|v1|v2 and explains when nothing is usable", () => {
    const fs = fakeCgroupFs({ "unified/cgroup.controllers": "pids" });
    expect(detectCgroups({ mode: "off", cgroupsRoot: "strata", fsRoot: fs.root, host: fs.host }).enabled).toBe(false);
    const none = detectCgroups({ mode: "auto", cgroupsRoot: "strata", fsRoot: fs.root, host: fs.host });
    expect(none.enabled).toBe(false);
    expect(none.description).toMatch(/memory: not available in cgroup2/);
    expect(() => detectCgroups({ mode: "v2", cgroupsRoot: "strata", fsRoot: fs.root, host: fs.host })).toThrow(/--cgroups=v2: memory/);
    expect(() => detectCgroups({ mode: "v1", cgroupsRoot: "strata", fsRoot: fs.root, host: fs.host })).toThrow(/--cgroups=v1: memory.*no cgroup v1 hierarchy/);
  });
});

// ---------------------------------------------------------------------------------------------
// Real cgroups: needs root and a writable memory controller. Required in CI (CI=true).
const cgroupsRoot = `strata-test-${process.pid}`;
const real = detectCgroups({ mode: "auto", cgroupsRoot });
const inCI = process.env.CI === "true" || process.env.CI === "1";
if (!real.enabled && !inCI) console.log(`skipping real cgroup tests: ${real.description}`);

afterAll(() => {
  real.removeRootIfEmpty();
});

describe.skipIf(!real.enabled && !inCI)("real cgroups", () => {
  it("is usable (required in CI)", () => {
    expect(real.enabled, real.description).toBe(true);
  });

  it("puts the task in its cgroup before its command runs, with the limits written", async () => {
    const placements = (real as LinuxCgroups).placements;
    const work = mkdtempSync(join(tmpdir(), "strata-cg-"));
    const containerizer = new ProcessContainerizer(real, silentLogger);
    const spec = {
      frameworkId: "fw",
      agentId: "a",
      sandbox: sandboxPath(work, "fw", "limits"),
      task: {
        name: "limits",
        task_id: { value: "limits" },
        agent_id: { value: "a" },
        resources: [
          { name: "cpus", type: "SCALAR" as const, scalar: { value: 0.25 } },
          { name: "mem", type: "SCALAR" as const, scalar: { value: 64 } },
        ],
        command: { value: "cat /proc/self/cgroup; echo ready; sleep 30" },
      },
    };
    await containerizer.prepare(spec);
    const c = await containerizer.launch(spec);
    const out = () => readFileSync(join(spec.sandbox, "stdout"), "utf8");
    for (let i = 0; i < 200 && !out().includes("ready"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(out()).toContain(`/${cgroupsRoot}/${c.identity.cgroup}`);
    for (const p of placements) {
      const dir = join(p.base, c.identity.cgroup!);
      expect(readFileSync(join(dir, "cgroup.procs"), "utf8")).toContain(String(c.identity.pid));
      if (p.controller === "memory") {
        const file = p.version === 2 ? "memory.max" : "memory.limit_in_bytes";
        expect(Number(readFileSync(join(dir, file), "utf8"))).toBe(64 * 1024 * 1024);
      } else if (p.controller === "pids") {
        expect(readFileSync(join(dir, "pids.max"), "utf8").trim()).toBe("max"); // no --task-pids-limit given here
      } else if (p.version === 1) {
        expect(readFileSync(join(dir, "cpu.cfs_quota_us"), "utf8").trim()).toBe("35000"); // 0.25 cpus + the executor's 0.1
      } else {
        expect(readFileSync(join(dir, "cpu.max"), "utf8").trim()).toBe("35000 100000");
      }
    }
    c.kill(1_000);
    const exit = await c.exited;
    expect(exit.oomKilled).toBe(false);
    for (const p of placements) expect(existsSync(join(p.base, c.identity.cgroup!))).toBe(false);
  });

  it("reports a task killed by the OOM killer as REASON_CONTAINER_LIMITATION_MEMORY", async () => {
    const work = mkdtempSync(join(tmpdir(), "strata-oom-"));
    const master = new FakeMaster();
    const agent = new Agent({
      client: master,
      store: new StateStore(new MemoryCheckpointStore()),
      clock: new FakeClock(),
      log: silentLogger,
      containerizer: new ProcessContainerizer(real, silentLogger),
      workDir: work,
      pollWaitSeconds: 25,
      info: { hostname: "h", port: 5051, resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }], attributes: [] },
    });
    void agent.run();
    master.answerPoll({
      commands: [
        {
          seq: 1,
          type: "LAUNCH",
          framework_id: { value: "fw" },
          task: {
            name: "hog",
            task_id: { value: "hog" },
            agent_id: { value: "agent-1" },
            resources: [{ name: "mem", type: "SCALAR", scalar: { value: 32 } }],
            command: { value: "echo before; head -c 200M /dev/zero | tail; echo after" },
          },
        },
      ],
    });
    for (let i = 0; i < 500 && !master.sentUpdates().some((u) => u.status.state === "TASK_FAILED"); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    agent.stop();
    const failed = master.sentUpdates().find((u) => u.status.state === "TASK_FAILED");
    expect(failed?.status.reason).toBe("REASON_CONTAINER_LIMITATION_MEMORY");
    expect(failed?.status.message).toMatch(/Memory limit exceeded.*32 MB/);
    expect(Buffer.from(failed!.status.data!, "base64").toString()).toContain("before");
  });
});
