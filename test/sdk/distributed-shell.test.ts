/**
 * Runs the distributed-shell example (with bun, as a user would) against the fake master:
 * offers from two agents, tasks launched, updates streamed back with output and exit status.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { base64Utf8 } from "../../sdk/src/base64.ts";
import { scalar } from "../../sdk/src/resources.ts";
import { FakeMaster } from "./fake-master.ts";

const BUN = resolve("node_modules/.bin/bun");
const EXAMPLE = resolve("examples/distributed-shell.ts");
let master: FakeMaster;

function agentOffer(n: number) {
  return {
    id: { value: `offer-${n}` },
    framework_id: { value: "fw-1" },
    agent_id: { value: `agent-${n}` },
    hostname: `host-${n}.example`,
    resources: [scalar("cpus", 1, "*"), scalar("mem", 256, "*")],
  };
}

/** Answers each LAUNCH with RUNNING then a terminal update produced by `result`. */
function runTasks(result: (taskId: string, agentId: string) => { exit: number; output: string }) {
  let uuid = 0;
  master.onCall = (req) => {
    if (req.body.type === "ACCEPT") {
      for (const op of req.body.accept.operations) {
        for (const task of op.launch.task_infos) {
          const base = { task_id: task.task_id, agent_id: task.agent_id, source: "SOURCE_EXECUTOR" };
          const { exit, output } = result(task.task_id.value, task.agent_id.value);
          setTimeout(() => {
            master.send({ type: "UPDATE", update: { status: { ...base, state: "TASK_RUNNING", uuid: base64Utf8(`u${++uuid}`) } } });
            master.send({
              type: "UPDATE",
              update: {
                status: {
                  ...base,
                  state: exit === 0 ? "TASK_FINISHED" : "TASK_FAILED",
                  uuid: base64Utf8(`u${++uuid}`),
                  message: `Command exited with status ${exit}`,
                  data: base64Utf8(output),
                },
              },
            });
          }, 20);
        }
      }
    }
    return { status: 202 };
  };
}

function runExample(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
    for (const k of ["STRATA_MASTER", "STRATA_PRINCIPAL", "STRATA_SECRET", "STRATA_TOKEN"]) delete env[k];
    const child = spawn(BUN, [EXAMPLE, "--master", master.url, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "",
      stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

beforeEach(async () => {
  master = await new FakeMaster().start();
  master.onSubscribe = () => {
    setTimeout(() => master.send({ type: "OFFERS", offers: { offers: [agentOffer(1), agentOffer(2)] } }), 20);
    return "stream";
  };
});
afterEach(async () => {
  await master.close();
});

describe.skipIf(!existsSync(BUN))("examples/distributed-shell.ts", () => {
  it("spreads 3 tasks over 2 agents, prints each output, tears down and exits 0", async () => {
    runTasks((taskId, agentId) => ({ exit: 0, output: `Linux ${agentId} (${taskId}) ✓\n` }));
    const { code, stdout, stderr } = await runExample(["--command", "uname -a", "--instances", "3", "--token", "tok"]);
    expect(code, stderr).toBe(0);

    const accepts = master.callsOf("ACCEPT");
    const tasks = accepts.flatMap((a) => a.body.accept.operations[0].launch.task_infos);
    expect(tasks).toHaveLength(3);
    const perAgent = new Map<string, number>();
    for (const t of tasks) perAgent.set(t.agent_id.value, (perAgent.get(t.agent_id.value) ?? 0) + 1);
    expect([...perAgent.values()].sort()).toEqual([1, 2]); // both agents used
    for (const t of tasks) {
      expect(t.command).toEqual({ shell: true, value: "uname -a" });
      expect(t.resources).toEqual([scalar("cpus", 0.1, "*"), scalar("mem", 32, "*")]);
    }
    expect(master.subscribes[0]!.headers.authorization).toBe("Bearer tok");
    expect(master.callsOf("SUPPRESS")).toHaveLength(1);
    expect(master.callsOf("ACKNOWLEDGE")).toHaveLength(6);
    expect(master.calls.at(-1)!.body.type).toBe("TEARDOWN");

    for (const t of tasks) {
      const host = `${t.agent_id.value.replace("agent-", "host-")}.example`;
      expect(stdout).toMatch(new RegExp(`✔ ${t.task_id.value}\\s+on ${host.replace(/\./g, "\\.")}\\s+TASK_FINISHED\\s+exit 0`));
      expect(stdout).toContain(`│ Linux ${t.agent_id.value} (${t.task_id.value}) ✓`);
    }
    expect(stdout).toContain("3 tasks: 3 succeeded");
  });

  it("stacks tasks on one agent with --no-spread and exits 1 when a task fails", async () => {
    runTasks((taskId) => (taskId.endsWith("-1") ? { exit: 3, output: "boom\n" } : { exit: 0, output: "fine\n" }));
    const { code, stdout } = await runExample(["-c", "exit 0", "-n", "2", "--no-spread"]);
    expect(code).toBe(1);
    const accepts = master.callsOf("ACCEPT");
    expect(accepts).toHaveLength(1); // packed into the first offer
    expect(accepts[0]!.body.accept.operations[0].launch.task_infos).toHaveLength(2);
    expect(master.callsOf("DECLINE").map((d) => d.body.decline.offer_ids[0].value)).toEqual(["offer-2"]);
    expect(stdout).toMatch(/✘ dshell-\w+-1\s+on host-1\.example\s+TASK_FAILED\s+exit 3/);
    expect(stdout).toContain("│ boom");
    expect(stdout).toContain("2 tasks: 1 succeeded, 1 did not");
    expect(master.calls.at(-1)!.body.type).toBe("TEARDOWN");
  });

  it("gives up after --timeout-seconds, reports tasks that never launched, exits 1", async () => {
    master.onSubscribe = () => "stream"; // no offers ever
    const { code, stdout, stderr } = await runExample(["-n", "2", "--timeout-seconds", "1"]);
    expect(code).toBe(1);
    expect(stderr).toContain("timed out after 1 s");
    expect(stdout.match(/NOT LAUNCHED/g)).toHaveLength(2);
    expect(master.calls.at(-1)!.body.type).toBe("TEARDOWN");
  });
});
