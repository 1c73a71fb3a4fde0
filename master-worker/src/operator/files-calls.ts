/**
 * Reading task sandboxes through the master (docs/files.md): the v1 operator calls LIST_FILES
 * and READ_FILE, and the classic `/files/browse` and `/files/read` endpoints, all answered by
 * relaying to the agent (file-relay.ts). They are asynchronous (the answer comes from the agent),
 * so the Durable Object calls them before the synchronous handler table.
 */
import type { FileAnswer, FileEntry } from "../../../schemas/agent.ts";
import { MAX_FILE_OFFSET, MAX_FILE_READ_BYTES } from "../../../schemas/file-limits.ts";
import { utf8FromBase64 } from "../../../sdk/src/base64.ts";
import type { FileRelay } from "../core/file-relay.ts";
import type { MasterCore } from "../core/master-core.ts";
import { parseSandboxPath, type SandboxPath, virtualPathOf } from "../decide/file-relay-paths.ts";
import { checkAuthorizedFor } from "../model/operator-access.ts";
import { isRejection, type Rejection, reject, relayedRefusal } from "../model/rejection.ts";

/** The operator call types answered here (not in the handler table). */
export const FILE_CALL_TYPES: ReadonlySet<string> = new Set(["LIST_FILES", "READ_FILE"]);

/** The classic endpoints' internal GET paths (the Worker maps `/files/browse.json` here too). */
export const FILE_READ_PATHS: ReadonlySet<string> = new Set(["/files/browse", "/files/read"]);

type Op = { op: "LIST" } | { op: "READ"; offset: number; length?: number };

/**
 * The refusal an agent's file error (`status`, `message`) becomes, about `field`: every 4xx goes
 * through as the agent sent it (agent-bun/src/core/files.ts: 400, 403 and 404 for the operator's
 * mistakes, 429 when short of descriptors or memory, 422 for an unexpected filesystem error);
 * a 5xx, the agent failing, is `unavailable` (503), as an agent that cannot be asked is.
 */
export function fileErrorRefusal(status: number, field: string, message: string): Rejection {
  return status >= 400 && status <= 499 ? relayedRefusal(status, field, message) : reject("unavailable", field, message);
}

/**
 * Checks that the sandbox may be read by `principal` and that its agent can be asked, relays
 * the request and returns the agent's answer; the agent's refusals become refusals of their kind.
 */
async function relay(
  core: MasterCore,
  files: FileRelay,
  p: SandboxPath,
  op: Op,
  principal: string | undefined,
  field: string,
): Promise<FileAnswer | Rejection> {
  const agent = core.agents.get(p.agentId);
  if (!agent || agent.goneAt !== undefined) return reject("not_found", field, `agent '${p.agentId}' is not known to the master`);
  const framework = core.frameworks.get(p.frameworkId);
  if (!framework) return reject("not_found", field, `framework '${p.frameworkId}' is not known to the master`);
  // Mesos' access_sandboxes: the object is the user the framework's tasks run as.
  // A framework's own principal reads its sandboxes as the ACLs allow it (operator-access.ts).
  const refused = checkAuthorizedFor(core.authorizer, "access_sandboxes", principal, framework.principal, framework.info.user, field);
  if (refused) return refused;
  if (!core.agentConnected(p.agentId)) {
    return reject("unavailable", field, `agent '${p.agentId}' is not connected to the master; its files cannot be read now`);
  }
  const answer = await files.request(p.agentId, {
    op: op.op,
    framework_id: { value: p.frameworkId },
    task_id: { value: p.taskId },
    path: p.relative,
    ...(op.op === "READ" ? { offset: op.offset, ...(op.length !== undefined ? { length: op.length } : {}) } : {}),
  });
  if (isRejection(answer)) return answer;
  if (answer.error) return fileErrorRefusal(answer.error.status, field, answer.error.message);
  return answer;
}

/** The `ls -l` letter of each file type in st_mode (S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK); a regular file is `-`. */
const FILE_TYPE_LETTERS = new Map([
  [0o040000, "d"],
  [0o120000, "l"],
  [0o010000, "p"],
  [0o140000, "s"],
  [0o020000, "c"],
  [0o060000, "b"],
]);

/** Unix `ls -l` permission text of st_mode (classic `/files/browse`'s `mode`). */
export function modeString(mode: number): string {
  const kind = FILE_TYPE_LETTERS.get(mode & 0o170000) ?? "-";
  let out = kind;
  for (const shift of [6, 3, 0]) {
    const bits = (mode >> shift) & 7;
    out += (bits & 4 ? "r" : "-") + (bits & 2 ? "w" : "-") + (bits & 1 ? "x" : "-");
  }
  return out;
}

/** A v1 `FileInfo` (mesos.proto): `mtime` a TimeInfo, `mode` the st_mode number. */
const v1Info = (p: SandboxPath, e: FileEntry) => ({
  path: virtualPathOf(p, e.path),
  nlink: e.nlink,
  size: e.size,
  mtime: { nanoseconds: Math.round(e.mtime * 1e9) },
  mode: e.mode,
  uid: e.uid,
  gid: e.gid,
});

/** A classic `/files/browse` entry: `mtime` in seconds, `mode` as `ls -l` shows it. */
const classicInfo = (p: SandboxPath, e: FileEntry) => ({
  path: virtualPathOf(p, e.path),
  nlink: e.nlink,
  size: e.size,
  mtime: e.mtime,
  mode: modeString(e.mode),
  uid: e.uid,
  gid: e.gid,
});

/** LIST_FILES / READ_FILE (Mesos' answers: `list_files.file_infos`, `read_file.{size,data}` with data base64). */
export async function fileCall(core: MasterCore, files: FileRelay, call: Record<string, unknown>, principal: string | undefined): Promise<object | Rejection> {
  if (call.type === "LIST_FILES") {
    const { path } = call.list_files as { path: string };
    const p = parseSandboxPath(path, "list_files.path");
    if (isRejection(p)) return p;
    const answer = await relay(core, files, p, { op: "LIST" }, principal, "list_files.path");
    if (isRejection(answer)) return answer;
    return { type: "LIST_FILES", list_files: { file_infos: (answer.file_infos ?? []).map((e) => v1Info(p, e)) } };
  }
  const { path, offset, length } = call.read_file as { path: string; offset: number; length?: number };
  const p = parseSandboxPath(path, "read_file.path");
  if (isRejection(p)) return p;
  const answer = await relay(
    core,
    files,
    p,
    { op: "READ", offset, ...(length !== undefined ? { length: Math.min(length, MAX_FILE_READ_BYTES) } : {}) },
    principal,
    "read_file.path",
  );
  if (isRejection(answer)) return answer;
  return { type: "READ_FILE", read_file: { size: answer.size ?? 0, data: answer.data ?? "" } };
}

/**
 * A query parameter as an integer from `min` to `MAX_FILE_OFFSET` (the bound the agent's wire
 * schema shares), undefined when absent, or a refusal naming it.
 */
function intParam(params: URLSearchParams, name: string, min: number): number | undefined | Rejection {
  const raw = params.get(name);
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || n < min || n > MAX_FILE_OFFSET) return reject("invalid", name, `'${raw}' is not an integer from ${min} to ${MAX_FILE_OFFSET}`);
  return n;
}

/**
 * Classic `/files/browse?path=` (a JSON array of entries) and `/files/read?path=&offset=&length=`
 * (`{ data, offset }`, data as text). As in Mesos, `offset=-1` asks for the file's size only
 * (`{ data: "", offset: <size> }`), which is where a follower starts; an absent offset reads
 * from 0. Undefined when `path` is not one of these endpoints; a `Rejection` when refused.
 */
export function serveFilesGet(
  core: MasterCore,
  files: FileRelay,
  path: string,
  params: URLSearchParams,
  principal: string | undefined,
): Promise<Response | Rejection> | undefined {
  if (!FILE_READ_PATHS.has(path)) return undefined;
  return (async () => {
    const virtual = params.get("path");
    if (!virtual) return reject("invalid", "path", "missing; expected ?path=/agents/<agent_id>/frameworks/<framework_id>/tasks/<task_id>[/<path>]");
    const p = parseSandboxPath(virtual, "path");
    if (isRejection(p)) return p;
    if (path === "/files/browse") {
      const answer = await relay(core, files, p, { op: "LIST" }, principal, "path");
      return isRejection(answer) ? answer : Response.json((answer.file_infos ?? []).map((e) => classicInfo(p, e)));
    }
    const offset = intParam(params, "offset", -1) ?? 0;
    if (isRejection(offset)) return offset;
    const length = intParam(params, "length", 0);
    if (isRejection(length)) return length;
    if (offset === -1) {
      const answer = await relay(core, files, p, { op: "READ", offset: 0, length: 0 }, principal, "path");
      return isRejection(answer) ? answer : Response.json({ data: "", offset: answer.size ?? 0 });
    }
    const answer = await relay(
      core,
      files,
      p,
      { op: "READ", offset, ...(length !== undefined ? { length: Math.min(length, MAX_FILE_READ_BYTES) } : {}) },
      principal,
      "path",
    );
    return isRejection(answer) ? answer : Response.json({ data: utf8FromBase64(answer.data ?? ""), offset });
  })();
}
