/**
 * End to end: the compiled agent binary started on a torn or malformed checkpoint refuses to
 * start (exit 1, an error naming the file) instead of starting as an empty agent that would
 * forget its tasks, and leaves the checkpoint as it found it; a valid checkpoint starts.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AGENT_BINARY } from "../../scripts/cluster-processes.ts";

const binary = existsSync(AGENT_BINARY);
if (!binary && process.env.CI) throw new Error(`${AGENT_BINARY} is missing: CI must run the end-to-end tests (npm test builds it)`);
if (!binary) console.log(`skipping the corrupt-checkpoint end-to-end test: ${AGENT_BINARY} is missing (npm test builds it first)`);

interface Outcome {
  /** The exit code, or undefined when it was still running after `waitMs` (then killed). */
  code: number | undefined;
  output: string;
}

/** Runs the agent on `workDir` against a master that is not there; waits up to `waitMs`. */
function runAgent(workDir: string, waitMs: number): Promise<Outcome> {
  return new Promise((done) => {
    const child = spawn(AGENT_BINARY, ["--master", "http://127.0.0.1:9", "--work-dir", workDir, "--cgroups", "off"], {
      env: { ...process.env, STRATA_JOIN_TOKEN: "unused" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), waitMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      done({ code: signal ? undefined : (code ?? undefined), output });
    });
  });
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A work dir whose checkpoint holds `text`. */
function workDirWith(text: string): { workDir: string; checkpoint: string } {
  const workDir = mkdtempSync(join(tmpdir(), "strata-corrupt-"));
  dirs.push(workDir);
  mkdirSync(join(workDir, "meta"));
  const checkpoint = join(workDir, "meta", "agent-state.json");
  writeFileSync(checkpoint, text);
  return { workDir, checkpoint };
}

const valid = JSON.stringify({ agent_id: "a-1", agent_token: "t", last_seq: 3, tasks: {}, updates: [], acked_uuids: [] });

describe.skipIf(!binary)("the agent binary on a corrupt checkpoint", () => {
  it.each([
    ["torn mid-write", valid.slice(0, valid.length / 2), "not valid JSON"],
    ["not an agent state", JSON.stringify({ agent_id: 7 }), "agent_id or agent_token is not a string"],
    ["a task without its ids", JSON.stringify({ tasks: { x: { state: "TASK_RUNNING" } } }), "lacks its framework_id, task_id or state"],
  ])(
    "%s: exits 1 naming the file and the fault, checkpoint untouched",
    async (_name, text, why) => {
      const { workDir, checkpoint } = workDirWith(text);
      const { code, output } = await runAgent(workDir, 15_000);
      expect(code, output).toBe(1);
      expect(output).toContain(checkpoint);
      expect(output).toContain("corrupt");
      expect(output).toContain(why);
      expect(readFileSync(checkpoint, "utf8")).toBe(text);
    },
    30_000,
  );

  it("a valid checkpoint starts (still running after 3 s, trying to reach its master)", async () => {
    const { workDir } = workDirWith(valid);
    const { code, output } = await runAgent(workDir, 3_000);
    expect(code, output).toBeUndefined();
    expect(output).toContain("agent_id=a-1");
  }, 30_000);
});
