/// <reference types="node" />
/**
 * End to end: the real agent (agent-bun/src/main.ts run by Bun, as the compiled binary is)
 * against a fake HTTP master that restarts, with real task processes and checkpoints on disk.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RESTART_CLEANUP_MESSAGE } from "../../../agent-bun/src/core/task-manager.ts";
import { FAKE_AGENT_ID, FakeHttpMaster } from "../fake-http-master.ts";

const repo = resolve(import.meta.dirname, "../../..");
const bun = join(repo, "node_modules/.bin/bun");
const work = mkdtempSync(join(tmpdir(), "strata-e2e-"));
const children: ChildProcess[] = [];
let stderr = "";

function startAgent(master: FakeHttpMaster, extraArgs: string[] = []): ChildProcess {
  const child = spawn(
    bun,
    [
      join(repo, "agent-bun/src/main.ts"),
      ...extraArgs,
      "--master",
      master.url,
      "--work-dir",
      work,
      "--cgroups",
      "off",
      "--allow-root-tasks=true",
      "--poll-wait-seconds",
      "1",
      "--resources",
      "cpus:2;mem:512",
      "--attributes",
      "rack:r1",
      "--hostname",
      "e2e-host",
      "--log-level",
      "debug",
    ],
    { env: { PATH: process.env.PATH, STRATA_JOIN_TOKEN: "e2e-secret-token" }, stdio: ["ignore", "inherit", "pipe"] },
  );
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  children.push(child);
  return child;
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- agent log ---\n${stderr.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
  } catch {
    return false;
  }
};

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

describe("agent process end to end", () => {
  it("registers, runs tasks, rides through a master restart, recovers after its own restart", async () => {
    const master = new FakeHttpMaster();
    await master.start();
    const agent = startAgent(master);
    await until(() => master.polls.length > 0, "first poll");
    // It replaced itself (same pid) with a process without the JIT, for a smaller RSS (reexec.ts).
    expect(readFileSync(`/proc/${agent.pid}/environ`, "utf8").split("\0")).toContain("BUN_JSC_useJIT=0");
    const reg = master.registers[0]!.body;
    expect(reg.agent_id).toBeUndefined();
    expect(reg.hostname).toBe("e2e-host");
    const byName = Object.fromEntries(reg.resources.map((r) => [r.name, r]));
    expect(byName.cpus?.scalar?.value).toBe(2);
    expect(byName.mem?.scalar?.value).toBe(512);
    expect(byName.disk?.scalar?.value).toBeGreaterThan(0);
    expect(byName.ports?.ranges?.range).toEqual([{ begin: 31000, end: 32000 }]);
    expect(reg.attributes).toEqual([{ name: "rack", type: "TEXT", text: { value: "r1" } }]);

    // A task runs; its terminal update carries its stdout; acknowledgements flow back.
    master.send({
      type: "LAUNCH",
      framework_id: { value: "fw" },
      task: {
        name: "hello",
        task_id: { value: "hello" },
        agent_id: { value: "e2e-agent" },
        resources: [],
        command: { value: "echo hi-from-task" },
      },
    });
    await until(() => master.updates().some((u) => u.state === "TASK_FINISHED"), "TASK_FINISHED");
    const states = [...new Set(master.updates().map((u) => u.state))];
    expect(states).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
    const fin = master.updates().find((u) => u.state === "TASK_FINISHED")!;
    expect(Buffer.from(fin.data!, "base64").toString()).toBe("hi-from-task\n");
    expect(existsSync(join(work, "frameworks/fw/tasks/hello/stdout"))).toBe(true);
    master.ackAll();
    const acked = (master.acks.get(FAKE_AGENT_ID) ?? []).map((a) => a.uuid);
    master.send({ type: "KILL", framework_id: { value: "fw" }, task_id: { value: "unknown" } }); // wakes the poll
    await until(() => master.polls.some((p) => acked.every((u) => p.body.acked_uuids.includes(u))), "acked_uuids");

    // The master goes away for a while and comes back on the same port.
    await master.stop();
    await new Promise((r) => setTimeout(r, 1_500));
    const pollsBefore = master.polls.length;
    await master.start();
    await until(() => master.polls.length > pollsBefore, "polls after master restart");
    expect(master.registers).toHaveLength(1);

    // A long task, then the agent is stopped (tasks keep running) and started again.
    master.send({
      type: "LAUNCH",
      framework_id: { value: "fw" },
      task: {
        name: "long",
        task_id: { value: "long" },
        agent_id: { value: "e2e-agent" },
        resources: [],
        command: { value: "echo $$ > pid; exec sleep 1000" },
      },
    });
    await until(() => master.updates().some((u) => u.task_id.value === "long" && u.state === "TASK_RUNNING"), "long running");
    const pidFile = join(work, "frameworks/fw/tasks/long/pid");
    await until(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "", "pid file");
    const pid = Number(readFileSync(pidFile, "utf8"));
    agent.kill("SIGTERM");
    await until(() => agent.exitCode !== null, "agent exit", 5_000);
    expect(agent.exitCode).toBe(0);
    expect(alive(pid)).toBe(true);
    expect(JSON.parse(readFileSync(join(work, "meta/agent-state.json"), "utf8")).agent_id).toBe("e2e-agent");

    // --recover=reconnect (the default): the task is re-attached, still running, and killable.
    const second = startAgent(master);
    await until(() => master.registers.length === 2, "re-registration");
    expect(master.registers[1]!.body.agent_id).toEqual({ value: "e2e-agent" });
    expect(master.registers[1]!.body.tasks).toContainEqual({ framework_id: { value: "fw" }, task_id: { value: "long" }, state: "TASK_RUNNING" });
    expect(alive(pid)).toBe(true);
    master.send({ type: "KILL", framework_id: { value: "fw" }, task_id: { value: "long" } });
    await until(() => master.updates().some((u) => u.task_id.value === "long" && u.state === "TASK_KILLED"), "long killed");
    expect(master.updates().find((u) => u.task_id.value === "long" && u.state === "TASK_KILLED")!.message).toBe("Command terminated with signal SIGTERM");
    expect(alive(pid)).toBe(false);

    // --recover=cleanup: what the previous run left is killed and reported failed.
    master.send({
      type: "LAUNCH",
      framework_id: { value: "fw" },
      task: {
        name: "long2",
        task_id: { value: "long2" },
        agent_id: { value: "e2e-agent" },
        resources: [],
        command: { value: "echo $$ > pid; exec sleep 1000" },
      },
    });
    const pidFile2 = join(work, "frameworks/fw/tasks/long2/pid");
    await until(() => existsSync(pidFile2) && readFileSync(pidFile2, "utf8").trim() !== "", "pid file 2");
    const pid2 = Number(readFileSync(pidFile2, "utf8"));
    await until(() => master.updates().some((u) => u.task_id.value === "long2" && u.state === "TASK_RUNNING"), "long2 running");
    second.kill("SIGTERM");
    await until(() => second.exitCode !== null, "agent exit", 5_000);
    startAgent(master, ["--recover", "cleanup"]);
    await until(() => master.registers.length === 3, "re-registration");
    expect(master.registers[2]!.body.tasks).toContainEqual({ framework_id: { value: "fw" }, task_id: { value: "long2" }, state: "TASK_FAILED" });
    await until(() => master.updates().some((u) => u.task_id.value === "long2" && u.state === "TASK_FAILED"), "long2 failed");
    const lost = master.updates().find((u) => u.task_id.value === "long2" && u.state === "TASK_FAILED")!;
    expect(lost).toMatchObject({ reason: "REASON_EXECUTOR_TERMINATED", message: RESTART_CLEANUP_MESSAGE, source: "SOURCE_AGENT" });
    await until(() => !alive(pid2), "old task process killed");

    for (const r of [...master.registers, ...master.polls, ...master.statuses]) expect(r.auth).toBe("Bearer e2e-secret-token");
    expect(stderr).not.toContain("e2e-secret-token");
    await master.stop();
    if (process.env.STRATA_TEST_AGENT_LOG) console.log(stderr);
  }, 60_000);
});
