/**
 * Sandbox file access through the master (docs/files.md): an operator's LIST_FILES /
 * READ_FILE / `/files/*` request is queued for the agent, answered when the agent posts its
 * answer, refused by the access_sandboxes ACL, for unknown agents and bad paths, and times out.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { FileRelay } from "../../../master-worker/src/core/file-relay.ts";
import { parseSandboxPath, sandboxVirtualPath } from "../../../master-worker/src/decide/file-relay-paths.ts";
import { fileCall as fileCallOf, fileErrorRefusal, modeString, serveFilesGet as serveFilesGetOf } from "../../../master-worker/src/operator/files-calls.ts";
import type { FileAnswer } from "../../../schemas/agent.ts";
import { MAX_FILE_OFFSET } from "../../../schemas/file-limits.ts";
import { parseOperatorCall } from "../../../schemas/operator.ts";
import { launchRunning } from "../../support/lifecycle.ts";
import { MasterHarness, TEST_OPERATOR } from "../../support/master-harness.ts";
import { orReject, orThrow, refusedError } from "../../support/refused.ts";

/** The file calls with a refusal as the edge answers it: a promise rejected with its status and message. */
const fileCall = (...args: Parameters<typeof fileCallOf>) => orReject(fileCallOf(...args));
const serveFilesGet = (...args: Parameters<typeof serveFilesGetOf>) => {
  const served = serveFilesGetOf(...args);
  return served && orReject(served);
};

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** An agent running task t1 of framework "fw", subscribed as `principal`. */
function cluster(env: Record<string, string> = {}, principal = "ops") {
  const h = new MasterHarness(env);
  const agent = h.addAgent();
  const { frameworkId: fid } = h.subscribe("fw", principal);
  launchRunning(h, fid, agent, "t1");
  const wakes: string[] = [];
  let n = 0;
  const relay = new FileRelay({ wake: (a) => wakes.push(a), newId: () => `req-${++n}`, timeoutMs: 10_000 });
  const sandbox = sandboxVirtualPath(agent, fid, "t1");
  return { h, agent, fid, relay, wakes, sandbox };
}

/** Settles a promise's state without awaiting it forever. */
async function state<T>(p: Promise<T>): Promise<"pending" | "settled"> {
  const marker = Symbol("pending");
  const r = await Promise.race([
    p.then(
      () => "settled" as const,
      () => "settled" as const,
    ),
    Promise.resolve(marker),
  ]);
  return r === marker ? "pending" : "settled";
}

describe("sandbox files through the master", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("READ_FILE: queues a request for the agent, wakes its poll, answers with the agent's bytes", async () => {
    const { h, agent, fid, relay, wakes, sandbox } = cluster();
    const call = parseOperatorCall({ type: "READ_FILE", read_file: { path: `${sandbox}/stdout`, offset: 2, length: 5 } });
    const pending = fileCall(h.core, relay, call, TEST_OPERATOR);
    expect(wakes).toEqual([agent]);
    expect(relay.hasWaiting(agent)).toBe(true);
    const [req, ...more] = relay.take(agent);
    expect(more).toEqual([]);
    expect(req).toEqual({ request_id: "req-1", op: "READ", framework_id: { value: fid }, task_id: { value: "t1" }, path: "stdout", offset: 2, length: 5 });
    // Handed out once: a second poll does not get it again.
    expect(relay.take(agent)).toEqual([]);
    expect(relay.hasWaiting(agent)).toBe(false);
    expect(await state(pending)).toBe("pending");
    expect(relay.answer({ agent_id: { value: agent }, request_id: "req-1", size: 12, data: b64("llo w") })).toBe(true);
    expect(await pending).toEqual({ type: "READ_FILE", read_file: { size: 12, data: b64("llo w") } });
    expect(relay.size).toBe(0);
  });

  it("LIST_FILES: answers Mesos FileInfos with virtual paths", async () => {
    const { h, agent, relay, sandbox } = cluster();
    const pending = fileCall(h.core, relay, parseOperatorCall({ type: "LIST_FILES", list_files: { path: sandbox } }), TEST_OPERATOR);
    const [req] = relay.take(agent);
    expect(req).toMatchObject({ op: "LIST", path: "" });
    relay.answer({
      agent_id: { value: agent },
      request_id: req!.request_id,
      file_infos: [{ path: "stdout", nlink: 1, size: 3, mtime: 1700000000.5, mode: 0o100644, uid: "1000", gid: "1000" }],
    });
    expect(await pending).toEqual({
      type: "LIST_FILES",
      list_files: {
        file_infos: [{ path: `${sandbox}/stdout`, nlink: 1, size: 3, mtime: { nanoseconds: 1700000000500000000 }, mode: 0o100644, uid: "1000", gid: "1000" }],
      },
    });
  });

  it("/files/read and /files/browse answer Mesos' classic shapes; offset=-1 asks for the size", async () => {
    const { h, agent, relay, sandbox } = cluster();
    const answerNext = (a: Omit<FileAnswer, "agent_id" | "request_id">) => {
      const [req] = relay.take(agent);
      relay.answer({ agent_id: { value: agent }, request_id: req!.request_id, ...a });
      return req!;
    };
    const read = serveFilesGet(h.core, relay, "/files/read", new URLSearchParams({ path: `${sandbox}/stdout`, offset: "4", length: "3" }), TEST_OPERATOR)!;
    expect(answerNext({ size: 10, data: b64("héx") })).toMatchObject({ op: "READ", offset: 4, length: 3 });
    expect(await (await read).json()).toEqual({ data: "héx", offset: 4 });

    const size = serveFilesGet(h.core, relay, "/files/read", new URLSearchParams({ path: `${sandbox}/stdout`, offset: "-1" }), TEST_OPERATOR)!;
    expect(answerNext({ size: 10, data: "" })).toMatchObject({ op: "READ", offset: 0, length: 0 });
    expect(await (await size).json()).toEqual({ data: "", offset: 10 });

    const browse = serveFilesGet(h.core, relay, "/files/browse", new URLSearchParams({ path: sandbox }), TEST_OPERATOR)!;
    answerNext({ file_infos: [{ path: "logs", nlink: 2, size: 4096, mtime: 5, mode: 0o040755, uid: "0", gid: "0" }] });
    expect(await (await browse).json()).toEqual([{ path: `${sandbox}/logs`, nlink: 2, size: 4096, mtime: 5, mode: "drwxr-xr-x", uid: "0", gid: "0" }]);
    expect(serveFilesGet(h.core, relay, "/state", new URLSearchParams(), TEST_OPERATOR)).toBeUndefined();
  });

  it("an agent's refusal becomes the operator's HTTP status and message", async () => {
    const { h, agent, relay, sandbox } = cluster();
    const pending = fileCall(h.core, relay, parseOperatorCall({ type: "READ_FILE", read_file: { path: `${sandbox}/nope`, offset: 0 } }), TEST_OPERATOR);
    const [req] = relay.take(agent);
    relay.answer({ agent_id: { value: agent }, request_id: req!.request_id, error: { status: 404, message: "'nope' does not exist in the sandbox" } });
    await expect(pending).rejects.toMatchObject({ status: 404, message: "read_file.path: 'nope' does not exist in the sandbox" });
    // Every 4xx keeps its status; the agent failing to read (5xx) is `unavailable`, 503.
    const failing = fileCall(h.core, relay, parseOperatorCall({ type: "READ_FILE", read_file: { path: `${sandbox}/bad`, offset: 0 } }), TEST_OPERATOR);
    const [again] = relay.take(agent);
    relay.answer({ agent_id: { value: agent }, request_id: again!.request_id, error: { status: 500, message: "cannot read 'bad': EIO" } });
    await expect(failing).rejects.toMatchObject({ status: 503, message: "read_file.path: cannot read 'bad': EIO" });
    const statuses = [400, 403, 404, 409, 422, 429, 500, 502].map((s) => refusedError(fileErrorRefusal(s, "f", "m")).status);
    expect(statuses).toEqual([400, 403, 404, 409, 422, 429, 503, 503]);
  });

  it("an answer from another agent, or for an unknown request, is not accepted", async () => {
    const { h, agent, relay, sandbox } = cluster();
    const other = h.addAgent();
    const pending = fileCall(h.core, relay, parseOperatorCall({ type: "LIST_FILES", list_files: { path: sandbox } }), TEST_OPERATOR);
    const [req] = relay.take(agent);
    expect(relay.take(other)).toEqual([]);
    expect(relay.answer({ agent_id: { value: other }, request_id: req!.request_id, file_infos: [] })).toBe(false);
    expect(relay.answer({ agent_id: { value: agent }, request_id: "made-up", file_infos: [] })).toBe(false);
    expect(await state(pending)).toBe("pending");
    expect(relay.answer({ agent_id: { value: agent }, request_id: req!.request_id, file_infos: [] })).toBe(true);
    await expect(pending).resolves.toEqual({ type: "LIST_FILES", list_files: { file_infos: [] } });
  });

  it("times out with 504 when the agent does not answer; a late answer is not accepted", async () => {
    vi.useFakeTimers();
    const { h, agent, relay, sandbox } = cluster();
    const pending = fileCall(h.core, relay, parseOperatorCall({ type: "LIST_FILES", list_files: { path: sandbox } }), TEST_OPERATOR);
    const settled = pending.catch((e: unknown) => e);
    const [req] = relay.take(agent);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(await state(pending)).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled).toMatchObject({ status: 504, message: expect.stringContaining(`agent '${agent}' did not answer the file request within 10 s`) });
    expect(relay.size).toBe(0);
    expect(relay.answer({ agent_id: { value: agent }, request_id: req!.request_id, file_infos: [] })).toBe(false);
  });

  it("refuses more than the per-agent limit of requests in flight with 503", async () => {
    const { h, agent, sandbox } = cluster();
    const relay = new FileRelay({ wake: () => undefined, maxPerAgent: 2 });
    const call = parseOperatorCall({ type: "LIST_FILES", list_files: { path: sandbox } });
    void fileCall(h.core, relay, call, TEST_OPERATOR).catch(() => undefined);
    void fileCall(h.core, relay, call, TEST_OPERATOR).catch(() => undefined);
    await expect(fileCall(h.core, relay, call, TEST_OPERATOR)).rejects.toMatchObject({ status: 503, headers: { "retry-after": "1" } });
    // The relay settles with the refusal as a value; only the edge makes it a status.
    expect(await relay.request(agent, { op: "LIST", framework_id: { value: "f" }, task_id: { value: "t" }, path: "" })).toEqual({
      rejected: "busy",
      message: `agent '${agent}' has 2 file requests in flight already; try again later`,
    });
    expect(relay.take(agent)).toHaveLength(2);
  });

  it("access_sandboxes: the ACL object is the framework's user", async () => {
    const acls = {
      permissive: true,
      access_sandboxes: [
        { principals: { values: ["alice"] }, users: { values: ["tester"] } },
        { principals: { type: "ANY" }, users: { type: "NONE" } },
      ],
    };
    const { h, agent, relay, sandbox } = cluster({ STRATA_ACLS: JSON.stringify(acls) });
    const call = parseOperatorCall({ type: "LIST_FILES", list_files: { path: sandbox } });
    await expect(fileCall(h.core, relay, call, "bob")).rejects.toMatchObject({
      status: 403,
      message: "list_files.path: principal 'bob' is not authorized to access sandboxes for 'tester'",
    });
    const browse = serveFilesGet(h.core, relay, "/files/browse", new URLSearchParams({ path: sandbox }), TEST_OPERATOR)!;
    await expect(browse).rejects.toMatchObject({ status: 403 });
    expect(relay.size).toBe(0);
    const allowed = fileCall(h.core, relay, call, "alice");
    expect(relay.take(agent)).toHaveLength(1);
    void allowed.catch(() => undefined);
  });

  it("secure defaults: a framework's principal reads its own sandboxes, not another framework's; the operator reads any", async () => {
    const { h, agent, relay, sandbox } = cluster({}, "alice");
    const call = parseOperatorCall({ type: "LIST_FILES", list_files: { path: sandbox } });
    await expect(fileCall(h.core, relay, call, "bob")).rejects.toMatchObject({
      status: 403,
      message: "list_files.path: principal 'bob' is not authorized to access sandboxes for 'tester'",
    });
    const classic = serveFilesGet(h.core, relay, "/files/read", new URLSearchParams({ path: `${sandbox}/stdout`, offset: "0" }), "bob")!;
    await expect(classic).rejects.toMatchObject({ status: 403 });
    expect(relay.size).toBe(0);
    for (const principal of ["alice", TEST_OPERATOR]) void fileCall(h.core, relay, call, principal).catch(() => undefined);
    expect(relay.take(agent)).toHaveLength(2);
  });

  it("permissive mode: any principal reads any sandbox (Mesos without ACLs)", async () => {
    const { h, agent, relay, sandbox } = cluster({ STRATA_AUTHORIZATION: "permissive" }, "alice");
    void fileCall(h.core, relay, parseOperatorCall({ type: "LIST_FILES", list_files: { path: sandbox } }), "bob").catch(() => undefined);
    expect(relay.take(agent)).toHaveLength(1);
  });

  it("unknown agents and frameworks are 404, a disconnected agent 503, nothing queued", async () => {
    const { h, agent, fid, relay } = cluster();
    const list = (path: string) => fileCall(h.core, relay, parseOperatorCall({ type: "LIST_FILES", list_files: { path } }), TEST_OPERATOR);
    await expect(list(sandboxVirtualPath("no-such-agent", fid, "t1"))).rejects.toMatchObject({
      status: 404,
      message: "list_files.path: agent 'no-such-agent' is not known to the master",
    });
    await expect(list(sandboxVirtualPath(agent, "no-such-fw", "t1"))).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining("framework 'no-such-fw'"),
    });
    // The agent stops polling: after the agent ping timeout it is no longer connected.
    h.advance(h.config.agentPingTimeoutMs + 1_000);
    expect(h.core.agentConnected(agent)).toBe(false);
    await expect(list(sandboxVirtualPath(agent, fid, "t1"))).rejects.toMatchObject({ status: 503, message: expect.stringContaining("not connected") });
    expect(relay.size).toBe(0);
  });

  it("validates paths with 400 naming the field", async () => {
    const { h, agent, fid, relay } = cluster();
    const read = (path: string) => fileCall(h.core, relay, parseOperatorCall({ type: "READ_FILE", read_file: { path, offset: 0 } }), TEST_OPERATOR);
    await expect(read("stdout")).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^read_file\.path: 'stdout' is not absolute/) });
    await expect(read(`/agents/${agent}/stdout`)).rejects.toMatchObject({ status: 400, message: expect.stringContaining("names no task sandbox") });
    await expect(read(`${sandboxVirtualPath(agent, fid, "t1")}/../../t2/stdout`)).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("'.' or '..'"),
    });
    await expect(read(`${sandboxVirtualPath(agent, fid, "t1")}/%2e%2e/x`)).rejects.toMatchObject({ status: 400 });
    await expect(read(`${sandboxVirtualPath(agent, fid, "t1")}/a%2fb`)).rejects.toMatchObject({ status: 400 });
    await expect(read(`${sandboxVirtualPath(agent, fid, "t1")}/%zz`)).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("percent-encoding"),
    });
    expect(() => parseOperatorCall({ type: "READ_FILE", read_file: { path: "/x", offset: -1 } })).toThrow(/read_file\.offset/);
    expect(() => parseOperatorCall({ type: "LIST_FILES", list_files: {} })).toThrow(/list_files\.path/);
    const get = (q: Record<string, string>) => serveFilesGet(h.core, relay, "/files/read", new URLSearchParams(q), TEST_OPERATOR)!;
    await expect(get({})).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^path: missing/) });
    await expect(get({ path: `${sandboxVirtualPath(agent, fid, "t1")}/stdout`, offset: "-2" })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^offset:/),
    });
    await expect(get({ path: `${sandboxVirtualPath(agent, fid, "t1")}/stdout`, length: "x" })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^length:/),
    });
    expect(relay.size).toBe(0);
  });

  it("refuses an offset or length past MAX_FILE_OFFSET (2^53 − 1) with 400 naming the field, before anything reaches an agent", async () => {
    const { h, agent, fid, relay, wakes } = cluster();
    const path = `${sandboxVirtualPath(agent, fid, "t1")}/stdout`;
    expect(MAX_FILE_OFFSET).toBe(2 ** 53 - 1);
    const tooBig: unknown[] = [2 ** 53, 2 ** 63, "9007199254740992", "9223372036854775808"];
    for (const n of tooBig) {
      expect(() => parseOperatorCall({ type: "READ_FILE", read_file: { path, offset: n } }), String(n)).toThrow(
        /^read_file\.offset: expected an integer from 0 to 9007199254740991/,
      );
      expect(() => parseOperatorCall({ type: "READ_FILE", read_file: { path, offset: 0, length: n } }), String(n)).toThrow(/^read_file\.length: /);
    }
    // Past int64 itself: refused as that, the field named.
    expect(() => parseOperatorCall({ type: "READ_FILE", read_file: { path, offset: "99999999999999999999" } })).toThrow(
      /^read_file\.offset: outside the int64 range/,
    );
    // The bound itself is taken, as a number or as a decimal string.
    for (const n of [MAX_FILE_OFFSET, String(MAX_FILE_OFFSET)]) {
      const call = parseOperatorCall({ type: "READ_FILE", read_file: { path, offset: n, length: n } });
      expect(call.read_file).toMatchObject({ offset: MAX_FILE_OFFSET, length: MAX_FILE_OFFSET });
    }
    // The classic endpoint: the same bound, the query parameter named.
    const get = (q: Record<string, string>) => serveFilesGet(h.core, relay, "/files/read", new URLSearchParams({ path, ...q }), TEST_OPERATOR)!;
    for (const raw of ["9007199254740992", "9223372036854775808"]) {
      await expect(get({ offset: raw })).rejects.toMatchObject({ status: 400, message: `offset: '${raw}' is not an integer from -1 to 9007199254740991` });
      await expect(get({ length: raw })).rejects.toMatchObject({ status: 400, message: `length: '${raw}' is not an integer from 0 to 9007199254740991` });
    }
    expect(relay.size).toBe(0);
    expect(wakes).toEqual([]);
  });

  it("virtual paths: ids with '/' round-trip percent-encoded", () => {
    const path = `${sandboxVirtualPath("a1", "fw/1", "task 1")}/logs/app%20x.log`;
    expect(path).toBe("/agents/a1/frameworks/fw%2F1/tasks/task%201/logs/app%20x.log");
    expect(parseSandboxPath(path, "p")).toEqual({ agentId: "a1", frameworkId: "fw/1", taskId: "task 1", relative: "logs/app x.log" });
    expect(orThrow(parseSandboxPath(`${sandboxVirtualPath("a1", "f", "t")}/`, "p")).relative).toBe("");
    expect(parseSandboxPath("/agents/a1/x", "p")).toMatchObject({ rejected: "invalid", field: "p", message: expect.stringContaining("names no task sandbox") });
  });

  it("modeString renders st_mode as ls -l does", () => {
    expect(modeString(0o100644)).toBe("-rw-r--r--");
    expect(modeString(0o040755)).toBe("drwxr-xr-x");
    expect(modeString(0o120777)).toBe("lrwxrwxrwx");
  });
});
