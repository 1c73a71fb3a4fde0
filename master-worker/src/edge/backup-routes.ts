/**
 * The object's backup paths (docs/backup.md), which the Worker forwards from the operator's
 * `/master/backup`, `/master/restore` and `/master/bookmark…` once the caller is authenticated:
 * the export (one synchronous pass over the tables, streamed out in chunks), the restore into
 * an empty master, and the point-in-time bookmark calls.
 */
import { isRejection, reject } from "../model/rejection.ts";
import { hasState, replaceTables, writeSnapshotTables } from "../store/snapshot-tables.ts";
import { BACKUP_CLOSING, backupOpening, parseBackup } from "./backup-format.ts";
import { type BookmarkStorage, readBookmark, restoreBookmark } from "./bookmark-calls.ts";
import { rejectionResponse } from "./http-error.ts";
import { readJsonBody } from "./read-body.ts";

/** What the backup paths need of the object (the shell provides it). */
export interface BackupServices {
  storage: DurableObjectStorage & BookmarkStorage;
  /** The object's id, written into each backup. */
  objectId: string;
  /**
   * Loads a master from the storage's rows as they are now, throwing when they do not make one,
   * and answers how to put it in service (called once the restore is committed).
   */
  loadMaster(): () => void;
  /** Ends this session of the object (`ctx.abort()`), after the current answer is sent. */
  restart(): void;
}

/** The largest backup a restore reads: the object parses it whole, within its 128 MB of memory. */
export const MAX_RESTORE_BYTES = 32 * 1024 * 1024;

/** Pieces of the export are gathered into chunks of about this size before encoding. */
const CHUNK_CHARS = 64 * 1024;

/** Answers one of the object's `/backup/…` paths; undefined for any other path. */
export async function serveBackup(services: BackupServices, request: Request, now: number): Promise<Response | undefined> {
  const url = new URL(request.url);
  switch (`${request.method} ${url.pathname}`) {
    case "GET /backup/export":
      return exportResponse(services, now);
    case "POST /backup/restore":
      return restore(services, await readJsonBody(request, MAX_RESTORE_BYTES, "the restore limit, MAX_RESTORE_BYTES"));
    case "GET /backup/bookmark": {
      const answer = await readBookmark(services.storage, url.searchParams.get("time"), now);
      return isRejection(answer) ? rejectionResponse(answer) : Response.json(answer);
    }
    case "POST /backup/bookmark/restore": {
      const answer = await restoreBookmark(services.storage, await readJsonBody(request, 4096, "the bookmark call's limit"), services.restart);
      return isRejection(answer) ? rejectionResponse(answer) : Response.json(answer, { status: 202 });
    }
    default:
      return undefined;
  }
}

/**
 * The export: every table read in one synchronous pass (no other request runs in between, so
 * the rows are one consistent state), encoded into ~64 KiB chunks as it goes; the stream hands
 * them out and lets go of each once sent. Memory: one encoded copy of the tables, no more.
 */
function exportResponse(services: BackupServices, now: number): Response {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  let pending: string[] = [];
  let size = 0;
  const flush = () => {
    if (pending.length) chunks.push(encoder.encode(pending.join("")));
    pending = [];
    size = 0;
  };
  const emit = (text: string) => {
    pending.push(text);
    size += text.length;
    if (size >= CHUNK_CHARS) flush();
  };
  emit(backupOpening({ objectId: services.objectId, takenAt: now }));
  writeSnapshotTables(services.storage, emit);
  emit(BACKUP_CLOSING);
  flush();
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next >= chunks.length) return controller.close();
      controller.enqueue(chunks[next]!);
      chunks[next++] = new Uint8Array(0);
    },
  });
  const stamp = new Date(now).toISOString().replace(/[:.]/g, "-");
  return new Response(body, {
    headers: { "content-type": "application/json", "content-disposition": `attachment; filename="strata-backup-${stamp}.json"` },
  });
}

/** The restore: checks, refused 409 when the master has state, then the tables replaced and the master reloaded. */
function restore(services: BackupServices, doc: unknown): Response {
  const backup = parseBackup(doc);
  if (isRejection(backup)) return rejectionResponse(backup);
  if (hasState(services.storage)) {
    return rejectionResponse(
      reject(
        "conflict",
        undefined,
        "this master already has state (agents, frameworks, tasks or settings): a backup is restored only into a new, empty master",
      ),
    );
  }
  let install: (() => void) | undefined;
  const fault = replaceTables(services.storage, backup.schemaVersion, backup.tables, () => {
    install = services.loadMaster();
  });
  if (fault && "check" in fault) {
    const why = fault.check instanceof Error ? fault.check.message : String(fault.check);
    return rejectionResponse(reject("invalid", "sections[0].tables", `the master cannot load these rows (${why}); nothing was restored`));
  }
  if (fault) {
    const field = `sections[0].tables.${fault.table}${fault.index >= 0 ? `[${fault.index}]` : ""}`;
    return rejectionResponse(reject("invalid", field, `${fault.message}; nothing was restored`));
  }
  install!();
  const count = (t: string) => backup.tables[t]?.length ?? 0;
  return Response.json({
    restored: { agents: count("agents"), frameworks: count("frameworks"), tasks: count("tasks"), settings: count("settings") },
    from: { created_at: backup.createdAt, schema_version: backup.schemaVersion, ...(backup.objectId ? { master_object_id: backup.objectId } : {}) },
  });
}
