/**
 * Getting one URI's bytes into one file: http(s) through `fetch`, streamed to disk chunk by
 * chunk (the agent never holds a whole file in memory), and local files (absolute paths and
 * `file://` URIs) copied by the kernel. Both refuse files over a size limit; a download that
 * sends nothing for the stall timeout is aborted (Mesos' `--fetcher_stall_timeout`).
 */
import { constants, promises as fsp } from "node:fs";

/** Limits of one download. */
export interface DownloadLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** Abort when no byte (or no response) arrives for this long, in ms. */
  stallTimeoutMs: number;
}

/** Where a URI's bytes come from: a URL fetched over HTTP(S), or a file of this machine. */
export type UriSource = { kind: "http"; url: URL } | { kind: "file"; path: string };

/**
 * Classifies `value` (a CommandInfo.URI value). Relative paths and other schemes (hdfs, s3,
 * ftp: Mesos hands those to a Hadoop client or curl) are refused with the reason.
 */
export function uriSource(value: string): UriSource {
  if (value.startsWith("/")) return { kind: "file", path: value };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error("not an absolute path or URI (expected http://, https://, file:// or /path)");
  }
  if (url.protocol === "http:" || url.protocol === "https:") return { kind: "http", url };
  if (url.protocol === "file:") {
    // Written out rather than node:url's fileURLToPath: that module costs the idle agent ~0.4 MB.
    if (url.hostname && url.hostname !== "localhost") throw new Error(`file URI names another host '${url.hostname}'`);
    return { kind: "file", path: decodeURIComponent(url.pathname) };
  }
  throw new Error(`unsupported scheme '${url.protocol.replace(/:$/, "")}' (this agent fetches http, https and local files)`);
}

/** The file name a URI's content gets when no output_file is given: its path's last segment. */
export function uriBasename(source: UriSource): string {
  const path = source.kind === "file" ? source.path : source.url.pathname;
  let last = path.replace(/\/+$/, "").split("/").pop() ?? "";
  if (source.kind === "http") {
    try {
      last = decodeURIComponent(last);
    } catch {
      /* keep it encoded */
    }
  }
  return last;
}

/** Copies or downloads `source` to `dest` (created or replaced); returns the bytes written. */
export async function download(source: UriSource, dest: string, limits: DownloadLimits, signal?: AbortSignal): Promise<number> {
  return source.kind === "file" ? copyLocal(source.path, dest, limits.maxBytes) : downloadHttp(source.url, dest, limits, signal);
}

async function copyLocal(path: string, dest: string, maxBytes: number): Promise<number> {
  const st = await fsp.stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new Error(e.code === "ENOENT" ? "no such file" : e.message);
  });
  if (!st.isFile()) throw new Error("not a regular file");
  if (st.size > maxBytes) throw new Error(tooLarge(st.size, maxBytes));
  await fsp.copyFile(path, dest, constants.COPYFILE_FICLONE);
  return st.size;
}

async function downloadHttp(url: URL, dest: string, { maxBytes, stallTimeoutMs }: DownloadLimits, signal?: AbortSignal): Promise<number> {
  const abort = new AbortController();
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      abort.abort();
    }, stallTimeoutMs);
  };
  const onCancel = () => abort.abort();
  if (signal?.aborted) throw new Error("cancelled");
  signal?.addEventListener("abort", onCancel, { once: true });
  let file: fsp.FileHandle | undefined;
  let written = 0;
  try {
    arm();
    const res = await fetch(url, { signal: abort.signal, redirect: "follow" });
    if (!res.ok) {
      void res.body?.cancel().catch(() => {});
      throw new Error(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`);
    }
    const length = Number(res.headers.get("content-length") ?? NaN);
    if (length > maxBytes) {
      void res.body?.cancel().catch(() => {});
      throw new Error(tooLarge(length, maxBytes));
    }
    file = await fsp.open(dest, "w");
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        arm();
        const { done, value } = await reader.read();
        if (done) break;
        written += value.byteLength;
        if (written > maxBytes) {
          void reader.cancel().catch(() => {});
          throw new Error(tooLarge(written, maxBytes, true));
        }
        await file.write(value);
      }
    }
    return written;
  } catch (e) {
    await fsp.rm(dest, { force: true }).catch(() => {});
    if (stalled) throw new Error(`no data for ${stallTimeoutMs / 1000} s (stalled)`);
    if (signal?.aborted) throw new Error("cancelled");
    throw e;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onCancel);
    await file?.close().catch(() => {});
  }
}

function tooLarge(size: number, max: number, atLeast = false): string {
  return `${atLeast ? "at least " : ""}${size} bytes, larger than the limit of ${max} bytes (--fetcher-max-size)`;
}
