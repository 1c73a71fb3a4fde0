/**
 * End to end with Docker: the real master and the real compiled agent binary started with
 * `--containerizers=mesos,docker` run DOCKER tasks in the local engine (a busybox image built
 * locally, no registry). Required in CI; skipped elsewhere when the binary or the engine is missing.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_DOCKER_SOCKET, DockerClient } from "../../agent-bun/src/docker/docker-client.ts";
import type { TaskInfo } from "../../schemas/mesos.ts";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { commandTask, decodeTaskOutput, exitStatusOf, isTerminal } from "../../sdk/src/index.ts";
import { ranges, scalar } from "../../sdk/src/resources.ts";
import { dockerUnavailable, ensureTestImage, TEST_IMAGE } from "../agent/docker/docker-test-image.ts";
import { type TestFramework, useClusterWithFramework } from "../support/e2e-cluster.ts";
import { readFromPort } from "../support/tcp-read.ts";

const inCI = process.env.CI === "true" || process.env.CI === "1";
const client = new DockerClient(DEFAULT_DOCKER_SOCKET);
const binary = existsSync(AGENT_BINARY);
const why = !binary ? `${AGENT_BINARY} is missing (npm test builds it first)` : await dockerUnavailable(client);
if (why && inCI) throw new Error(`CI must run the Docker end-to-end tests: ${why}`);
if (why) console.log(`skipping Docker end-to-end tests: ${why}`);

const small = [scalar("cpus", 0.1), scalar("mem", 32)];
const PORT = 31000 + (process.pid % 1000);
const terminal = (fw: TestFramework, id: string) => {
  const s = fw.stateOf(id);
  return s !== undefined && isTerminal(s.state);
};

/** A shell task in the test image. */
function dockerTask(taskId: string, agentId: string, shell: string, docker: Record<string, unknown> = {}, resources = small): TaskInfo {
  return { ...commandTask({ taskId, agentId, resources, shell }), container: { type: "DOCKER", docker: { image: TEST_IMAGE, ...docker } } };
}

describe.skipIf(!!why)("Docker tasks end to end", () => {
  let fw: TestFramework;
  useClusterWithFramework(
    ["--resources", `cpus:4;mem:2048;disk:1024;ports:[${PORT}-${PORT + 9}]`, "--containerizers", "mesos,docker"],
    { name: "e2e-docker", before: () => ensureTestImage(client) },
    (_c, f) => {
      fw = f;
    },
  );

  it("runs DOCKER tasks to TASK_FINISHED with their output, and reports a failing exit status", async () => {
    fw.submit(
      { id: "hello", build: (a) => dockerTask("hello", a, 'echo "hello from $MESOS_TASK_ID in $(pwd)"; ls /bin/busybox') },
      { id: "fails", build: (a) => dockerTask("fails", a, "echo bad >&2; exit 4") },
      { id: "no-image", build: (a) => ({ ...dockerTask("no-image", a, "true"), container: { type: "DOCKER", docker: { image: "strata-test/absent:v0" } } }) },
    );
    await fw.waitFor(() => ["hello", "fails", "no-image"].every((id) => terminal(fw, id)), 60_000, "three Docker tasks to end");
    const hello = fw.stateOf("hello")!;
    expect(hello.state).toBe("TASK_FINISHED");
    expect(decodeTaskOutput(hello).trim().split("\n")).toEqual(["hello from hello in /mnt/mesos/sandbox", "/bin/busybox"]);
    expect((fw.updates.get("hello") ?? []).map((s) => s.state)).toEqual(expect.arrayContaining(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]));
    expect(fw.stateOf("fails")!.state).toBe("TASK_FAILED");
    expect(exitStatusOf(fw.stateOf("fails")!)).toBe(4);
    const noImage = fw.stateOf("no-image")!;
    expect(noImage).toMatchObject({ state: "TASK_FAILED", reason: "REASON_CONTAINER_LAUNCH_FAILED" });
    expect(noImage.message).toMatch(/cannot pull image 'strata-test\/absent:v0'/);
  }, 90_000);

  it("publishes a BRIDGE port mapping on an offered port, and KILL ends the task TASK_KILLED", async () => {
    fw.submit({
      id: "web",
      build: (a) =>
        dockerTask(
          "web",
          a,
          "while true; do echo served-by-container | nc -l -p 8080; done",
          { network: "BRIDGE", port_mappings: [{ host_port: PORT + 3, container_port: 8080, protocol: "tcp" }] },
          [...small, ranges("ports", [[PORT + 3, PORT + 3]])],
        ),
    });
    await fw.waitFor(() => fw.stateOf("web")?.state === "TASK_RUNNING" || terminal(fw, "web"), 60_000, "the web task to run");
    expect(fw.stateOf("web")!.state).toBe("TASK_RUNNING");
    expect(await readFromPort(PORT + 3, 15_000)).toBe("served-by-container");
    await fw.client.kill("web");
    await fw.waitFor(() => terminal(fw, "web"), 30_000, "the web task to end");
    expect(fw.stateOf("web")!.state).toBe("TASK_KILLED");
  }, 90_000);
});
