/**
 * The fetcher cache (Mesos' fetcher cache): files downloaded for `cache: true` URIs, kept in
 * one directory under a size limit, keyed by user and URI, so that a URI is downloaded once
 * and copied (or unpacked) from here for every later task. Concurrent requests for the same
 * key share one download. The least recently used files are evicted when a new one does not
 * fit; a file in use (being copied or unpacked) is never evicted. A file larger than what can
 * be freed still serves the requests that waited for it, then is deleted (not cached).
 * The cache lives as long as the agent process: its files are removed at start, as Mesos does
 * on agent recovery.
 */
import { promises as fsp, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { errorText, type Logger } from "../system/log.ts";

/** A cached file held for use; `release` once done with it (exactly once). */
export interface CacheLease {
  readonly path: string;
  /** True when this request found the file in the cache or being downloaded by another. */
  readonly hit: boolean;
  release(): void;
}

interface Entry {
  key: string;
  path: string;
  size: number;
  /** Requests holding it (or waiting for its download). */
  pins: number;
  /** In `entries` (counted in the cache's size); false for a file too large to keep. */
  cached: boolean;
}

/** Names the cache gives its files: the key (64 hex digits), or a download in progress. */
const CACHE_FILE = /^[0-9a-f]{64}(\.\d+\.part)?$/;

/** The agent's fetcher cache. */
export class FetcherCache {
  /** Cached files, least recently used first. */
  private readonly entries = new Map<string, Entry>();
  private readonly downloads = new Map<string, { entry: Entry; ready: Promise<void> }>();
  private bytes = 0;
  private seq = 0;

  /** `capacity` in bytes; files of an earlier agent run in `dir` are removed. */
  constructor(
    readonly dir: string,
    readonly capacity: number,
    private readonly log: Logger,
  ) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) if (CACHE_FILE.test(name)) rmSync(join(dir, name), { force: true });
  }

  /** Bytes held by cached files. */
  get size(): number {
    return this.bytes;
  }

  /** Whether `key` is cached now (tests, logs). */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * The cached file for `key` (64 hex digits), filled by `fill(path)` when neither cached nor
   * being downloaded; rejects with `fill`'s error (the next request tries again).
   */
  async acquire(key: string, fill: (path: string) => Promise<number>): Promise<CacheLease> {
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key); // most recently used goes last
      this.entries.set(key, cached);
      cached.pins++;
      return this.lease(cached, true);
    }
    let download = this.downloads.get(key);
    const hit = download !== undefined;
    if (!download) {
      const entry: Entry = { key, path: join(this.dir, `${key}.${++this.seq}.part`), size: 0, pins: 0, cached: false };
      const ready = this.fill(entry, fill);
      download = { entry, ready };
      this.downloads.set(key, download);
      void ready.catch(() => {}).finally(() => this.downloads.delete(key));
    }
    const { entry, ready } = download;
    entry.pins++;
    try {
      await ready;
    } catch (e) {
      entry.pins--;
      throw e;
    }
    return this.lease(entry, hit);
  }

  private async fill(entry: Entry, fill: (path: string) => Promise<number>): Promise<void> {
    try {
      entry.size = await fill(entry.path);
    } catch (e) {
      await fsp.rm(entry.path, { force: true }).catch(() => {});
      throw e;
    }
    this.evictFor(entry.size);
    if (this.bytes + entry.size > this.capacity) {
      this.log.warn("fetched file is larger than the free fetcher cache; not caching it", { bytes: entry.size, cache_size: this.capacity });
      return;
    }
    const path = join(this.dir, entry.key);
    await fsp.rename(entry.path, path);
    entry.path = path;
    entry.cached = true;
    this.entries.set(entry.key, entry);
    this.bytes += entry.size;
  }

  /**
   * Removes unused files, least recently used first, until `size` more bytes fit; removes none
   * when even that would not make room (files in use stay).
   */
  private evictFor(size: number): void {
    let pinned = 0;
    for (const entry of this.entries.values()) if (entry.pins > 0) pinned += entry.size;
    if (pinned + size > this.capacity) return;
    for (const entry of this.entries.values()) {
      if (this.bytes + size <= this.capacity) return;
      if (entry.pins > 0) continue;
      this.entries.delete(entry.key);
      this.bytes -= entry.size;
      rmSync(entry.path, { force: true });
      this.log.debug("evicted from the fetcher cache", { key: entry.key, bytes: entry.size });
    }
  }

  private lease(entry: Entry, hit: boolean): CacheLease {
    let released = false;
    return {
      path: entry.path,
      hit,
      release: () => {
        if (released) return;
        released = true;
        entry.pins--;
        if (!entry.cached && entry.pins === 0) {
          try {
            rmSync(entry.path, { force: true });
          } catch (e) {
            this.log.warn("cannot remove fetched file", { path: entry.path, error: errorText(e) });
          }
        }
      },
    };
  }
}
