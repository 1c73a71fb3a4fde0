/**
 * The agent's side of sandbox file access (agent-bun/src/core/files.ts): listing, reading with
 * offset and length, and refusing paths that leave the sandbox (`..`, symbolic links).
 */

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { answerFileRequest, FileServer, fileSystemRefusal } from "../../../agent-bun/src/core/files.ts";
import type { MasterClient } from "../../../agent-bun/src/core/master-client.ts";
import { sandboxPath } from "../../../agent-bun/src/sandbox/paths.ts";
import type { Logger } from "../../../agent-bun/src/system/log.ts";
import type { FileAnswer, FileRequest } from "../../../schemas/agent.ts";
import * as ref from "../../../schemas/agent.ts";
import * as wire from "../../../schemas/agent-wire.ts";
import { MAX_FILE_OFFSET, MAX_FILE_READ_BYTES } from "../../../schemas/file-limits.ts";
import { parseMessage } from "../../../schemas/parse.ts";

let workDir: string;
let sandbox: string;
let outside: string;

const req = (path: string, extra: Partial<FileRequest> = {}): FileRequest => ({
  request_id: "r1",
  op: "READ",
  framework_id: { value: "fw-1" },
  task_id: { value: "task/1" },
  path,
  ...extra,
});
const text = (data: string | undefined) => Buffer.from(data ?? "", "base64").toString("utf8");

beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), "strata-files-"));
  outside = mkdtempSync(join(tmpdir(), "strata-outside-"));
  writeFileSync(join(outside, "secret"), "top secret");
  // The task id has a '/': the sandbox directory is its safe form, the request names the id.
  sandbox = sandboxPath(workDir, "fw-1", "task/1");
  mkdirSync(join(sandbox, "logs"), { recursive: true });
  writeFileSync(join(sandbox, "stdout"), "0123456789");
  writeFileSync(join(sandbox, "logs", "app.log"), "hello\n");
});

afterEach(() => {
  rmSync(workDir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe("answerFileRequest", () => {
  it("lists the sandbox and a directory in it, by name, with sizes and modes", async () => {
    const root = await answerFileRequest(workDir, req("", { op: "LIST" }));
    expect(root.error).toBeUndefined();
    expect(root.file_infos!.map((e) => e.path)).toEqual(["logs", "stdout"]);
    const stdout = root.file_infos!.find((e) => e.path === "stdout")!;
    expect(stdout.size).toBe(10);
    expect(stdout.mode & 0o170000).toBe(0o100000);
    expect(root.file_infos!.find((e) => e.path === "logs")!.mode & 0o170000).toBe(0o040000);
    expect(stdout.mtime).toBeGreaterThan(Date.now() / 1000 - 600);
    const logs = await answerFileRequest(workDir, req("logs", { op: "LIST" }));
    expect(logs.file_infos!.map((e) => e.path)).toEqual(["logs/app.log"]);
  });

  it("lists a file as its own entry", async () => {
    const one = await answerFileRequest(workDir, req("stdout", { op: "LIST" }));
    expect(one.file_infos).toHaveLength(1);
    expect(one.file_infos![0]).toMatchObject({ path: "stdout", size: 10 });
  });

  it("reads with offset and length, and reports the size", async () => {
    const all = await answerFileRequest(workDir, req("stdout", { offset: 0 }));
    expect(all).toMatchObject({ size: 10 });
    expect(text(all.data)).toBe("0123456789");
    const middle = await answerFileRequest(workDir, req("stdout", { offset: 3, length: 4 }));
    expect(text(middle.data)).toBe("3456");
    const tail = await answerFileRequest(workDir, req("stdout", { offset: 8, length: 100 }));
    expect(text(tail.data)).toBe("89");
    const past = await answerFileRequest(workDir, req("stdout", { offset: 50 }));
    expect(past).toEqual({ size: 10, data: "" });
    const sizeOnly = await answerFileRequest(workDir, req("stdout", { offset: 0, length: 0 }));
    expect(sizeOnly).toEqual({ size: 10, data: "" });
  });

  it("cuts a read to MAX_FILE_READ_BYTES", async () => {
    writeFileSync(join(sandbox, "big"), Buffer.alloc(MAX_FILE_READ_BYTES + 100, 0x61));
    const big = await answerFileRequest(workDir, req("big", { offset: 0, length: MAX_FILE_READ_BYTES * 2 }));
    expect(big.size).toBe(MAX_FILE_READ_BYTES + 100);
    expect(Buffer.from(big.data!, "base64").length).toBe(MAX_FILE_READ_BYTES);
  });

  it("answers 404 for a missing file or sandbox, 400 for reading a directory", async () => {
    expect((await answerFileRequest(workDir, req("nope"))).error?.status).toBe(404);
    expect((await answerFileRequest(workDir, req("stdout", { task_id: { value: "other" } }))).error?.status).toBe(404);
    expect((await answerFileRequest(workDir, req("logs"))).error).toMatchObject({ status: 400, message: expect.stringContaining("directory") });
  });

  it("refuses '..' and empty segments", async () => {
    for (const path of ["..", "../../..", "logs/../..", "logs//app.log", "./stdout"]) {
      const answer = await answerFileRequest(workDir, req(path, { op: "LIST" }));
      expect(answer.error?.status, path).toBe(400);
    }
  });

  it("refuses symbolic links that lead out of the sandbox, follows those that stay in", async () => {
    symlinkSync(join(outside, "secret"), join(sandbox, "escape"));
    symlinkSync(outside, join(sandbox, "escape-dir"));
    symlinkSync("/", join(sandbox, "root"));
    symlinkSync(join(sandbox, "logs", "app.log"), join(sandbox, "inside"));
    const escaped = await answerFileRequest(workDir, req("escape"));
    expect(escaped.error?.status).toBe(403);
    expect(escaped.data).toBeUndefined();
    expect((await answerFileRequest(workDir, req("escape-dir/secret"))).error?.status).toBe(403);
    expect((await answerFileRequest(workDir, req("escape-dir", { op: "LIST" }))).error?.status).toBe(403);
    expect((await answerFileRequest(workDir, req("root/etc/passwd"))).error?.status).toBe(403);
    expect(text((await answerFileRequest(workDir, req("inside"))).data)).toBe("hello\n");
    // A listing shows the links as links, not what they point to.
    const listing = await answerFileRequest(workDir, req("", { op: "LIST" }));
    expect(listing.file_infos!.find((e) => e.path === "escape")!.mode & 0o170000).toBe(0o120000);
  });

  it("resolves the sandbox itself first: a sandbox directory the agent linked elsewhere is served", async () => {
    // The sandbox root is resolved first: files under a linked sandbox are still inside it.
    const linked = sandboxPath(workDir, "fw-1", "linked");
    symlinkSync(outside, linked);
    const answer = await answerFileRequest(workDir, req("secret", { task_id: { value: "linked" } }));
    expect(text(answer.data)).toBe("top secret");
  });
});

describe("answerFileRequest: every filesystem error is the caller's 4xx, naming the path as given, never the host's", () => {
  /** The answer's error, checked to be a 4xx whose message names `path` and no host path. */
  const refusal = (answer: Awaited<ReturnType<typeof answerFileRequest>>, path: string) => {
    expect(answer.error, path).toBeDefined();
    const { status, message } = answer.error!;
    expect(status, message).toBeGreaterThanOrEqual(400);
    expect(status, message).toBeLessThan(500);
    expect(message).toContain(`'${path}'`);
    expect(message).not.toContain(workDir);
    expect(message).not.toContain(tmpdir());
    return answer.error!;
  };

  it("a symbolic link loop (ELOOP): 400, to read, to list and on the way to a file", async () => {
    symlinkSync("loop-b", join(sandbox, "loop-a"));
    symlinkSync("loop-a", join(sandbox, "loop-b"));
    symlinkSync("self", join(sandbox, "self"));
    for (const [path, op] of [
      ["loop-a", "READ"],
      ["loop-a", "LIST"],
      ["self", "READ"],
      ["loop-b/stdout", "READ"],
    ] as const) {
      const error = refusal(await answerFileRequest(workDir, req(path, { op })), path);
      expect(error.status, path).toBe(400);
      expect(error.message, path).toMatch(/symbolic links/);
    }
  });

  it("a name longer than the filesystem allows (ENAMETOOLONG): 400, without the host's path", async () => {
    const long = "x".repeat(300);
    for (const path of [long, `logs/${long}`, `${long}/stdout`]) {
      for (const op of ["READ", "LIST"] as const) {
        const error = refusal(await answerFileRequest(workDir, req(path, { op })), path);
        expect(error.status, `${op} ${path}`).toBe(400);
        expect(error.message).toMatch(/too long/);
      }
    }
    // A whole path past PATH_MAX, each name short enough: a 4xx too (which one is the OS's say).
    const deep = Array.from({ length: 30 }, () => "y".repeat(200)).join("/");
    refusal(await answerFileRequest(workDir, req(deep)), deep);
  });

  it("a FIFO is refused as not a regular file, at once (opening it does not wait for a writer)", async () => {
    execFileSync("mkfifo", [join(sandbox, "pipe")]);
    const answer = await Promise.race([answerFileRequest(workDir, req("pipe")), new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 2_000))]);
    expect(answer).not.toBe("hung");
    const error = refusal(answer as Awaited<ReturnType<typeof answerFileRequest>>, "pipe");
    expect(error).toEqual({ status: 400, message: "'pipe' is not a regular file" });
  });

  it("maps each errno by a table, the unknown and the code-less to a 4xx too; the error's own text (host paths) never shows", () => {
    const hostPath = join(workDir, "a", "b");
    const fault = (code: string | undefined) => Object.assign(new Error(`${code}: something, open '${hostPath}'`), code ? { code } : {});
    const cases: Array<[string | undefined, number]> = [
      ["ENOENT", 404],
      ["ENOTDIR", 404],
      ["EACCES", 403],
      ["EPERM", 403],
      ["ELOOP", 400],
      ["ENAMETOOLONG", 400],
      ["EISDIR", 400],
      ["EINVAL", 400],
      ["ENXIO", 400],
      ["EMFILE", 429],
      ["ENFILE", 429],
      ["EAGAIN", 429],
      ["ENOMEM", 429],
      ["EIO", 422],
      ["ESTALE", 422],
      ["EWHATEVER", 422],
      [undefined, 422],
    ];
    for (const [code, status] of cases) {
      const error = fileSystemRefusal(fault(code), "logs/x", "read").error!;
      expect(error.status, code).toBe(status);
      expect(error.message, code).toContain("'logs/x'");
      expect(error.message, code).not.toContain(hostPath);
    }
  });
});

describe("FileServer", () => {
  it("answers each request to the master with the agent's identity and the request id", async () => {
    const sent: FileAnswer[] = [];
    const client = {
      files: async (a: FileAnswer) => {
        sent.push(a);
        return { accepted: true };
      },
    } as unknown as MasterClient;
    const log: Logger = { debug() {}, info() {}, warn() {}, error() {} };
    const server = new FileServer({ workDir, client, log });
    server.serve([req("stdout", { request_id: "a", offset: 2, length: 3 }), req("nope", { request_id: "b" })], "agent-1", "tok");
    await expect.poll(() => sent.length).toBe(2);
    expect(server.inFlight).toBe(0);
    const a = sent.find((s) => s.request_id === "a")!;
    expect(a).toMatchObject({ agent_id: { value: "agent-1" }, agent_token: "tok", size: 10 });
    expect(text(a.data)).toBe("234");
    expect(sent.find((s) => s.request_id === "b")!.error?.status).toBe(404);
  });
});

describe("one malformed file request does not poison a poll answer", () => {
  const good = (id: string) => ({ request_id: id, op: "READ", framework_id: { value: "f" }, task_id: { value: "t" }, path: "stdout", offset: 3 });
  const launch = { seq: 1, type: "SHUTDOWN_FRAMEWORK", framework_id: { value: "f" } };

  it("parsePollAnswer keeps the other requests and the rest of the answer, and names what it refused", () => {
    const answer = wire.parsePollAnswer({
      commands: [launch],
      acks: [{ task_id: { value: "t" }, uuid: "u" }],
      master_id: "m",
      file_requests: [
        good("a"),
        { ...good("big"), offset: 2 ** 53 },
        "garbage",
        { ...good("len"), length: 2 ** 63 },
        { ...good("x"), request_id: "" },
        good("b"),
      ],
    });
    expect(answer.commands).toEqual([launch]);
    expect(answer.acks).toEqual([{ task_id: { value: "t" }, uuid: "u" }]);
    expect(answer.master_id).toBe("m");
    expect(answer.file_requests!.map((r) => r.request_id)).toEqual(["a", "b"]);
    expect(answer.file_requests![0]).toEqual(parseMessage(wire.FileRequest, good("a")));
    expect(answer.refused_file_requests).toEqual([
      { request_id: "big", message: `file_requests[1].offset: ${"expected an integer from 0 to 9007199254740991"}` },
      { message: "file_requests[2]: Invalid input: expected object, received string" },
      { request_id: "len", message: "file_requests[3].length: expected an integer from 0 to 9007199254740991" },
      { message: "file_requests[4].request_id: Too small: expected string to have >=1 characters" },
    ]);
  });

  it("parsePollAnswer is the schema's parse when every request is good; a bad answer itself is still refused", () => {
    const input = { commands: [], acks: [], file_requests: [good("a"), null, good("b")] };
    expect(wire.parsePollAnswer(input)).toEqual(parseMessage(wire.PollResponse, input, "response"));
    expect(wire.parsePollAnswer({ commands: [], acks: [] })).toEqual({ commands: [], acks: [] });
    expect(() => wire.parsePollAnswer({ commands: [], acks: [], file_requests: "x" })).toThrow(/^file_requests: /);
    expect(() => wire.parsePollAnswer({ commands: [{ seq: 1, type: "NOPE" }], acks: [], file_requests: [good("a")] })).toThrow(/^commands\[0\]/);
  });

  it("the agent answers a refused request with a 400 naming the field, serves the others, and logs one it cannot answer", async () => {
    const sent: FileAnswer[] = [];
    const warnings: unknown[] = [];
    const client = {
      files: async (a: FileAnswer) => {
        sent.push(a);
        return { accepted: true };
      },
    } as unknown as MasterClient;
    const log: Logger = { debug() {}, info() {}, warn: (...args: unknown[]) => warnings.push(args), error() {} };
    const server = new FileServer({ workDir, client, log });
    server.serve([req("stdout", { request_id: "ok", offset: 0, length: 2 })], "agent-1", "tok");
    server.refuse(
      [{ request_id: "big", message: "file_requests[1].offset: expected an integer from 0 to 9007199254740991" }, { message: "file_requests[2]: bad" }],
      "agent-1",
      "tok",
    );
    await expect.poll(() => sent.length).toBe(2);
    expect(server.inFlight).toBe(0);
    expect(sent.find((s) => s.request_id === "big")).toEqual({
      agent_id: { value: "agent-1" },
      agent_token: "tok",
      request_id: "big",
      error: { status: 400, message: "the agent cannot take this file request: file_requests[1].offset: expected an integer from 0 to 9007199254740991" },
    });
    expect(text(sent.find((s) => s.request_id === "ok")!.data)).toBe("01");
    expect(JSON.stringify(warnings)).toContain("file_requests[2]: bad");
  });
});

describe("file_requests in poll answers: the agent's zod/mini schema agrees with the reference", () => {
  const outcome = (schema: typeof ref.PollResponse | typeof wire.PollResponse, input: unknown) => {
    try {
      return { ok: parseMessage(schema, input, "response") };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  const good = { request_id: "r", op: "READ", framework_id: { value: "f" }, task_id: { value: "t" }, path: "stdout", offset: 3, length: 10 };
  const cases: unknown[] = [
    { commands: [], acks: [], file_requests: [good] },
    { commands: [], acks: [], file_requests: [{ ...good, op: "LIST", offset: undefined, length: undefined, path: "" }] },
    { commands: [], acks: [] },
    { commands: [], acks: [], file_requests: [{ ...good, op: "DELETE" }] },
    { commands: [], acks: [], file_requests: [{ ...good, offset: -1 }] },
    { commands: [], acks: [], file_requests: [{ ...good, length: 1.5 }] },
    { commands: [], acks: [], file_requests: [{ ...good, request_id: "" }] },
    { commands: [], acks: [], file_requests: [{ ...good, task_id: undefined }] },
    { commands: [], acks: [], file_requests: [{ ...good, offset: MAX_FILE_OFFSET, length: MAX_FILE_OFFSET }] },
    { commands: [], acks: [], file_requests: [{ ...good, offset: MAX_FILE_OFFSET + 1 }] },
    { commands: [], acks: [], file_requests: [{ ...good, length: 2 ** 63 }] },
  ];
  it.each(cases.map((c, i) => [i, c]))("case %i", (_i, input) => {
    const expected = outcome(ref.PollResponse, input);
    expect(outcome(wire.PollResponse, input)).toEqual(expected);
  });
  it("accepts the valid requests and refuses the others", () => {
    expect(cases.map((c) => "ok" in outcome(ref.PollResponse, c))).toEqual([true, true, true, false, false, false, false, false, true, false, false]);
    // The bound both sides share, named in the refusal.
    expect(outcome(wire.PollResponse, cases[9])).toEqual({ error: `file_requests[0].offset: expected an integer from 0 to ${MAX_FILE_OFFSET}` });
  });
});
