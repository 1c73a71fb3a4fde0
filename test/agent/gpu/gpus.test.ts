/// <reference types="node" />
/**
 * NVIDIA GPUs on the agent without a GPU: detection reads a fake /proc and /dev tree (and a fake
 * nvidia-smi), allocation is checked through the real process containerizer (real processes
 * print their visible-devices variables), the devices cgroup through a fake cgroup filesystem,
 * and Docker through the create-container body.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseFlags } from "../../../agent-bun/src/cli/flags.ts";
import { withGpus } from "../../../agent-bun/src/cli/gpu-setup.ts";
import { type Container, LaunchError, type LaunchSpec } from "../../../agent-bun/src/containerizers/containerizer.ts";
import { GpuAllocator, GpuContainerizer } from "../../../agent-bun/src/containerizers/gpu-containerizer.ts";
import { ProcessContainerizer } from "../../../agent-bun/src/containerizers/process-containerizer.ts";
import { Agent } from "../../../agent-bun/src/core/agent.ts";
import { dockerCreateConfig } from "../../../agent-bun/src/docker/docker-config.ts";
import { gpuDeviceDenials } from "../../../agent-bun/src/gpu/gpu-assignment.ts";
import { detectNvidiaGpus, type GpuDevice, type GpuHost, NVIDIA_SMI_QUERY, selectGpus } from "../../../agent-bun/src/gpu/gpus.ts";
import { type CgroupHost, nodeCgroupHost } from "../../../agent-bun/src/isolation/cgroup-task.ts";
import { detectCgroups, type LinuxCgroups, NoCgroups } from "../../../agent-bun/src/isolation/cgroups.ts";
import { sandboxPath } from "../../../agent-bun/src/sandbox/paths.ts";
import { MemoryCheckpointStore, StateStore, type TaskRecord } from "../../../agent-bun/src/state/checkpoint.ts";
import { fingerprint, type HostProbe } from "../../../agent-bun/src/system/fingerprint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import { killGroup } from "../../../agent-bun/src/system/proc.ts";
import type { ContainerInfo, Resource, TaskInfo } from "../../../schemas/mesos.ts";
import { taskKey } from "../../../sdk/src/ids.ts";
import { parseResources, scalar, scalarOf } from "../../../sdk/src/resources.ts";
import { FakeClock, FakeContainerizer, FakeMaster } from "../fakes.ts";

const temps: string[] = [];
const started: number[] = [];
afterAll(() => {
  for (const pid of started) killGroup(pid, "SIGKILL");
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};

/** The driver's /proc file for one GPU. */
const information = (model: string, minor: number, uuid: string) =>
  `Model: \t\t ${model}\nIRQ:   \t\t 40\nGPU UUID: \t ${uuid}\nVideo BIOS: \t 88.00.4f.00.09\nBus Type: \t PCIe\nDevice Minor: \t ${minor}\n`;

/**
 * A machine made of files under a temp dir: `gpus` maps PCI bus ids to [model, minor] (written to
 * /proc/driver/nvidia/gpus/<bus>/information), `dev` names files in /dev, `smi` is nvidia-smi's
 * answer (undefined: not installed). Records nvidia-smi calls.
 */
function fakeMachine(opts: { gpus?: Record<string, [string, number]>; dev?: string[]; smi?: string }) {
  const root = tempDir("strata-gpu-");
  for (const [bus, [model, minor]] of Object.entries(opts.gpus ?? {})) {
    mkdirSync(join(root, "proc/driver/nvidia/gpus", bus), { recursive: true });
    writeFileSync(join(root, "proc/driver/nvidia/gpus", bus, "information"), information(model, minor, `GPU-${bus}`));
  }
  mkdirSync(join(root, "dev"), { recursive: true });
  for (const d of opts.dev ?? []) writeFileSync(join(root, "dev", d), "");
  const smiCalls: string[][] = [];
  const host: GpuHost = {
    list: (dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)) : []),
    read: (path) => (existsSync(join(root, path)) ? readFileSync(join(root, path), "utf8") : undefined),
    nvidiaSmi: async (args) => {
      smiCalls.push(args);
      return opts.smi;
    },
  };
  return { host, smiCalls };
}

const twoGpus = () =>
  fakeMachine({
    gpus: { "0000:3b:00.0": ["Tesla T4", 0], "0000:86:00.0": ["Tesla T4", 1] },
    dev: ["nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm"],
  });
/** Four GPUs whose minors are not in bus order (as on real multi-socket machines). */
const fourGpus = () =>
  fakeMachine({
    gpus: {
      "0000:1a:00.0": ["A100-SXM4-40GB", 2],
      "0000:1b:00.0": ["A100-SXM4-40GB", 3],
      "0000:88:00.0": ["A100-SXM4-40GB", 0],
      "0000:89:00.0": ["A100-SXM4-40GB", 1],
    },
    dev: ["nvidia0", "nvidia1", "nvidia2", "nvidia3", "nvidiactl"],
  });

const probe: HostProbe = { cpuCount: () => 8, totalMemoryBytes: () => 16 * 1024 ** 3, filesystemBytes: () => 100 * 1024 ** 3 };
const gpu = (index: number, minor = index): GpuDevice => ({ index, minor });

describe("GPU detection (fake /proc and /dev)", () => {
  it("two GPUs from /proc: indices in PCI bus order, minors and models from the driver", async () => {
    const m = twoGpus();
    expect(await detectNvidiaGpus(m.host)).toEqual([
      { index: 0, minor: 0, model: "Tesla T4", uuid: "GPU-0000:3b:00.0" },
      { index: 1, minor: 1, model: "Tesla T4", uuid: "GPU-0000:86:00.0" },
    ]);
    expect(m.smiCalls).toEqual([NVIDIA_SMI_QUERY]); // tried first, absent here
  });

  it("four GPUs whose minors differ from their indices", async () => {
    const gpus = await detectNvidiaGpus(fourGpus().host);
    expect(gpus.map((g) => [g.index, g.minor])).toEqual([
      [0, 2],
      [1, 3],
      [2, 0],
      [3, 1],
    ]);
  });

  it("nvidia-smi's answer wins when it gives one (index, minor, name, memory, uuid)", async () => {
    const m = fakeMachine({
      gpus: { "0000:3b:00.0": ["Tesla T4", 0] },
      dev: ["nvidia0", "nvidia1"],
      smi: "0, 1, NVIDIA H100 80GB HBM3, 81559, GPU-aaaa\n1, 0, NVIDIA H100 80GB HBM3, 81559, GPU-bbbb\n",
    });
    expect(await detectNvidiaGpus(m.host)).toEqual([
      { index: 0, minor: 1, model: "NVIDIA H100 80GB HBM3", memoryMB: 81559, uuid: "GPU-aaaa" },
      { index: 1, minor: 0, model: "NVIDIA H100 80GB HBM3", memoryMB: 81559, uuid: "GPU-bbbb" },
    ]);
  });

  it("without /proc information, /dev/nvidia<N> device files (control devices are not GPUs)", async () => {
    const gpus = await detectNvidiaGpus(fakeMachine({ dev: ["nvidia3", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-modeset"] }).host);
    expect(gpus).toEqual([
      { index: 0, minor: 1 },
      { index: 1, minor: 3 },
    ]);
  });

  it("no driver: no GPUs, and nvidia-smi is not even run", async () => {
    const m = fakeMachine({ dev: ["null", "zero"] });
    expect(await detectNvidiaGpus(m.host)).toEqual([]);
    expect(m.smiCalls).toEqual([]);
  });
});

describe("which GPUs the agent offers", () => {
  const four = [gpu(0, 2), gpu(1, 3), gpu(2, 0), gpu(3, 1)];

  it("all detected by default; --nvidia-gpu-devices picks by index; --resources gpus:N takes the first N", () => {
    expect(selectGpus(four, undefined, [])).toEqual(four);
    expect(selectGpus(four, [1, 3], [])).toEqual([gpu(1, 3), gpu(3, 1)]);
    expect(selectGpus(four, [1, 3], parseResources("gpus:2"))).toEqual([gpu(1, 3), gpu(3, 1)]);
    expect(selectGpus(four, undefined, parseResources("gpus:3")).map((g) => g.index)).toEqual([0, 1, 2]);
    expect(selectGpus([], undefined, [])).toEqual([]);
  });

  it("refuses GPUs the machine lacks, a count not matching the list, and fractions", () => {
    expect(() => selectGpus(four, [4], [])).toThrow(/no NVIDIA GPU with index 4 \(found 0, 1, 2, 3\)/);
    expect(() => selectGpus(four, [0, 1], parseResources("gpus:3"))).toThrow(/gpus:3 must match the 2 GPUs/);
    expect(() => selectGpus(four, undefined, parseResources("gpus:5"))).toThrow(/gpus:5 but 4 NVIDIA GPUs were found/);
    expect(() => selectGpus([], undefined, parseResources("gpus:1"))).toThrow(/gpus:1 but 0 NVIDIA GPUs/);
    expect(() => selectGpus(four, undefined, parseResources("gpus:1.5"))).toThrow(/whole number/);
  });

  it("--nvidia-gpu-devices flag and STRATA_NVIDIA_GPU_DEVICES", () => {
    const flags = (argv: string[], env: Record<string, string> = {}) => {
      const p = parseFlags(["--join-token", "t", ...argv], env);
      if (p.kind !== "run") throw new Error("expected run");
      return p.flags;
    };
    expect(flags([]).nvidiaGpuDevices).toBeUndefined();
    expect(flags(["--nvidia-gpu-devices", "0, 2"]).nvidiaGpuDevices).toEqual([0, 2]);
    expect(flags([], { STRATA_NVIDIA_GPU_DEVICES: "1" }).nvidiaGpuDevices).toEqual([1]);
    expect(() => flags(["--nvidia-gpu-devices=0,x"])).toThrow(/--nvidia-gpu-devices: .*'x'/);
    expect(() => flags(["--nvidia-gpu-devices=1,1"])).toThrow(/--nvidia-gpu-devices: GPU 1 given twice/);
  });

  it("advertises gpus:<count> unless --resources sets gpus; none without GPUs", async () => {
    const setup = await withGpus({ resources: [] }, silentLogger, fourGpus().host);
    expect(scalarOf(fingerprint("/x", [], probe, setup.offered.length), "gpus")).toBe(4);
    const restricted = await withGpus({ resources: [], nvidiaGpuDevices: [0, 3] }, silentLogger, fourGpus().host);
    expect(scalarOf(fingerprint("/x", [], probe, restricted.offered.length), "gpus")).toBe(2);
    const capped = parseResources("gpus:1");
    const one = await withGpus({ resources: capped }, silentLogger, fourGpus().host);
    expect(scalarOf(fingerprint("/x", capped, probe, one.offered.length), "gpus")).toBe(1);
    const none = await withGpus({ resources: [] }, silentLogger, fakeMachine({}).host);
    expect(fingerprint("/x", [], probe, none.offered.length).some((r) => r.name === "gpus")).toBe(false);
    const fake = new FakeContainerizer();
    expect(none.wrap(fake)).toBe(fake); // no GPUs: the containerizer is left alone
    expect(setup.wrap(fake)).toBeInstanceOf(GpuContainerizer);
  });
});

describe("GPU allocation", () => {
  it("gives N free GPUs, refuses more than are free with a clear message, frees them again", () => {
    const a = new GpuAllocator([gpu(0, 2), gpu(1, 3), gpu(2, 0)]);
    expect(a.allocate("t1", 2)).toEqual([gpu(0, 2), gpu(1, 3)]);
    expect(a.allocate("t0", 0)).toEqual([]);
    expect(() => a.allocate("t2", 2)).toThrow(new LaunchError("task asks for 2 GPUs but this agent has 1 free (of 3)"));
    expect(() => a.allocate("t2", 0.5)).toThrow(/whole number/);
    expect(a.allocate("t3", 1)).toEqual([gpu(2, 0)]);
    a.release("t1");
    expect(a.free()).toEqual([gpu(0, 2), gpu(1, 3)]);
    a.claim("t4", [3, 99]); // 99: not this agent's
    expect(a.free()).toEqual([gpu(0, 2)]);
  });

  it("the machine's GPUs not the task's are denied (including those the agent does not offer)", () => {
    const a = new GpuAllocator([gpu(0), gpu(1)], [gpu(0), gpu(1), gpu(2)]);
    const mine = a.allocate("t", 1);
    expect(gpuDeviceDenials(a.assignment(mine))).toEqual(["c 195:1 rwm", "c 195:2 rwm"]);
    expect(gpuDeviceDenials(a.assignment([]))).toEqual(["c 195:0 rwm", "c 195:1 rwm", "c 195:2 rwm"]);
    expect(gpuDeviceDenials(undefined)).toEqual([]);
  });
});

const work = tempDir("strata-gpu-work-");
let n = 0;
function spec(resources: Resource[], command = 'echo "nvidia=$NVIDIA_VISIBLE_DEVICES cuda=$CUDA_VISIBLE_DEVICES order=$CUDA_DEVICE_ORDER"'): LaunchSpec {
  const id = `gpu-task-${++n}`;
  return {
    frameworkId: "fw",
    agentId: "agent-1",
    sandbox: sandboxPath(work, "fw", id),
    task: { name: id, task_id: { value: id }, agent_id: { value: "agent-1" }, resources, command: { value: command } },
  };
}
const stdout = (s: LaunchSpec) => readFileSync(join(s.sandbox, "stdout"), "utf8").trim();

async function run(c: GpuContainerizer, s: LaunchSpec): Promise<Container> {
  await c.prepare(s);
  const container = await c.launch(s);
  started.push(container.identity.pid!);
  return container;
}

describe("GPU tasks as real processes", () => {
  it("each task sees only its GPUs' indices; the devices go back when it ends", async () => {
    const allocator = new GpuAllocator([gpu(0, 2), gpu(1, 3), gpu(2, 0), gpu(3, 1)]);
    const c = new GpuContainerizer(new ProcessContainerizer(new NoCgroups("tests"), silentLogger), allocator);
    const a = spec([scalar("gpus", 2)]);
    const ca = await run(c, a);
    expect(ca.identity.gpus).toEqual([2, 3]); // minors, checkpointed with the task
    const b = spec([scalar("gpus", 1), scalar("cpus", 0.1)]);
    const cb = await run(c, b);
    const none = spec([scalar("cpus", 0.1)]);
    const cn = await run(c, none);
    expect(cn.identity.gpus).toBeUndefined();
    await Promise.all([ca.exited, cb.exited, cn.exited]);
    expect(stdout(a)).toBe("nvidia=0,1 cuda=0,1 order=PCI_BUS_ID");
    expect(stdout(b)).toBe("nvidia=2 cuda=2 order=PCI_BUS_ID");
    expect(stdout(none)).toBe("nvidia=void cuda= order=PCI_BUS_ID"); // a task without GPUs sees none
    expect(allocator.free().map((g) => g.index)).toEqual([0, 1, 2, 3]);
  });

  it("a task asking for more GPUs than are free fails to launch and holds none", async () => {
    const allocator = new GpuAllocator([gpu(0), gpu(1)]);
    const c = new GpuContainerizer(new ProcessContainerizer(new NoCgroups("tests"), silentLogger), allocator);
    const holder = await run(c, spec([scalar("gpus", 1)], "sleep 30"));
    await expect(c.launch(spec([scalar("gpus", 2)]))).rejects.toThrow("task asks for 2 GPUs but this agent has 1 free (of 2)");
    // A launch the inner containerizer refuses gives its GPUs back too.
    const bad = spec([scalar("gpus", 1)]);
    bad.task.command = { value: "" };
    await expect(c.launch(bad)).rejects.toThrow(/command.value is empty/);
    expect(allocator.free()).toEqual([gpu(1)]);
    holder.kill(100);
    await holder.exited;
    expect(allocator.free()).toEqual([gpu(0), gpu(1)]);
  });

  it("a restarted agent re-attaches to a GPU task and keeps its GPUs in use until it ends", async () => {
    const old = new GpuContainerizer(new ProcessContainerizer(new NoCgroups("tests"), silentLogger), new GpuAllocator([gpu(0), gpu(1), gpu(2)]));
    const s = spec([scalar("gpus", 2)], "sleep 30");
    const running = await run(old, s);
    const record: TaskRecord = {
      framework_id: s.frameworkId,
      task_id: s.task.task_id.value,
      state: "TASK_RUNNING",
      sandbox: s.sandbox,
      info: s.task,
      ...running.identity,
    };
    expect(record.gpus).toEqual([0, 1]);
    const record2: TaskRecord = JSON.parse(JSON.stringify(record)); // as read back from the checkpoint

    const allocator = new GpuAllocator([gpu(0), gpu(1), gpu(2)]);
    const fresh = new GpuContainerizer(new ProcessContainerizer(new NoCgroups("tests"), silentLogger), allocator);
    const recovered = await fresh.recover(record2);
    expect(recovered?.identity.gpus).toEqual([0, 1]);
    expect(allocator.free()).toEqual([gpu(2)]);
    await expect(fresh.launch(spec([scalar("gpus", 2)]))).rejects.toThrow(/asks for 2 GPUs but this agent has 1 free/);
    recovered!.kill(100);
    await recovered!.exited;
    expect(allocator.free()).toEqual([gpu(0), gpu(1), gpu(2)]);
  });
});

/** A cgroup v1 filesystem (memory, cpu, devices) of plain files in a temp dir, recording writes. */
function fakeV1Cgroups() {
  const root = tempDir("strata-gpu-cg-");
  for (const f of ["memory/memory.limit_in_bytes", "cpu/cpu.shares", "devices/devices.deny", "devices/devices.allow"]) {
    mkdirSync(join(root, f, ".."), { recursive: true });
    writeFileSync(join(root, f), "");
  }
  const writes: Array<[string, string]> = [];
  const host: CgroupHost = {
    ...nodeCgroupHost,
    write: (p, d) => {
      writes.push([p.slice(root.length + 1), d]);
      writeFileSync(p, d);
    },
    rmdir: (p) => rmSync(p, { recursive: true }),
    kill: () => {},
  };
  return { root, host, writes };
}

describe("devices cgroup (v1, fake cgroup fs)", () => {
  it("places the v1 devices controller only when asked, and not where there is none", () => {
    const fs = fakeV1Cgroups();
    const without = detectCgroups({ mode: "auto", cgroupsRoot: "strata", fsRoot: fs.root, host: fs.host }) as LinuxCgroups;
    expect(without.placements.map((p) => p.controller)).toEqual(["memory", "cpu"]);
    const withDevices = detectCgroups({ mode: "auto", cgroupsRoot: "strata", fsRoot: fs.root, host: fs.host, devices: true }) as LinuxCgroups;
    expect(withDevices.placements).toContainEqual({ controller: "devices", version: 1, base: join(fs.root, "devices/strata") });

    const v2 = tempDir("strata-gpu-cg2-");
    writeFileSync(join(v2, "cgroup.controllers"), "cpu memory\n");
    writeFileSync(join(v2, "cgroup.subtree_control"), "");
    const warnings: string[] = [];
    const log = {
      ...silentLogger,
      warn: (m: string) => {
        warnings.push(m);
      },
    };
    const onV2 = detectCgroups({ mode: "auto", cgroupsRoot: "strata", fsRoot: v2, host: nodeCgroupHost, devices: true, log }) as LinuxCgroups;
    expect(onV2.placements.map((p) => p.controller)).toEqual(["memory", "cpu"]);
    expect(warnings.join()).toMatch(/GPUs are not isolated by the devices cgroup.*eBPF/);
  });

  it("a launched task's cgroup denies the GPUs not its own; it still runs and sees its own", async () => {
    const fs = fakeV1Cgroups();
    const cgroups = detectCgroups({ mode: "v1", cgroupsRoot: "strata", fsRoot: fs.root, host: fs.host, devices: true });
    const allocator = new GpuAllocator([gpu(0), gpu(1), gpu(2), gpu(3)]);
    const c = new GpuContainerizer(new ProcessContainerizer(cgroups, silentLogger), allocator);
    allocator.allocate("someone-else", 1); // GPU 0 busy
    const s = spec([scalar("gpus", 2), scalar("mem", 32)]);
    const container = await run(c, s);
    const dir = `devices/strata/${container.identity.cgroup}`;
    expect(fs.writes.filter(([p]) => p === `${dir}/devices.deny`).map(([, d]) => d)).toEqual(["c 195:0 rwm", "c 195:3 rwm"]);
    expect(fs.writes).toContainEqual([`${dir}/cgroup.procs`, String(container.identity.pid)]);
    await container.exited;
    expect(stdout(s)).toBe("nvidia=1,2 cuda=1,2 order=PCI_BUS_ID");
    expect(existsSync(join(fs.root, dir))).toBe(false); // removed with the task
  });
});

describe("DOCKER tasks with GPUs", () => {
  const dockerSpec = (gpus: number): LaunchSpec => ({
    ...spec(gpus ? [scalar("gpus", gpus)] : []),
    task: {
      ...spec([]).task,
      resources: gpus ? [scalar("gpus", gpus)] : [],
      container: {
        type: "DOCKER",
        docker: { image: "nvidia/cuda:12.4.0-base-ubuntu22.04", parameters: [{ key: "env", value: "NVIDIA_VISIBLE_DEVICES=all" }] },
      } as ContainerInfo,
    } as TaskInfo,
  });

  it("the create request names the task's GPUs as an nvidia device request; a task without GPUs gets none", () => {
    const a = new GpuAllocator([gpu(0, 1), gpu(1, 0), gpu(2, 2)]);
    const s = dockerSpec(2);
    const config = dockerCreateConfig({ ...s, gpus: a.assignment(a.allocate("t", 2)) }) as Record<string, any>;
    expect(config.HostConfig.DeviceRequests).toEqual([{ Driver: "nvidia", DeviceIDs: ["0", "1"], Capabilities: [["gpu"]] }]);
    expect(config.Env).toContain("NVIDIA_VISIBLE_DEVICES=0,1"); // the agent's, not the task's `all`
    expect(config.Env.some((e: string) => e.startsWith("CUDA_VISIBLE_DEVICES="))).toBe(false); // CUDA numbers a container's GPUs from 0

    const none = dockerCreateConfig({ ...dockerSpec(0), gpus: a.assignment([]) }) as Record<string, any>;
    expect(none.HostConfig.DeviceRequests).toBeUndefined();
    expect(none.Env).toContain("NVIDIA_VISIBLE_DEVICES=void"); // an image's `all` gives it no GPU
    const noGpuAgent = dockerCreateConfig(dockerSpec(0)) as Record<string, any>;
    expect(noGpuAgent.HostConfig.DeviceRequests).toBeUndefined();
    expect(noGpuAgent.Env).toContain("NVIDIA_VISIBLE_DEVICES=all"); // an agent without GPUs leaves it alone
  });
});

describe("agent with GPUs (fake master)", () => {
  it("checkpoints each task's GPUs and fails a task asking for more than are free with the reason", async () => {
    const master = new FakeMaster();
    const store = new StateStore(new MemoryCheckpointStore());
    const fake = new FakeContainerizer();
    const agent = new Agent({
      client: master,
      store,
      clock: new FakeClock(),
      log: silentLogger,
      workDir: tempDir("strata-gpu-agent-"),
      pollWaitSeconds: 25,
      containerizer: new GpuContainerizer(fake, new GpuAllocator([gpu(0), gpu(1)])),
      info: { hostname: "h", port: 5051, resources: [scalar("gpus", 2)], attributes: [] },
    });
    void agent.run();
    const task = (id: string, gpus: number): TaskInfo => ({
      name: id,
      task_id: { value: id },
      agent_id: { value: "agent-1" },
      resources: [scalar("gpus", gpus)],
      command: { value: "true" },
    });
    master.answerPoll({
      commands: [
        { seq: 1, type: "LAUNCH", framework_id: { value: "fw" }, task: task("a", 1) },
        { seq: 2, type: "LAUNCH", framework_id: { value: "fw" }, task: task("b", 2) },
      ],
    });
    const state = (id: string) =>
      master
        .sentUpdates()
        .filter((u) => u.status.task_id.value === id)
        .map((u) => u.status.state);
    for (let i = 0; i < 500 && !(state("a").includes("TASK_RUNNING") && state("b").includes("TASK_FAILED")); i++) await new Promise((r) => setTimeout(r, 10));
    await store.flush();
    agent.stop();
    expect(state("a")).toContain("TASK_RUNNING");
    expect(store.state.tasks[taskKey("fw", "a")]?.gpus).toEqual([0]);
    const failed = master.sentUpdates().find((u) => u.status.task_id.value === "b" && u.status.state === "TASK_FAILED");
    expect(failed?.status.message).toMatch(/task asks for 2 GPUs but this agent has 1 free \(of 2\)/);
    expect(fake.launched.map((s) => s.gpus?.devices.map((g) => g.index))).toEqual([[0]]);
  });
});
