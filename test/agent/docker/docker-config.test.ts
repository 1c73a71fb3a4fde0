/**
 * Docker without an engine: the TaskInfo → create-container body (docker-config.ts), the
 * `--containerizers` / `--docker-socket` flags, and the composing containerizer's dispatch.
 */
import { describe, expect, it } from "vitest";
import type { AgentFlags } from "../../../agent-bun/src/cli/agent-flags.ts";
import { withDocker } from "../../../agent-bun/src/cli/docker-setup.ts";
import { parseFlags } from "../../../agent-bun/src/cli/flags.ts";
import { LaunchError, type LaunchSpec } from "../../../agent-bun/src/containerizers/containerizer.ts";
import type { ComposingContainerizer } from "../../../agent-bun/src/docker/composing-containerizer.ts";
import { justAfter, unixTime } from "../../../agent-bun/src/docker/docker-client.ts";
import { containerName, dockerCreateConfig } from "../../../agent-bun/src/docker/docker-config.ts";
import type { TaskRecord } from "../../../agent-bun/src/state/checkpoint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import type { ContainerInfo, TaskInfo } from "../../../schemas/mesos.ts";
import { ranges, scalar } from "../../../sdk/src/resources.ts";
import { FakeContainerizer } from "../fakes.ts";

function spec(task: Partial<TaskInfo>, container: Partial<ContainerInfo> = {}, docker: Record<string, unknown> = {}): LaunchSpec {
  return {
    frameworkId: "fw",
    agentId: "ag",
    sandbox: "/sb",
    task: {
      name: "t",
      task_id: { value: "t1" },
      agent_id: { value: "ag" },
      resources: [],
      container: { type: "DOCKER", docker: { image: "img:1", ...docker }, ...container } as ContainerInfo,
      ...task,
    },
  };
}
const config = (s: LaunchSpec) => dockerCreateConfig(s) as Record<string, any>;

describe("docker create config", () => {
  it("shell commands replace the entrypoint with /bin/sh -c; shell=false keeps it and passes value and arguments", () => {
    expect(config(spec({ command: { value: "echo hi" } }))).toMatchObject({
      Image: "img:1",
      Entrypoint: ["/bin/sh", "-c"],
      Cmd: ["echo hi"],
      WorkingDir: "/mnt/mesos/sandbox",
    });
    const argv = config(spec({ command: { shell: false, value: "run", arguments: ["-x", "y"] } }));
    expect(argv.Entrypoint).toBeUndefined();
    expect(argv.Cmd).toEqual(["run", "-x", "y"]);
    const image = config(spec({}));
    expect(image.Entrypoint).toBeUndefined();
    expect(image.Cmd).toBeUndefined();
    expect(() => config(spec({ command: { value: "" } }))).toThrow(LaunchError);
  });

  it("environment: the task's variables, then MESOS_* with the sandbox path inside the container", () => {
    const env = config(
      spec({
        command: {
          value: "x",
          environment: {
            variables: [
              { name: "A", value: "1" },
              { name: "MESOS_SANDBOX", value: "no" },
            ],
          },
        },
      }),
    ).Env as string[];
    expect(env).toEqual(
      expect.arrayContaining([
        "A=1",
        "MESOS_SANDBOX=/mnt/mesos/sandbox",
        "MESOS_DIRECTORY=/sb",
        "MESOS_TASK_ID=t1",
        "MESOS_FRAMEWORK_ID=fw",
        "MESOS_AGENT_ID=ag",
      ]),
    );
    expect(env.some((e) => e.startsWith("PATH=") || e.startsWith("HOME="))).toBe(false);
  });

  it("limits from cpus and mem, labels naming agent/framework/task, the sandbox and volumes as binds", () => {
    const c = config(
      spec(
        { command: { value: "x" }, resources: [scalar("cpus", 0.5), scalar("mem", 64)] },
        {
          volumes: [
            { container_path: "/data", host_path: "/srv/data", mode: "RO" },
            { container_path: "rel", host_path: "in-sandbox" },
          ],
        },
      ),
    );
    expect(c.HostConfig).toMatchObject({ CpuShares: 512, NanoCpus: 5e8, Memory: 64 * 1024 * 1024, MemorySwap: 64 * 1024 * 1024, NetworkMode: "host" });
    expect(c.HostConfig.Binds).toEqual(["/sb:/mnt/mesos/sandbox:rw", "/srv/data:/data:ro", "/sb/in-sandbox:/mnt/mesos/sandbox/rel:rw"]);
    expect(c.Labels).toEqual({ "strata.agent_id": "ag", "strata.framework_id": "fw", "strata.task_id": "t1" });
    expect(() => config(spec({ command: { value: "x" } }, { volumes: [{ container_path: "/d" }] }))).toThrow(/only host_path volumes/);
    const volume = { ...scalar("disk", 1), disk: { persistence: { id: "p" }, volume: { container_path: "data", mode: "RO" as const } } };
    expect(dockerCreateConfig(spec({ command: { value: "x" } }), [{ dir: "/w/volumes/p", containerPath: "data", resource: volume }]).HostConfig).toMatchObject({
      Binds: ["/sb:/mnt/mesos/sandbox:rw", "/w/volumes/p:/mnt/mesos/sandbox/data:ro"],
    });
  });

  it("BRIDGE port mappings from the task's ports; other networks and foreign ports refused", () => {
    const ports = [ranges("ports", [[31000, 31005]])];
    const c = config(
      spec(
        { command: { value: "x" }, resources: ports },
        {},
        {
          network: "BRIDGE",
          port_mappings: [
            { host_port: 31002, container_port: 80 },
            { host_port: 31003, container_port: 53, protocol: "UDP" },
          ],
        },
      ),
    );
    expect(c.HostConfig.NetworkMode).toBe("bridge");
    expect(c.HostConfig.PortBindings).toEqual({ "80/tcp": [{ HostPort: "31002" }], "53/udp": [{ HostPort: "31003" }] });
    expect(c.ExposedPorts).toEqual({ "80/tcp": {}, "53/udp": {} });
    expect(() => config(spec({ resources: ports }, {}, { network: "BRIDGE", port_mappings: [{ host_port: 32000, container_port: 80 }] }))).toThrow(
      /32000 is not among/,
    );
    expect(() => config(spec({ resources: ports }, {}, { port_mappings: [{ host_port: 31002, container_port: 80 }] }))).toThrow(/need network BRIDGE/);
    expect(() => config(spec({}, {}, { network: "USER" }))).toThrow(/USER is not supported/);
  });

  it("known docker parameters apply, unknown ones fail the launch", () => {
    const c = config(
      spec(
        { command: { value: "x" } },
        {},
        {
          parameters: [
            { key: "env", value: "B=2" },
            { key: "label", value: "team=core" },
            { key: "user", value: "nobody" },
          ],
        },
      ),
    );
    expect(c.Env).toContain("B=2");
    expect(c.Labels.team).toBe("core");
    expect(c.User).toBe("nobody");
    expect(() => config(spec({}, {}, { parameters: [{ key: "cap-add", value: "ALL" }] }))).toThrow(/'cap-add' is not supported/);
  });

  it("container names identify agent, framework and task, with unsafe ids made safe", () => {
    expect(containerName("ag-1", "fw-1", "web.1")).toBe("strata-ag-1.fw-1.web.1");
    expect(containerName("ag", "fw", "a/b")).toMatch(/^strata-ag\.fw\.a_b-[0-9a-f]{10}$/);
  });
});

describe("log times", () => {
  it("converts the engine's RFC 3339 times to `since` values and steps 1 ns past them", () => {
    expect(unixTime("2026-01-02T03:04:05.123456789Z")).toBe(`${Date.UTC(2026, 0, 2, 3, 4, 5) / 1000}.123456789`);
    expect(unixTime("2026-01-02T03:04:05Z")).toBe(`${Date.UTC(2026, 0, 2, 3, 4, 5) / 1000}.000000000`);
    expect(unixTime("garbage")).toBe("0");
    expect(justAfter("1767322445.123456789")).toBe("1767322445.123456790");
    expect(justAfter("1767322445.999999999")).toBe("1767322446.000000000");
  });
});

describe("--containerizers and the composing containerizer", () => {
  const flags = (...argv: string[]): AgentFlags => {
    const r = parseFlags(["--join-token", "t", ...argv], {});
    if (r.kind !== "run") throw new Error("no flags");
    return r.flags;
  };

  it("parses --containerizers and --docker-socket", () => {
    expect(flags()).toMatchObject({ containerizers: ["mesos"], dockerSocket: "/var/run/docker.sock" });
    expect(flags("--containerizers", "mesos,docker", "--docker-socket", "/run/d.sock")).toMatchObject({
      containerizers: ["mesos", "docker"],
      dockerSocket: "/run/d.sock",
    });
    expect(() => flags("--containerizers", "docker")).toThrow(/must include mesos/);
    expect(() => flags("--containerizers", "mesos,rkt")).toThrow(/--containerizers/);
    expect(() => flags("--docker-socket", "rel.sock")).toThrow(/--docker-socket/);
  });

  it("sends DOCKER tasks to Docker and the rest to processes; orphans by their record", async () => {
    const processes = new FakeContainerizer();
    expect(withDocker(processes, { containerizers: ["mesos"], dockerSocket: "/x" }, silentLogger, "/w")).toBe(processes);
    const composed = withDocker(
      processes,
      { containerizers: ["mesos", "docker"], dockerSocket: "/nonexistent/docker.sock" },
      silentLogger,
      "/w",
    ) as ComposingContainerizer;
    expect(composed.runsDocker).toBe(true);
    await composed.launch(spec({ command: { value: "x" } }, { type: "MESOS" }));
    expect(processes.launched).toHaveLength(1);
    const err = await composed.launch(spec({ command: { value: "x" } })).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/cannot reach the Docker engine at \/nonexistent\/docker.sock/);
    expect(processes.launched).toHaveLength(1);
    const record: TaskRecord = { framework_id: "fw", task_id: "t", state: "TASK_RUNNING", pid: 5 };
    await composed.destroyOrphan(record);
    expect(processes.orphans).toEqual([record]);
    expect(await composed.recover(record)).toBeUndefined(); // the fake process containerizer re-attaches nothing
    // a process task of an earlier run is re-attached by the process containerizer, not Docker
    const reattached = { identity: { pid: 5 }, exited: new Promise<never>(() => undefined), kill: () => undefined };
    const asked: TaskRecord[] = [];
    (processes as { recover?: (r: TaskRecord) => Promise<unknown> }).recover = async (r) => {
      asked.push(r);
      return reattached;
    };
    expect(await composed.recover(record)).toBe(reattached);
    expect(asked).toEqual([record]);
  });
});
