/// <reference types="node" />
/**
 * The Docker containerizer against the real engine (required in CI; skipped elsewhere with the
 * reason when no engine answers), with a local busybox image: command and exit status,
 * environment, sandbox mount and output files, BRIDGE port mapping, memory limit OOM kills,
 * kill with a grace period, and re-attaching after an agent restart.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LaunchError, type LaunchSpec } from "../../../agent-bun/src/containerizers/containerizer.ts";
import { DEFAULT_DOCKER_SOCKET, DockerClient, type LogFrame } from "../../../agent-bun/src/docker/docker-client.ts";
import { CONTAINER_SANDBOX, LABEL_TASK } from "../../../agent-bun/src/docker/docker-config.ts";
import { DockerContainerizer } from "../../../agent-bun/src/docker/docker-containerizer.ts";
import { sandboxPath } from "../../../agent-bun/src/sandbox/paths.ts";
import { attachVolumes, volumesOf } from "../../../agent-bun/src/sandbox/volumes.ts";
import type { TaskRecord } from "../../../agent-bun/src/state/checkpoint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import type { CommandInfo, ContainerInfo, Resource, TaskInfo } from "../../../schemas/mesos.ts";
import { ranges, scalar } from "../../../sdk/src/resources.ts";
import { readFromPort } from "../../support/tcp-read.ts";
import { dockerUnavailable, ensureTestImage, TEST_IMAGE } from "./docker-test-image.ts";

const inCI = process.env.CI === "true" || process.env.CI === "1";
const client = new DockerClient(DEFAULT_DOCKER_SOCKET);
const why = await dockerUnavailable(client);
if (why && !inCI) console.log(`skipping Docker containerizer tests: ${why}`);

const work = mkdtempSync(join(tmpdir(), "strata-dc-"));
const containerizer = new DockerContainerizer(client, silentLogger);
const run = `${process.pid}-${Date.now().toString(36)}`;
let n = 0;

function spec(
  command: CommandInfo | undefined,
  opts: { container?: Partial<ContainerInfo>; docker?: Record<string, unknown>; resources?: Resource[] } = {},
): LaunchSpec {
  const id = `task ${++n}/${run}`; // unsafe characters on purpose
  const container = { type: "DOCKER", docker: { image: TEST_IMAGE, ...opts.docker }, ...opts.container } as ContainerInfo;
  const task: TaskInfo = {
    name: id,
    task_id: { value: id },
    agent_id: { value: "agent-1" },
    resources: opts.resources ?? [],
    container,
    ...(command ? { command } : {}),
  };
  return { frameworkId: "fw-1", agentId: "agent-1", sandbox: sandboxPath(work, "fw-1", id), task };
}

async function start(s: LaunchSpec) {
  await containerizer.prepare(s);
  return containerizer.launch(s);
}

async function runToEnd(s: LaunchSpec) {
  const c = await start(s);
  return { container: c, exit: await c.exited };
}

const file = (s: LaunchSpec, name: string) => readFileSync(join(s.sandbox, name), "utf8");

describe.skipIf(!!why && !inCI)("docker containerizer (real engine)", () => {
  beforeAll(async () => {
    if (why) throw new Error(`the Docker tests need the engine in CI: ${why}`);
    await ensureTestImage(client);
  }, 60_000);

  afterAll(async () => {
    // Containers the tests may have left (a failed assertion before the end).
    const r = await client.request("GET", `/containers/json?all=true&filters=${encodeURIComponent(JSON.stringify({ label: [LABEL_TASK] }))}`);
    for (const c of JSON.parse(r.body.toString()) as Array<{ Id: string; Labels: Record<string, string> }>) {
      if (c.Labels[LABEL_TASK]?.endsWith(run)) await client.remove(c.Id, true);
    }
  });

  it("runs a shell command with the sandbox at /mnt/mesos/sandbox, the MESOS_* environment and the output in the sandbox files", async () => {
    const s = spec({
      value:
        'echo "out $FOO"; echo err >&2; pwd; echo "$MESOS_SANDBOX|$MESOS_TASK_ID|$MESOS_FRAMEWORK_ID|$MESOS_AGENT_ID|$MESOS_DIRECTORY"; echo written > file.txt',
      environment: { variables: [{ name: "FOO", value: "bar" }] },
    });
    const { container, exit } = await runToEnd(s);
    expect(exit).toMatchObject({ code: 0, signal: null, oomKilled: false });
    const lines = file(s, "stdout").trim().split("\n");
    expect(lines).toEqual(["out bar", CONTAINER_SANDBOX, `${CONTAINER_SANDBOX}|${s.task.task_id.value}|fw-1|agent-1|${s.sandbox}`]);
    expect(file(s, "stderr")).toBe("err\n");
    expect(file(s, "file.txt")).toBe("written\n");
    expect(Buffer.from(exit.stdoutTail!, "base64").toString()).toBe(file(s, "stdout"));
    // Named after agent, framework and task; removed once its output is in the sandbox.
    expect(container.identity.docker_container).toMatch(/^strata-agent-1\.fw-1\.task_/);
    expect(await client.inspect(container.identity.docker_container!)).toBeUndefined();
  }, 30_000);

  it("reports the exit status, and runs shell=false arguments as the image's command", async () => {
    expect((await runToEnd(spec({ value: "echo bad >&2; exit 3" }))).exit.code).toBe(3);
    const s = spec({ shell: false, value: "echo", arguments: ["two words", "$NOT_EXPANDED"] });
    const { exit } = await runToEnd(s);
    expect(exit.code).toBe(0);
    expect(file(s, "stdout")).toBe("two words $NOT_EXPANDED\n");
  }, 30_000);

  it("mounts host_path volumes (relative ones inside the sandbox), read-only when asked", async () => {
    const host = mkdtempSync(join(tmpdir(), "strata-dv-"));
    writeFileSync(join(host, "in.txt"), "from host\n");
    const s = spec(
      { value: "cat /data/in.txt; echo x > /data/new.txt || echo read-only; echo rel > /mnt/mesos/sandbox/sub/r.txt" },
      {
        container: {
          volumes: [
            { container_path: "/data", host_path: host, mode: "RO" },
            { container_path: "sub", host_path: "subdir" },
          ],
        },
      },
    );
    const { exit } = await runToEnd(s);
    expect(exit.code).toBe(0);
    expect(file(s, "stdout")).toBe("from host\nread-only\n");
    expect(existsSync(join(host, "new.txt"))).toBe(false);
    expect(readFileSync(join(s.sandbox, "subdir", "r.txt"), "utf8")).toBe("rel\n");
  }, 30_000);

  it("mounts the task's persistent volumes at their paths in the sandbox; their files outlive the task", async () => {
    const volume: Resource = { ...scalar("disk", 1), disk: { persistence: { id: `v-${run}` }, volume: { container_path: "data", mode: "RW" } } };
    const withVolumes = new DockerContainerizer(client, silentLogger, work);
    const s = spec({ value: "echo kept > data/file && ls data" }, { resources: [volume] });
    await withVolumes.prepare(s);
    attachVolumes(work, s.sandbox, s.task.resources); // as the task manager does
    const { code } = await (await withVolumes.launch(s)).exited;
    expect(code).toBe(0);
    expect(file(s, "stdout")).toBe("file\n");
    expect(readFileSync(join(volumesOf(work, [volume])[0]!.dir, "file"), "utf8")).toBe("kept\n");
  }, 30_000);

  it("publishes a BRIDGE port mapping on a host port from the task's ports, and refuses others", async () => {
    const port = 31000 + (process.pid % 2000);
    const s = spec(
      { value: "while true; do echo hello-from-container | nc -l -p 8080; done" },
      {
        docker: { network: "BRIDGE", port_mappings: [{ host_port: port, container_port: 8080, protocol: "tcp" }] },
        resources: [ranges("ports", [[port, port]])],
      },
    );
    const c = await start(s);
    try {
      expect(await readFromPort(port, 10_000)).toBe("hello-from-container");
    } finally {
      c.kill(0);
      await c.exited;
    }
    await expect(
      containerizer.launch(
        spec(
          { value: "true" },
          {
            docker: { network: "BRIDGE", port_mappings: [{ host_port: port + 1, container_port: 80 }] },
            resources: [ranges("ports", [[port, port]])],
          },
        ),
      ),
    ).rejects.toThrow(/host_port .* not among the task's ports/);
    await expect(
      containerizer.launch(
        spec(
          { value: "true" },
          {
            docker: { port_mappings: [{ host_port: port, container_port: 80 }] },
            resources: [ranges("ports", [[port, port]])],
          },
        ),
      ),
    ).rejects.toThrow(/need network BRIDGE/);
  }, 30_000);

  it("reports an OOM kill inside the memory limit", async () => {
    const s = spec({ value: "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived" }, { resources: [scalar("cpus", 0.5), scalar("mem", 16)] });
    const { exit } = await runToEnd(s);
    expect(exit.oomKilled).toBe(true);
    expect(file(s, "stdout")).not.toContain("survived");
  }, 60_000);

  it("kill: SIGTERM first (a task that handles it ends at once), SIGKILL after the grace period", async () => {
    const loop = "while true; do sleep 0.1; done";
    const polite = spec({ value: `trap 'echo got-term; exit 0' TERM; echo ready; ${loop}` });
    const stubborn = spec({ value: `trap '' TERM; echo ready; ${loop}` });
    const [p, st] = [await start(polite), await start(stubborn)];
    const ready = async (s: LaunchSpec) => {
      for (let i = 0; i < 100 && !file(s, "stdout").includes("ready"); i++) await new Promise((r) => setTimeout(r, 100));
    };
    await ready(polite);
    await ready(stubborn);
    let t0 = Date.now();
    p.kill(20_000);
    const pe = await p.exited;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(pe.code).toBe(0);
    expect(file(polite, "stdout")).toContain("got-term");
    t0 = Date.now();
    st.kill(2_000);
    const se = await st.exited;
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1_900);
    expect(took).toBeLessThan(15_000);
    expect(se.code).toBe(137);
  }, 60_000);

  it("fails the launch with a clear message when the image is missing and cannot be pulled", async () => {
    const s = spec({ value: "true" }, { docker: { image: `strata-test/no-such-image-${run}:v1` } });
    await containerizer.prepare(s);
    const err = await containerizer.launch(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as Error).message).toMatch(/cannot pull image 'strata-test\/no-such-image-.*:v1'/);
  }, 60_000);

  it("recover: a new containerizer (a restarted agent) re-attaches to the container and gets its output and exit status", async () => {
    // The first agent: another process that launches the task and exits.
    const running = spec({ value: "echo before; sleep 3; echo after; exit 7" });
    const ended = spec({ value: "echo quick; exit 5" });
    const record = (s: LaunchSpec, identity: object): TaskRecord => ({
      framework_id: "fw-1",
      task_id: s.task.task_id.value,
      state: "TASK_RUNNING",
      sandbox: s.sandbox,
      ...identity,
    });
    const launched = launchInOtherProcess([running, ended]);
    await new Promise((r) => setTimeout(r, 1_000)); // "quick" has ended while no agent watched
    // The kernel stamps a file's mtime from a coarse clock, up to a tick behind: an mtime before
    // the engine's time of "before" (the entry just copied) must not make the next agent copy it again.
    const stdoutFile = join(running.sandbox, "stdout");
    expect(readFileSync(stdoutFile, "utf8")).toBe("before\n");
    const earlier = new Date(Date.now() - 5_000);
    utimesSync(stdoutFile, earlier, earlier);
    const fresh = new DockerContainerizer(client, silentLogger);
    const a = await fresh.recover(record(running, launched[0]!));
    const b = await fresh.recover(record(ended, launched[1]!));
    expect(a && b).toBeTruthy();
    const [ea, eb] = [await a!.exited, await b!.exited];
    expect(ea.code).toBe(7);
    expect(file(running, "stdout")).toBe("before\nafter\n");
    expect(eb.code).toBe(5);
    expect(file(ended, "stdout")).toBe("quick\n");
    // Gone containers: nothing to re-attach to.
    expect(await fresh.recover(record(running, launched[0]!))).toBeUndefined();
    expect(await fresh.recover(record(running, {}))).toBeUndefined();
  }, 60_000);

  it("opens the output stream again when it breaks while the container runs, without losing or repeating lines", async () => {
    /** Its first output stream "breaks" after one frame (later frames of it are dropped). */
    class BreakingClient extends DockerClient {
      streams = 0;
      override async followLogs(id: string, since: string, onFrame: (f: LogFrame) => void): Promise<void> {
        if (++this.streams > 1) return super.followLogs(id, since, onFrame);
        await new Promise<void>((res, rej) => {
          let cut = false;
          super
            .followLogs(id, since, (f) => {
              if (cut) return;
              cut = true;
              onFrame(f);
              res();
            })
            .catch(rej);
        });
      }
    }
    const flaky = new BreakingClient(client.socketPath);
    const s = spec({ value: "echo one; sleep 2; echo two; sleep 1; echo three" });
    const c = new DockerContainerizer(flaky, silentLogger);
    await c.prepare(s);
    const { code } = await (await c.launch(s)).exited;
    expect(code).toBe(0);
    expect(flaky.streams).toBeGreaterThan(1);
    expect(file(s, "stdout")).toBe("one\ntwo\nthree\n");
  }, 30_000);

  it("destroyOrphan removes the container of a task of the previous agent", async () => {
    const s = spec({ value: "sleep 60" });
    const [identity] = launchInOtherProcess([s]);
    const name = (identity as { docker_container: string }).docker_container;
    expect((await client.inspect(name))?.State.Running).toBe(true);
    await containerizer.destroyOrphan({
      framework_id: "fw-1",
      task_id: s.task.task_id.value,
      state: "TASK_RUNNING",
      sandbox: s.sandbox,
      docker_container: name,
    });
    expect(await client.inspect(name)).toBeUndefined();
  }, 60_000);
});

/**
 * Launches `specs` from a separate Bun process (an agent that then exits, leaving the
 * containers running) and answers each container's identity.
 */
function launchInOtherProcess(specs: LaunchSpec[]): Array<Record<string, unknown>> {
  const src = (f: string) => JSON.stringify(resolve(import.meta.dirname, "../../../agent-bun/src", f));
  const script = join(work, `launch-${++n}.ts`);
  writeFileSync(
    script,
    `
    import { DockerClient } from ${src("docker/docker-client.ts")};
    import { DockerContainerizer } from ${src("docker/docker-containerizer.ts")};
    import { silentLogger } from ${src("system/log.ts")};
    const c = new DockerContainerizer(new DockerClient(${JSON.stringify(client.socketPath)}), silentLogger);
    const out = [];
    const specs = ${JSON.stringify(specs)};
    for (const s of specs) { await c.prepare(s); out.push((await c.launch(s)).identity); }
    // Leave once the first task's first output is copied (the others may end unwatched): the next agent must not copy it again.
    const { existsSync, readFileSync } = await import("node:fs");
    const copied = (s) => existsSync(s.sandbox + "/stdout") && readFileSync(s.sandbox + "/stdout", "utf8").length > 0;
    for (const end = Date.now() + 5000; !copied(specs[0]) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    process.stdout.write(JSON.stringify(out));
    process.exit(0);
  `,
  );
  const bun = resolve(import.meta.dirname, "../../../node_modules/.bin/bun");
  return JSON.parse(execFileSync(bun, [script], { encoding: "utf8", timeout: 30_000 })) as Array<Record<string, unknown>>;
}
