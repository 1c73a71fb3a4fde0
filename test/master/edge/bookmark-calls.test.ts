/**
 * The point-in-time calls' decisions against a storage that behaves as Cloudflare's does
 * (bookmarks that name moments, an undo bookmark on restore) and as a local workerd does
 * (a placeholder bookmark, "does not implement" errors, or no such call at all).
 */
import { describe, expect, it } from "vitest";
import { BOOKMARK_WINDOW_MS, type BookmarkStorage, readBookmark, restoreBookmark } from "../../../master-worker/src/edge/bookmark-calls.ts";
import { HttpError } from "../../../master-worker/src/edge/http-error.ts";
import { orReject } from "../../support/refused.ts";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const B = (n: number) => `0000007b-0000b26e-${n.toString(16).padStart(8, "0")}-0c3e87bb37b3db5cc52eedb93cd3b96b`;

/** Cloudflare's side: records what it was asked. */
function cloudflareStorage() {
  const calls: string[] = [];
  let restoreTo: string | undefined;
  const storage: BookmarkStorage = {
    getCurrentBookmark: async () => {
      calls.push("current");
      return B(99);
    },
    getBookmarkForTime: async (t) => {
      calls.push(`for ${new Date(t).toISOString()}`);
      return B(42);
    },
    onNextSessionRestoreBookmark: async (b) => {
      calls.push(`restore ${b}`);
      restoreTo = b;
      return B(100);
    },
  };
  return { storage, calls, restoreTo: () => restoreTo };
}

const refusal = async (p: Promise<unknown>) => {
  const err = await orReject(p as Promise<never>).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
};

describe("bookmark calls on Cloudflare", () => {
  it("reads the current bookmark, and the bookmark for a time (ms or ISO 8601)", async () => {
    const cf = cloudflareStorage();
    expect(await readBookmark(cf.storage, null, NOW)).toEqual({ bookmark: B(99) });
    expect(await readBookmark(cf.storage, String(NOW - 3_600_000), NOW)).toEqual({ bookmark: B(42), time: "2026-06-01T11:00:00.000Z" });
    expect(await readBookmark(cf.storage, "2026-05-31T12:00:00Z", NOW)).toEqual({ bookmark: B(42), time: "2026-05-31T12:00:00.000Z" });
    expect(cf.calls).toEqual(["current", "for 2026-06-01T11:00:00.000Z", "for 2026-05-31T12:00:00.000Z"]);
  });

  it("restores to a bookmark: the next session starts there, then the object restarts; answers the undo bookmark", async () => {
    const cf = cloudflareStorage();
    const order: string[] = [];
    const answer = await restoreBookmark(cf.storage, { bookmark: B(42) }, () => order.push(`restart after ${cf.restoreTo()}`));
    expect(answer).toEqual({ restoring: B(42), undo_bookmark: B(100) });
    expect(order).toEqual([`restart after ${B(42)}`]);
  });

  it("refuses a time outside the 30 days or in the future, and a malformed bookmark, before asking the storage", async () => {
    const cf = cloudflareStorage();
    const restarts: number[] = [];
    for (const [p, text] of [
      [readBookmark(cf.storage, String(NOW - BOOKMARK_WINDOW_MS - 1), NOW), "time: 2026-05-02T11:59:59.999Z is older than the 30 days"],
      [readBookmark(cf.storage, String(NOW + 1), NOW), "time: 2026-06-01T12:00:00.001Z is in the future"],
      [readBookmark(cf.storage, "soon", NOW), 'time: expected ms since the epoch or an ISO 8601 time, got "soon"'],
      [restoreBookmark(cf.storage, { bookmark: "latest" }, () => restarts.push(1)), "bookmark: expected a bookmark"],
      [restoreBookmark(cf.storage, null, () => restarts.push(1)), "bookmark: expected a bookmark"],
    ] as const) {
      const err = await refusal(p);
      expect(err.status).toBe(400);
      expect(err.message).toContain(text);
    }
    expect(cf.calls).toEqual([]);
    expect(restarts).toEqual([]);
  });

  it("lets a fault of the platform through (a 500, logged), and does not restart", async () => {
    const restarts: number[] = [];
    const storage: BookmarkStorage = {
      onNextSessionRestoreBookmark: async () => {
        throw new Error("bookmark is too old");
      },
    };
    await expect(restoreBookmark(storage, { bookmark: B(1) }, () => restarts.push(1))).rejects.toThrow("bookmark is too old");
    expect(restarts).toEqual([]);
  });
});

describe("bookmark calls where the runtime has none", () => {
  const workerdLike: BookmarkStorage = {
    getCurrentBookmark: async () => "00000000-00000000-00000000-00000000000000000000000000000000",
    getBookmarkForTime: async () => {
      throw new Error("This Durable Object's storage back-end does not implement point-in-time recovery.");
    },
    onNextSessionRestoreBookmark: async () => {
      throw new Error("This Durable Object's storage back-end does not implement point-in-time recovery.");
    },
  };

  it("answers 501 naming the feature, for a placeholder bookmark, a 'does not implement' error or a missing call", async () => {
    const restarts: number[] = [];
    for (const [p, why] of [
      [readBookmark(workerdLike, null, NOW), "answers only a placeholder bookmark"],
      [readBookmark(workerdLike, String(NOW - 1000), NOW), "does not implement"],
      [restoreBookmark(workerdLike, { bookmark: B(1) }, () => restarts.push(1)), "does not implement"],
      [readBookmark({}, null, NOW), "has no getCurrentBookmark"],
      [restoreBookmark({}, { bookmark: B(1) }, () => restarts.push(1)), "has no onNextSessionRestoreBookmark"],
    ] as const) {
      const err = await refusal(p);
      expect(err.status).toBe(501);
      expect(err.message).toMatch(/^point-in-time recovery \(Durable Object SQLite bookmarks\): this runtime/);
      expect(err.message).toContain(why);
    }
    expect(restarts).toEqual([]);
  });
});
