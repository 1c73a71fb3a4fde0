/**
 * Serving operators' sandbox file requests (docs/files.md). The master relays them in poll
 * answers (`file_requests`); the agent answers each with `POST /agent/v1/files`, so it still
 * needs no inbound port.
 *
 * Only paths inside a task's sandbox are served: the master already refuses `.`/`..`
 * segments, and here every path is resolved (`realpath`, following symbolic links) and must
 * stay under the sandbox's own resolved path, so a link a task made to `/etc` is refused.
 * A file is checked again after it is opened (through `/proc/self/fd`), so that a task cannot
 * swap a checked path for a link in between. Reads are cut to `MAX_FILE_READ_BYTES`.
 *
 * Every filesystem error is answered with a 4xx (`FS_ERRORS`, by errno; never a 500) whose
 * message names the path as the caller gave it: never the error's own text, which carries the
 * agent's absolute paths.
 */
import { constants, existsSync } from "node:fs";
import { type FileHandle, lstat, open, readdir, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import type { FileAnswer, FileEntry, FileRequest } from "../../../schemas/agent.ts";
import type { RefusedFileRequest } from "../../../schemas/agent-wire.ts";
import { MAX_FILE_READ_BYTES } from "../../../schemas/file-limits.ts";
import { sandboxPath } from "../sandbox/paths.ts";
import { errorText, type Logger } from "../system/log.ts";
import type { MasterClient } from "./master-client.ts";

/** What the agent answers to one request, without its identity and request id. */
export type FileResult = Omit<FileAnswer, "agent_id" | "agent_token" | "request_id">;

const refuse = (status: number, message: string): FileResult => ({ error: { status, message } });

const code = (e: unknown) => (e as { code?: string }).code;

/** `st` as a listing entry named `path` (relative to the sandbox). */
const entryOf = (path: string, st: Awaited<ReturnType<typeof lstat>>): FileEntry => ({
  path,
  nlink: Number(st.nlink),
  size: Number(st.size),
  mtime: Number(st.mtimeMs) / 1000,
  mode: Number(st.mode),
  uid: String(st.uid),
  gid: String(st.gid),
});

/**
 * A filesystem error (errno code) → the status and the reason the caller gets. 400: the request
 * names something that cannot be served; 404/403: absent, not allowed; 429: the agent is short of
 * descriptors or memory now (try again). Any other code is `FS_ERROR_DEFAULT`.
 */
const FS_ERRORS: Readonly<Record<string, readonly [status: number, reason: string]>> = {
  ENOENT: [404, "does not exist in the sandbox"],
  ENOTDIR: [404, "does not exist in the sandbox (a part of it is not a directory)"],
  EACCES: [403, "permission denied"],
  EPERM: [403, "permission denied"],
  ELOOP: [400, "too many levels of symbolic links (a link loop?)"],
  ENAMETOOLONG: [400, "name too long for the agent's filesystem"],
  EISDIR: [400, "is a directory; list it instead"],
  EINVAL: [400, "cannot be read this way (invalid argument)"],
  ENXIO: [400, "is not a regular file"],
  ENODEV: [400, "is not a regular file"],
  EOVERFLOW: [400, "too large for the agent to read"],
  EFBIG: [400, "too large for the agent to read"],
  EMFILE: [429, "the agent has too many open files now; try again later"],
  ENFILE: [429, "the agent's system has too many open files now; try again later"],
  EAGAIN: [429, "the agent cannot do it now; try again later"],
  EBUSY: [429, "busy on the agent; try again later"],
  ENOMEM: [429, "the agent is short of memory now; try again later"],
};

/** The status of a filesystem error `FS_ERRORS` does not list (EIO, ESTALE, … or no code). */
const FS_ERROR_DEFAULT = 422;

/**
 * The answer to filesystem error `e` met when doing `verb` on `path` (as the caller gave it):
 * a 4xx from `FS_ERRORS`, or `FS_ERROR_DEFAULT` with the errno code; never `e`'s message.
 */
export function fileSystemRefusal(e: unknown, path: string, verb: "resolve" | "list" | "read"): FileResult {
  const errno = code(e);
  const known = errno !== undefined && Object.hasOwn(FS_ERRORS, errno) ? FS_ERRORS[errno] : undefined;
  if (known) return refuse(known[0], `'${path}': ${known[1]}`);
  return refuse(FS_ERROR_DEFAULT, `cannot ${verb} '${path}' on the agent (${errno ?? "unexpected error"})`);
}

/** True when `real` is `root` or below it. */
const inside = (root: string, real: string) => real === root || real.startsWith(root + sep);

/** Answers one request against the sandboxes under `workDir`; never throws for a bad path. */
export async function answerFileRequest(workDir: string, req: FileRequest): Promise<FileResult> {
  const fid = req.framework_id.value;
  const tid = req.task_id.value;
  const segments = req.path === "" ? [] : req.path.split("/");
  if (segments.some((s) => s === "" || s === "." || s === ".." || s.includes("\0"))) {
    return refuse(400, `'${req.path}' is not a relative path inside the sandbox (empty, '.' or '..' segment)`);
  }
  let root: string;
  try {
    root = await realpath(sandboxPath(workDir, fid, tid));
  } catch {
    return refuse(404, `no sandbox for task '${tid}' of framework '${fid}' on this agent`);
  }
  let real: string;
  try {
    real = await realpath(join(root, ...segments));
  } catch (e) {
    return fileSystemRefusal(e, req.path, "resolve");
  }
  if (!inside(root, real)) return refuse(403, `'${req.path}' leads outside the sandbox`);
  try {
    return req.op === "LIST" ? await list(req.path, real) : await read(req, root, real);
  } catch (e) {
    return fileSystemRefusal(e, req.path, req.op === "LIST" ? "list" : "read");
  }
}

/** A directory's entries (lstat: links as themselves), by name; a file's own entry. */
async function list(rel: string, real: string): Promise<FileResult> {
  const st = await stat(real);
  if (!st.isDirectory()) return { file_infos: [entryOf(rel, st)] };
  const names = (await readdir(real)).sort();
  const file_infos: FileEntry[] = [];
  for (const name of names) {
    try {
      file_infos.push(entryOf(rel === "" ? name : `${rel}/${name}`, await lstat(join(real, name))));
    } catch {
      /* removed meanwhile */
    }
  }
  return { file_infos };
}

/** Up to `length` bytes (cut to `MAX_FILE_READ_BYTES`) from `offset`, with the file's size. */
async function read(req: FileRequest, root: string, real: string): Promise<FileResult> {
  // Non-blocking: opening a FIFO for reading would otherwise wait for a writer, for ever.
  const handle: FileHandle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    // The path may have been swapped for a link after it was checked: check what was opened.
    const fdPath = `/proc/self/fd/${handle.fd}`;
    if (existsSync(fdPath) && !inside(root, await realpath(fdPath))) return refuse(403, `'${req.path}' leads outside the sandbox`);
    const st = await handle.stat();
    if (st.isDirectory()) return refuse(400, `'${req.path}' is a directory; list it instead`);
    if (!st.isFile()) return refuse(400, `'${req.path}' is not a regular file`);
    const size = Number(st.size);
    const offset = req.offset ?? 0;
    const want = Math.max(0, Math.min(req.length ?? MAX_FILE_READ_BYTES, MAX_FILE_READ_BYTES, size - offset));
    const buffer = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await handle.read(buffer, got, want - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { size, data: buffer.subarray(0, got).toString("base64") };
  } finally {
    await handle.close();
  }
}

/** What the file server needs. */
export interface FileServerDeps {
  workDir: string;
  client: MasterClient;
  log: Logger;
}

/** Answers the file requests of poll answers, each on its own (a slow read holds up nothing else). */
export class FileServer {
  /** Requests being answered now. */
  private busy = 0;

  constructor(private readonly deps: FileServerDeps) {}

  /** Requests being answered now (tests wait for 0). */
  get inFlight(): number {
    return this.busy;
  }

  /** Starts answering `requests` for agent `agentId`; does not wait. */
  serve(requests: readonly FileRequest[], agentId: string, agentToken: string | undefined): void {
    for (const req of requests) {
      this.busy++;
      void this.answer(req, agentId, agentToken).finally(() => {
        this.busy--;
      });
    }
  }

  /**
   * Answers the file requests a poll answer carried malformed (agent-wire.ts `parsePollAnswer`)
   * with a 400 naming the field, so that their operators hear at once; one without a usable
   * `request_id` cannot be answered and is logged.
   */
  refuse(refused: readonly RefusedFileRequest[], agentId: string, agentToken: string | undefined): void {
    for (const r of refused) {
      if (r.request_id === undefined) {
        this.deps.log.warn("the master sent a file request the agent cannot take, without a request id to answer", { problem: r.message });
        continue;
      }
      const result = refuse(400, `the agent cannot take this file request: ${r.message}`);
      this.busy++;
      void this.send(r.request_id, result, agentId, agentToken).finally(() => {
        this.busy--;
      });
    }
  }

  private async answer(req: FileRequest, agentId: string, agentToken: string | undefined): Promise<void> {
    await this.send(req.request_id, await answerFileRequest(this.deps.workDir, req), agentId, agentToken);
  }

  private async send(requestId: string, result: FileResult, agentId: string, agentToken: string | undefined): Promise<void> {
    const { client, log } = this.deps;
    if (!client.files) return;
    try {
      await client.files({ agent_id: { value: agentId }, ...(agentToken ? { agent_token: agentToken } : {}), request_id: requestId, ...result });
    } catch (e) {
      // The operator's request times out on the master; nothing to retry here.
      log.warn("cannot send a file answer to the master", { request_id: requestId, error: errorText(e) });
    }
  }
}
