/**
 * Point-in-time recovery on Cloudflare (docs/backup.md): a SQLite-backed Durable Object's
 * storage names any moment of the last 30 days by a bookmark. The operator reads the current
 * bookmark or the one for a time, and restores the master to a bookmark: the storage is told to
 * start its next session there and the object restarts. A runtime without bookmarks (a local
 * workerd) answers 501 naming the feature, not a fault.
 */
import { isRejection, type Rejection, reject } from "../model/rejection.ts";

/** The storage's bookmark calls; any may be missing where the runtime lacks them. */
export interface BookmarkStorage {
  getCurrentBookmark?: () => Promise<string>;
  getBookmarkForTime?: (timestamp: number | Date) => Promise<string>;
  onNextSessionRestoreBookmark?: (bookmark: string) => Promise<string>;
}

/** How far back the platform keeps bookmarks. */
export const BOOKMARK_WINDOW_MS = 30 * 24 * 3600 * 1000;

const FEATURE = "point-in-time recovery (Durable Object SQLite bookmarks)";

const unsupported = (call: string, why: string) =>
  reject("not_implemented", undefined, `${FEATURE}: this runtime ${why} ${call}; it is available on Cloudflare, not on a local workerd (docs/backup.md)`);

/**
 * Words a runtime uses when it has a call's name but not its implementation (workerd:
 * "This Durable Object's storage back-end does not implement point-in-time recovery.").
 */
const NOT_IMPLEMENTED = /does\s+not\s+implement|not\s+(yet\s+)?(implemented|supported|available)|unimplemented|unsupported/i;

/**
 * What a local workerd's `getCurrentBookmark()` answers: a bookmark of zeros, naming no moment
 * of any history (its back-end keeps none), so it is taken as "not implemented" too.
 */
const PLACEHOLDER_BOOKMARK = /^[0-]+$/;

/** Calls `call` on the storage, turning "this runtime has no bookmarks" into a 501 refusal; other faults are thrown. */
async function bookmarkCall<K extends keyof BookmarkStorage>(
  storage: BookmarkStorage,
  call: K,
  ...args: Parameters<NonNullable<BookmarkStorage[K]>>
): Promise<string | Rejection> {
  const fn = storage[call] as ((...a: unknown[]) => Promise<string>) | undefined;
  if (typeof fn !== "function") return unsupported(call, "has no");
  try {
    const bookmark = await fn.apply(storage, args);
    return PLACEHOLDER_BOOKMARK.test(bookmark) ? unsupported(call, `answers only a placeholder bookmark (${bookmark}) from`) : bookmark;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (NOT_IMPLEMENTED.test(message)) return unsupported(call, `does not implement (${message})`);
    throw err;
  }
}

/**
 * `time` (ms since the epoch, or an ISO 8601 time) as ms, or the refusal naming `time`: it must
 * be in the last 30 days and not in the future.
 */
export function parseBookmarkTime(time: string, now: number): number | Rejection {
  const ms = /^\d+$/.test(time) ? Number(time) : Date.parse(time);
  if (!Number.isFinite(ms)) return reject("invalid", "time", `expected ms since the epoch or an ISO 8601 time, got ${JSON.stringify(time)}`);
  if (ms > now) return reject("invalid", "time", `${new Date(ms).toISOString()} is in the future`);
  if (ms < now - BOOKMARK_WINDOW_MS) return reject("invalid", "time", `${new Date(ms).toISOString()} is older than the 30 days bookmarks are kept`);
  return ms;
}

/** The bookmark now, or for `time` when given (`?time=`): `{ bookmark, time? }`. */
export async function readBookmark(storage: BookmarkStorage, time: string | null, now: number): Promise<{ bookmark: string; time?: string } | Rejection> {
  if (time === null) {
    const bookmark = await bookmarkCall(storage, "getCurrentBookmark");
    return isRejection(bookmark) ? bookmark : { bookmark };
  }
  const at = parseBookmarkTime(time, now);
  if (isRejection(at)) return at;
  const bookmark = await bookmarkCall(storage, "getBookmarkForTime", at);
  return isRejection(bookmark) ? bookmark : { bookmark, time: new Date(at).toISOString() };
}

/** A bookmark as the platform spells them (hex groups joined by dashes, e.g. `0000007b-0000b26e-00001538-0c3e…`). */
const BOOKMARK = /^[0-9a-f]{8}(-[0-9a-f]+){2,}$/i;

/**
 * Restores the master to `bookmark` (the request body's field): the storage starts its next
 * session there, then `restart` ends this one (the shell calls `ctx.abort()` once the answer is
 * sent). Answers the bookmark restored to and `undo_bookmark`, the state just before, to go back.
 */
export async function restoreBookmark(
  storage: BookmarkStorage,
  body: unknown,
  restart: () => void,
): Promise<{ restoring: string; undo_bookmark: string } | Rejection> {
  const bookmark = (body as { bookmark?: unknown } | null)?.bookmark;
  if (typeof bookmark !== "string" || !BOOKMARK.test(bookmark)) {
    return reject("invalid", "bookmark", `expected a bookmark from GET /master/bookmark (hex groups joined by '-'), got ${JSON.stringify(bookmark)}`);
  }
  const undo = await bookmarkCall(storage, "onNextSessionRestoreBookmark", bookmark);
  if (isRejection(undo)) return undo;
  restart();
  return { restoring: bookmark, undo_bookmark: undo };
}
