/// <reference types="node" />
/**
 * Persistent volumes on the agent, with real processes: a task sees its volume at
 * `<sandbox>/<container_path>`, what it writes stays after it ends, a later task with the same
 * volume reads it, and DESTROY_VOLUMES removes the directory unless a running task uses it.
 */
import { existsSync, lstatSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProcessContainerizer } from "../../../agent-bun/src/containerizers/process-containerizer.ts";
import { StatusUpdateManager } from "../../../agent-bun/src/core/status-updates.ts";
import { TaskManager } from "../../../agent-bun/src/core/task-manager.ts";
import { NoCgroups } from "../../../agent-bun/src/isolation/cgroups.ts";
import { volumePath } from "../../../agent-bun/src/sandbox/volumes.ts";
import { MemoryCheckpointStore, StateStore } from "../../../agent-bun/src/state/checkpoint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import type { AgentCommand } from "../../../schemas/agent.ts";
import type { Resource, TaskInfo } from "../../../schemas/mesos.ts";
import { taskKey } from "../../../sdk/src/ids.ts";
import { FakeClock, FakeMaster } from "../fakes.ts";

/** A volume as the master sends it in a LAUNCH (canonical form: role + reservations). */
const volume = (id: string, containerPath: string, role = "eng"): Resource => ({
  name: "disk",
  type: "SCALAR",
  scalar: { value: 10 },
  role,
  reservations: [{ type: "DYNAMIC", role, principal: "alice" }],
  disk: { persistence: { id, principal: "alice" }, volume: { container_path: containerPath, mode: "RW" } },
});

function setup() {
  const workDir = mkdtempSync(join(tmpdir(), "strata-vol-"));
  const store = new StateStore(new MemoryCheckpointStore());
  const updates = new StatusUpdateManager({ store, client: new FakeMaster(), clock: new FakeClock(), log: silentLogger });
  const tasks = new TaskManager({ store, updates, containerizer: new ProcessContainerizer(new NoCgroups("tests"), silentLogger), log: silentLogger, workDir });
  let seq = 0;
  const launch = async (id: string, command: string, resources: Resource[]): Promise<TaskInfo> => {
    const task: TaskInfo = { name: id, task_id: { value: id }, agent_id: { value: "a1" }, resources, command: { value: command } };
    tasks.handle({ seq: ++seq, type: "LAUNCH", framework_id: { value: "fw" }, task });
    return task;
  };
  const command = (c: Omit<Extract<AgentCommand, { type: "DESTROY_VOLUMES" }>, "seq">) => tasks.handle({ ...c, seq: ++seq });
  const stateOf = (id: string) => store.state.tasks[taskKey("fw", id)]?.state;
  const sandboxOf = (id: string) => store.state.tasks[taskKey("fw", id)]!.sandbox!;
  const messageOf = (id: string) => store.state.updates.filter((u) => u.status.task_id.value === id).at(-1)?.status.message;
  return { workDir, store, tasks, launch, command, stateOf, sandboxOf, messageOf, seqNow: () => seq };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("persistent volumes (real processes)", () => {
  it("keeps what a task wrote for the next task using the same volume", async () => {
    const s = setup();
    const v = volume("db-1", "data");
    await s.launch("writer", "echo kept > data/file.txt", [v]);
    await s.tasks.idle();
    expect(s.stateOf("writer")).toBe("TASK_FINISHED");
    const dir = volumePath(s.workDir, "eng", "db-1");
    expect(dir.startsWith(join(s.workDir, "volumes", "roles", "eng"))).toBe(true);
    expect(readFileSync(join(dir, "file.txt"), "utf8")).toBe("kept\n");
    expect(lstatSync(join(s.sandboxOf("writer"), "data")).isSymbolicLink()).toBe(true);

    await s.launch("reader", "cat data/file.txt", [v]);
    await s.tasks.idle();
    expect(s.stateOf("reader")).toBe("TASK_FINISHED");
    expect(readFileSync(join(s.sandboxOf("reader"), "stdout"), "utf8")).toBe("kept\n");
  });

  it("a different volume is a different directory", async () => {
    const s = setup();
    await s.launch("w", "echo one > data/f", [volume("a", "data")]);
    await s.tasks.idle();
    await s.launch("r", "cat data/f", [volume("b", "data")]);
    await s.tasks.idle();
    expect(s.stateOf("r")).toBe("TASK_FAILED");
  });

  it("DESTROY_VOLUMES removes the directory, but not while a task uses it", async () => {
    const s = setup();
    const v = volume("scratch", "nested/dir");
    await s.launch("long", "echo x > nested/dir/f; sleep 30", [v]);
    const dir = volumePath(s.workDir, "eng", "scratch");
    await until(() => existsSync(join(dir, "f")), "the task to write");
    s.command({ type: "DESTROY_VOLUMES", volumes: [v] });
    expect(existsSync(dir)).toBe(true);
    expect(s.store.state.last_seq).toBe(s.seqNow()); // taken over all the same
    s.tasks.handle({
      seq: s.seqNow() + 1,
      type: "KILL",
      framework_id: { value: "fw" },
      task_id: { value: "long" },
      kill_policy: { grace_period: { nanoseconds: 0 } },
    });
    await s.tasks.idle();
    expect(s.stateOf("long")).toBe("TASK_KILLED");
    s.tasks.handle({ seq: s.seqNow() + 2, type: "DESTROY_VOLUMES", volumes: [v] });
    expect(existsSync(dir)).toBe(false);
  });

  it("fails a task whose volume path leaves the sandbox", async () => {
    const s = setup();
    await s.launch("escape", "true", [volume("x", "../outside")]);
    await s.tasks.idle();
    expect(s.stateOf("escape")).toBe("TASK_FAILED");
    expect(s.messageOf("escape")).toMatch(/leaves the sandbox/);
  });
});
