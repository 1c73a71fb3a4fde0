/**
 * The fetcher (Mesos' fetcher): before a task's command starts, each of its
 * `CommandInfo.uris` is put into the sandbox, one after the other, in order:
 *
 * - http(s) URLs are downloaded, absolute paths and `file://` URIs copied;
 * - the file is named `output_file` (a relative path inside the sandbox, its directories
 *   created) or else the URI's last path segment;
 * - `executable: true` makes it executable (0755) and it is never unpacked;
 * - otherwise, with `extract` (default true), archives (`.tar`, `.tar.gz`/`.tgz`,
 *   `.tar.bz2`/`.tbz2`, `.tar.xz`/`.txz`, `.zip`, and a lone `.gz`) are unpacked into the
 *   directory the file landed in, the archive kept beside them;
 * - `cache: true` goes through the agent's fetcher cache (fetcher-cache.ts), keyed by
 *   `CommandInfo.user` and the URI: downloaded once, then copied (or unpacked straight from the
 *   cache, so only the unpacked files reach the sandbox, as in Mesos).
 *
 * The first URI that fails fails the task (`FetchError`, naming the URI and what went wrong).
 */
import { promises as fsp } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type { CommandInfo } from "../../../schemas/mesos.ts";
import { errorText, type Logger } from "../system/log.ts";
import { type CacheLease, FetcherCache } from "./fetcher-cache.ts";
import { type DownloadLimits, download, uriBasename, uriSource } from "./fetcher-download.ts";
import { archiveKind, extract } from "./fetcher-extract.ts";

/** One `CommandInfo.URI`. */
export type CommandUri = NonNullable<CommandInfo["uris"]>[number];

/** How the fetcher is set up (from the agent's flags). */
export interface FetcherOptions extends DownloadLimits {
  /** Where cached files live. */
  cacheDir: string;
  /** Bytes the cache may hold; 0 turns caching off (`cache: true` URIs are then downloaded directly). */
  cacheBytes: number;
  log: Logger;
}

/** A URI could not be fetched; the message names it and says why (it goes into TASK_FAILED). */
export class FetchError extends Error {
  constructor(
    readonly uri: string,
    cause: string,
  ) {
    super(`Failed to fetch '${uri}': ${cause}`);
    this.name = "FetchError";
  }
}

/** What the task manager asks of the fetcher. */
export interface TaskFetcher {
  /** Fetches `uris` into `sandbox` in order; throws `FetchError` at the first failure. */
  fetchAll(sandbox: string, uris: readonly CommandUri[], user: string | undefined, signal?: AbortSignal): Promise<void>;
}

/** The agent's fetcher: one per agent process, shared by every task (and its cache with them). */
export class Fetcher implements TaskFetcher {
  /** Undefined when caching is off. */
  readonly cache: FetcherCache | undefined;
  private readonly limits: DownloadLimits;

  constructor(private readonly opts: FetcherOptions) {
    this.limits = { maxBytes: opts.maxBytes, stallTimeoutMs: opts.stallTimeoutMs };
    this.cache = opts.cacheBytes > 0 ? new FetcherCache(opts.cacheDir, opts.cacheBytes, opts.log) : undefined;
  }

  async fetchAll(sandbox: string, uris: readonly CommandUri[], user: string | undefined, signal?: AbortSignal): Promise<void> {
    for (const uri of uris) {
      if (signal?.aborted) throw new FetchError(uri.value, "cancelled");
      try {
        await this.fetchOne(sandbox, uri, user, signal);
      } catch (e) {
        throw new FetchError(uri.value, signal?.aborted ? "cancelled" : errorText(e));
      }
    }
  }

  private async fetchOne(sandbox: string, uri: CommandUri, user: string | undefined, signal?: AbortSignal): Promise<void> {
    const t0 = Date.now();
    const source = uriSource(uri.value);
    const dest = destination(sandbox, uri.output_file ?? uriBasename(source), uri.output_file !== undefined);
    await fsp.mkdir(dirname(dest), { recursive: true });
    const kind = uri.executable || uri.extract === false ? undefined : archiveKind(dest);
    const unpack = (archive: string) => extract(archive, kind!, dirname(dest), dest.replace(/\.gz$/i, ""));
    let how: string;
    if (uri.cache && this.cache) {
      const lease = await leased(
        this.cache.acquire(cacheKey(user, uri.value), (path) => download(source, path, this.limits)),
        signal,
      );
      try {
        if (kind) await unpack(lease.path);
        else await fsp.copyFile(lease.path, dest);
      } finally {
        lease.release();
      }
      how = lease.hit ? "from the cache" : "into the cache";
    } else {
      await download(source, dest, this.limits, signal);
      if (kind) await unpack(dest);
      how = "directly";
    }
    if (uri.executable) await fsp.chmod(dest, 0o755);
    this.opts.log.info("fetched", { uri: uri.value, to: relative(sandbox, dest), how, ...(kind ? { extracted: kind } : {}), ms: Date.now() - t0 });
  }
}

/**
 * Where `name` lands in `sandbox`. An output_file must be a relative path that stays inside
 * the sandbox; a name from the URI must be a plain file name.
 */
function destination(sandbox: string, name: string, isOutputFile: boolean): string {
  if (!name || name === "." || name === "..") throw new Error("cannot tell a file name from the URI; set output_file");
  if (isOutputFile && isAbsolute(name)) throw new Error(`output_file '${name}' must be a path relative to the sandbox`);
  const dest = resolve(sandbox, name);
  if (!dest.startsWith(resolve(sandbox) + sep)) throw new Error(`output_file '${name}' leaves the sandbox`);
  return dest;
}

/** The cache key of a URI fetched for `user` (Mesos segregates cached files by user). */
export function cacheKey(user: string | undefined, uri: string): string {
  // Loaded when first needed: node:crypto is large in Bun (see paths.ts).
  const { createHash } = process.getBuiltinModule("node:crypto");
  return createHash("sha256")
    .update(`${user ?? ""}\0${uri}`)
    .digest("hex");
}

/**
 * Waits for a cache lease, or stops waiting when `signal` fires. A shared download is not
 * cancelled for one task's kill (others may wait for it): its lease is released on arrival.
 */
function leased(acquire: Promise<CacheLease>, signal: AbortSignal | undefined): Promise<CacheLease> {
  if (!signal) return acquire;
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      reject(new Error("cancelled"));
      acquire.then(
        (l) => l.release(),
        () => {},
      );
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    acquire.then(
      (l) => {
        signal.removeEventListener("abort", onAbort);
        resolve(l);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
