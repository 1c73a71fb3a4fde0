/// <reference types="node" />
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { LaunchSpec } from "../../../agent-bun/src/containerizers/containerizer.ts";
import { ProcessContainerizer } from "../../../agent-bun/src/containerizers/process-containerizer.ts";
import { NoCgroups } from "../../../agent-bun/src/isolation/cgroups.ts";
import { sandboxPath } from "../../../agent-bun/src/sandbox/paths.ts";
import { STDOUT_TAIL_BYTES } from "../../../agent-bun/src/sandbox/stdout-tail.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import { killGroup } from "../../../agent-bun/src/system/proc.ts";
import type { CommandInfo, TaskInfo } from "../../../schemas/mesos.ts";

const work = mkdtempSync(join(tmpdir(), "strata-pc-"));
const containerizer = new ProcessContainerizer(new NoCgroups("tests"), silentLogger);
let n = 0;

function spec(command: CommandInfo, extra: Partial<TaskInfo> = {}): LaunchSpec {
  const id = `task ${++n}/x`; // unsafe characters on purpose
  return {
    frameworkId: "fw-1",
    agentId: "agent-1",
    sandbox: sandboxPath(work, "fw-1", id),
    task: { name: id, task_id: { value: id }, agent_id: { value: "agent-1" }, resources: [], command, ...extra },
  };
}

async function runToEnd(s: LaunchSpec) {
  await containerizer.prepare(s);
  const c = await containerizer.launch(s);
  return { container: c, exit: await c.exited };
}

/** Running (not gone, not a zombie waiting for a reaper). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
  } catch {
    return false;
  }
}

const file = (s: LaunchSpec, name: string) => readFileSync(join(s.sandbox, name), "utf8");

describe("process containerizer (real processes)", () => {
  it("runs a shell command in its sandbox with stdout/stderr files and the MESOS_* environment", async () => {
    const s = spec({
      value: 'echo "out $FOO"; echo "err" >&2; pwd; echo "$MESOS_SANDBOX|$MESOS_TASK_ID|$MESOS_FRAMEWORK_ID|$MESOS_AGENT_ID|$HOME"; echo "$PATH"',
      environment: { variables: [{ name: "FOO", value: "bar" }] },
    });
    const { exit } = await runToEnd(s);
    expect(exit).toMatchObject({ code: 0, signal: null, oomKilled: false });
    expect(s.sandbox.startsWith(join(work, "frameworks", "fw-1", "tasks"))).toBe(true);
    const lines = file(s, "stdout").trim().split("\n");
    expect(lines[0]).toBe("out bar");
    expect(lines[1]).toBe(s.sandbox);
    expect(lines[2]).toBe(`${s.sandbox}|${s.task.task_id.value}|fw-1|agent-1|${s.sandbox}`);
    expect(lines[3]).toContain("/usr/bin");
    expect(file(s, "stderr")).toBe("err\n");
    expect(Buffer.from(exit.stdoutTail!, "base64").toString()).toBe(file(s, "stdout"));
  });

  it("execs argv tasks without a shell, with arguments[0] as argv0", async () => {
    const s = spec({ shell: false, value: "/bin/sh", arguments: ["my-argv0", "-c", 'echo "$0:$1"', "ignored-dollar0", "first arg; not a shell"] });
    const { exit } = await runToEnd(s);
    expect(exit.code).toBe(0);
    expect(file(s, "stdout")).toBe("ignored-dollar0:first arg; not a shell\n");

    const argv0 = spec({ shell: false, value: "/bin/bash", arguments: ["custom-name", "-c", 'echo "$BASH_ARGV0"; cat /proc/$$/cmdline | tr "\\0" " "'] });
    await runToEnd(argv0);
    expect(file(argv0, "stdout")).toContain("custom-name -c");
  });

  it("reports exit statuses and signals", async () => {
    expect((await runToEnd(spec({ value: "exit 7" }))).exit).toMatchObject({ code: 7, signal: null });
    expect((await runToEnd(spec({ value: "kill -USR1 $$" }))).exit).toMatchObject({ code: null, signal: "SIGUSR1" });
  });

  it("fails to launch a missing executable with a clear error", async () => {
    const s = spec({ shell: false, value: "/nonexistent/bin", arguments: ["x"] });
    await containerizer.prepare(s);
    await expect(containerizer.launch(s)).rejects.toThrow(/ENOENT/);
  });

  it("returns only the last 4 KiB of stdout", async () => {
    const { exit } = await runToEnd(spec({ value: "head -c 10000 /dev/zero | tr '\\0' a; printf END" }));
    const tail = Buffer.from(exit.stdoutTail!, "base64").toString();
    expect(tail).toHaveLength(STDOUT_TAIL_BYTES);
    expect(tail.endsWith("aaaEND")).toBe(true);
  });

  it("KILL: a task that handles SIGTERM exits quickly, the whole process group goes", async () => {
    const s = spec({ value: "sleep 1000 & echo $! > child.pid; trap 'echo got-term; exit 0' TERM; while true; do sleep 0.1; done" });
    await containerizer.prepare(s);
    const c = await containerizer.launch(s);
    for (let i = 0; i < 100 && !existsSync(join(s.sandbox, "child.pid")); i++) await new Promise((r) => setTimeout(r, 20));
    const child = Number(file(s, "child.pid"));
    expect(child).toBeGreaterThan(0);
    expect(alive(child)).toBe(true);
    const started = Date.now();
    c.kill(10_000);
    const exit = await c.exited;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(exit.code).toBe(0);
    expect(file(s, "stdout")).toContain("got-term");
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(child)).toBe(false); // the background child was in the group
  });

  it("KILL: a task ignoring SIGTERM gets SIGKILL after the grace period", async () => {
    const s = spec({ value: "trap '' TERM; echo ready; while true; do sleep 0.1; done" });
    await containerizer.prepare(s);
    const c = await containerizer.launch(s);
    for (let i = 0; i < 100 && !file(s, "stdout").includes("ready"); i++) await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    c.kill(700);
    const exit = await c.exited;
    const took = Date.now() - started;
    expect(exit).toMatchObject({ code: null, signal: "SIGKILL" });
    expect(took).toBeGreaterThanOrEqual(650);
    expect(took).toBeLessThan(5_000);
  });

  it("destroyOrphan kills a process group left by an earlier agent run", async () => {
    const s = spec({ value: "sleep 1000" });
    await containerizer.prepare(s);
    const c = await containerizer.launch(s);
    expect(killGroup(c.identity.pid!, 0)).toBe(true);
    await containerizer.destroyOrphan({ framework_id: "fw-1", task_id: "x", state: "TASK_RUNNING", ...c.identity });
    const exit = await c.exited;
    // Its executor went with the group, so no status was recorded: the task is reported lost.
    expect(exit).toMatchObject({ code: null, signal: null });
    expect(exit.lost).toMatch(/executor ended with signal SIGKILL/);
    // A record from another boot is never signalled.
    const other = spec({ value: "sleep 1000" });
    await containerizer.prepare(other);
    const c2 = await containerizer.launch(other);
    await containerizer.destroyOrphan({ framework_id: "fw-1", task_id: "y", state: "TASK_RUNNING", ...c2.identity, boot_id: "another-boot" });
    expect(killGroup(c2.identity.pid!, 0)).toBe(true);
    c2.kill(0);
    await c2.exited;
  });
});
