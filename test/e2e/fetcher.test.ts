/**
 * The fetcher end to end: the real master and the real agent binary, and a local HTTP server
 * serving a script and an archive. Tasks fetch them into their sandboxes and run them; a
 * cached URI is downloaded once for two tasks; a URI that does not exist fails its task
 * before it runs, with a message naming the URI.
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskInfo } from "../../schemas/index.ts";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { commandTask, decodeTaskOutput, isTerminal } from "../../sdk/src/index.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { type Cluster, startCluster, TestFramework } from "../support/e2e-cluster.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);
if (!binary) console.log(`skipping the fetcher end-to-end test: ${AGENT_BINARY} is missing (npm test builds it first)`);

const small = [scalar("cpus", 0.1), scalar("mem", 32)];
const terminal = (fw: TestFramework, id: string) => {
  const s = fw.stateOf(id);
  return s !== undefined && isTerminal(s.state);
};
/** A shell task fetching `uris` first. */
const withUris = (task: TaskInfo, uris: NonNullable<NonNullable<TaskInfo["command"]>["uris"]>): TaskInfo => ({ ...task, command: { ...task.command!, uris } });

describe.skipIf(!binary)("fetcher end to end", () => {
  let cluster: Cluster;
  let fw: TestFramework;
  let server: Server;
  let base: string;
  let tmp: string;
  const requests = new Map<string, number>();
  const files = new Map<string, Buffer>();

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "strata-e2e-fetch-"));
    files.set("/hello.sh", Buffer.from('#!/bin/sh\necho "hello from a fetched script in $(basename "$PWD")"\n'));
    mkdirSync(join(tmp, "src/app"), { recursive: true });
    writeFileSync(join(tmp, "src/app/config"), "answer=42\n");
    execFileSync("tar", ["-C", join(tmp, "src"), "-czf", join(tmp, "app.tar.gz"), "app"]);
    files.set("/app.tar.gz", readFileSync(join(tmp, "app.tar.gz")));
    server = createServer((req, res) => {
      const path = new URL(req.url!, "http://x").pathname;
      requests.set(path, (requests.get(path) ?? 0) + 1);
      const body = files.get(path);
      if (!body) {
        res.writeHead(404, "Not Found");
        return res.end();
      }
      res.writeHead(200, { "content-length": body.length });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cluster = await startCluster(["--resources", "cpus:4;mem:2048;disk:2048"]);
    fw = new TestFramework(cluster, "fetcher-e2e");
    await fw.start();
  }, 90_000);

  afterAll(async () => {
    await fw?.stop();
    await cluster?.stop();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  it("fetches a script over HTTP and runs it; a cached archive is downloaded once for two tasks", async () => {
    fw.submit({
      id: "script",
      build: (agentId) =>
        withUris(commandTask({ taskId: "script", agentId, resources: small, shell: "./hello.sh" }), [{ value: `${base}/hello.sh`, executable: true }]),
    });
    for (const id of ["cached-1", "cached-2"]) {
      fw.submit({
        id,
        build: (agentId) =>
          withUris(commandTask({ taskId: id, agentId, resources: small, shell: "cat app/config; ls" }), [{ value: `${base}/app.tar.gz`, cache: true }]),
      });
    }
    const ids = ["script", "cached-1", "cached-2"];
    await fw.waitFor(() => ids.every((id) => terminal(fw, id)), 60_000, "the fetching tasks to end");
    const script = fw.stateOf("script")!;
    expect(script.state, script.message).toBe("TASK_FINISHED");
    expect(decodeTaskOutput(script).trim()).toBe("hello from a fetched script in script");
    expect(fw.updates.get("script")!.map((s) => s.state)).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
    for (const id of ["cached-1", "cached-2"]) {
      const last = fw.stateOf(id)!;
      expect(last.state, last.message).toBe("TASK_FINISHED");
      // Unpacked from the cache: only the archive's contents reach the sandbox.
      expect(decodeTaskOutput(last).split("\n").filter(Boolean)).toEqual(["answer=42", "app", "stderr", "stdout"]);
    }
    expect(requests.get("/app.tar.gz")).toBe(1);
  }, 90_000);

  it("a URI that cannot be fetched fails the task before it runs, naming the URI", async () => {
    fw.submit({
      id: "bad-uri",
      build: (agentId) =>
        withUris(commandTask({ taskId: "bad-uri", agentId, resources: small, shell: "echo should-not-run" }), [
          { value: `${base}/missing.sh`, executable: true },
        ]),
    });
    await fw.waitFor(() => terminal(fw, "bad-uri"), 60_000, "the bad-uri task to end");
    const last = fw.stateOf("bad-uri")!;
    expect(last.state).toBe("TASK_FAILED");
    expect(last.reason).toBe("REASON_CONTAINER_LAUNCH_FAILED");
    expect(last.source).toBe("SOURCE_AGENT");
    expect(last.message).toBe(`Failed to fetch '${base}/missing.sh': HTTP 404 Not Found`);
    expect(fw.updates.get("bad-uri")!.map((s) => s.state)).toEqual(["TASK_STARTING", "TASK_FAILED"]);
    expect(decodeTaskOutput(last)).toBe("");
  }, 90_000);
});
