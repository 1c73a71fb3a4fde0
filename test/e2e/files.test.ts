/**
 * End to end: operators read a running task's sandbox through the master (docs/files.md), the
 * real agent binary answering the relayed requests over its outbound connection only: LIST_FILES,
 * READ_FILE (and following a growing stdout with offsets), the classic /files/browse and
 * /files/read, and refusals for paths that leave the sandbox.
 */

import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";
import { authorizationHeader } from "../../sdk/src/auth.ts";
import { commandTask } from "../../sdk/src/index.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { type Cluster, startCluster, TestFramework } from "../support/e2e-cluster.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);
if (!binary) console.log(`skipping end-to-end tests: ${AGENT_BINARY} is missing (npm test builds it first)`);

const fromBase64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

describe.skipIf(!binary)("sandbox files through the master, end to end", () => {
  let cluster: Cluster;
  let fw: TestFramework;
  let auth: string;
  let sandbox: string;
  let agentId: string;

  const post = async (body: object) => {
    const res = await fetch(`${cluster.url}/api/v1`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };
  const get = async (path: string, query: Record<string, string>) => {
    const res = await fetch(`${cluster.url}${path}?${new URLSearchParams(query)}`, { headers: { authorization: auth } });
    return { status: res.status, text: await res.text() };
  };
  const readFile = async (path: string, offset: number, length?: number) => {
    const r = await post({ type: "READ_FILE", read_file: { path, offset, ...(length !== undefined ? { length } : {}) } });
    expect(r.status, r.text).toBe(200);
    const json = JSON.parse(r.text) as { type: string; read_file: { size: number; data: string } };
    expect(json.type).toBe("READ_FILE");
    return { size: json.read_file.size, text: fromBase64(json.read_file.data) };
  };

  beforeAll(async () => {
    cluster = await startCluster(["--resources", "cpus:2;mem:1024;disk:1024"]);
    auth = authorizationHeader({ principal: cluster.principal, secret: cluster.secret })!;
    fw = new TestFramework(cluster, "files-e2e");
    await fw.start();
    // Writes a line, makes a link out of its sandbox, writes a second line later, keeps running.
    const shell = "echo first-line; mkdir -p logs; echo log > logs/app.log; ln -s /etc/passwd escape; sleep 2; echo second-line; sleep 120";
    fw.submit({
      id: "writer",
      build: (agent) => commandTask({ taskId: "writer", agentId: agent, resources: [scalar("cpus", 0.1), scalar("mem", 32)], shell }),
    });
    await fw.waitFor(() => fw.stateOf("writer")?.state === "TASK_RUNNING", 60_000, "the writer task to run");
    agentId = fw.stateOf("writer")!.agent_id!.value;
    sandbox = `/agents/${agentId}/frameworks/${fw.frameworkId}/tasks/writer`;
  }, 90_000);

  afterAll(async () => {
    await fw?.stop();
    await cluster?.stop();
  }, 30_000);

  it("READ_FILE reads the task's stdout, and following it with offsets sees what it writes later", async () => {
    let first = await readFile(`${sandbox}/stdout`, 0);
    for (let i = 0; i < 20 && !first.text.includes("first-line"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      first = await readFile(`${sandbox}/stdout`, 0);
    }
    expect(first.text).toContain("first-line");
    expect(first.size).toBe(Buffer.byteLength(first.text));
    // tail -f: read from where the last read ended until the second line appears.
    let offset = first.size;
    let later = "";
    const deadline = Date.now() + 15_000;
    while (!later.includes("second-line") && Date.now() < deadline) {
      const next = await readFile(`${sandbox}/stdout`, offset, 4096);
      later += next.text;
      offset += Buffer.byteLength(next.text);
      if (!next.text) await new Promise((r) => setTimeout(r, 200));
    }
    expect(later).toContain("second-line");
    expect(later).not.toContain("first-line");
    const part = await readFile(`${sandbox}/stdout`, 2, 3);
    expect(part.text).toBe("rst");
  }, 30_000);

  it("LIST_FILES lists the sandbox with virtual paths; /master/tasks shows the sandbox's path", async () => {
    const tasks = await get("/master/tasks", {});
    const writer = (JSON.parse(tasks.text) as { tasks: Array<{ id: string; sandbox_path?: string }> }).tasks.find((t) => t.id === "writer");
    expect(writer?.sandbox_path).toBe(sandbox);
    const r = await post({ type: "LIST_FILES", list_files: { path: writer!.sandbox_path! } });
    expect(r.status, r.text).toBe(200);
    const infos = (JSON.parse(r.text) as { list_files: { file_infos: Array<{ path: string; size: number; mode: number }> } }).list_files.file_infos;
    const paths = infos.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining([`${sandbox}/stdout`, `${sandbox}/logs`, `${sandbox}/escape`]));
    expect(infos.find((i) => i.path === `${sandbox}/logs`)!.mode & 0o170000).toBe(0o040000);
  });

  it("/files/browse and /files/read answer Mesos' classic JSON", async () => {
    const browse = await get("/files/browse", { path: `${sandbox}/logs` });
    expect(browse.status, browse.text).toBe(200);
    expect(JSON.parse(browse.text)).toEqual([expect.objectContaining({ path: `${sandbox}/logs/app.log`, size: 4, mode: expect.stringMatching(/^-rw/) })]);
    const read = await get("/files/read", { path: `${sandbox}/logs/app.log`, offset: "0" });
    expect(read.status, read.text).toBe(200);
    expect(JSON.parse(read.text)).toEqual({ data: "log\n", offset: 0 });
    const size = await get("/files/read.json", { path: `${sandbox}/logs/app.log`, offset: "-1" });
    expect(JSON.parse(size.text)).toEqual({ data: "", offset: 4 });
  });

  it("refuses paths outside the sandbox, missing files and unknown agents", async () => {
    const escaped = await post({ type: "READ_FILE", read_file: { path: `${sandbox}/escape`, offset: 0 } });
    expect(escaped.status, escaped.text).toBe(403);
    expect(escaped.text).toContain("outside the sandbox");
    const dotdot = await get("/files/read", { path: `${sandbox}/../other/stdout`, offset: "0" });
    expect(dotdot.status, dotdot.text).toBe(400);
    const missing = await post({ type: "READ_FILE", read_file: { path: `${sandbox}/nope`, offset: 0 } });
    expect(missing.status, missing.text).toBe(404);
    const otherTask = await post({ type: "LIST_FILES", list_files: { path: `/agents/${agentId}/frameworks/${fw.frameworkId}/tasks/never-ran` } });
    expect(otherTask.status, otherTask.text).toBe(404);
    const unknown = await post({ type: "LIST_FILES", list_files: { path: `/agents/no-such-agent/frameworks/${fw.frameworkId}/tasks/writer` } });
    expect(unknown.status, unknown.text).toBe(404);
  });
});
