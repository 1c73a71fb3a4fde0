/**
 * Unpacking fetched archives into the sandbox, chosen by the file name's extension as Mesos'
 * fetcher does. Tar archives (plain, gzip, bzip2, xz) go to the system's `tar`, zip files to
 * `unzip` and a lone `.gz` file to `gzip -dc` (written next to it, without `.gz`): child
 * processes, so nothing is decompressed inside the agent and its memory stays flat.
 */
import { closeSync, openSync } from "node:fs";

/** How a file is unpacked; `undefined` from `archiveKind` means it is not an archive. */
export type ArchiveKind = "tar" | "tar.gz" | "tar.bz2" | "tar.xz" | "zip" | "gz";

const SUFFIXES: ReadonlyArray<[string, ArchiveKind]> = [
  [".tar.gz", "tar.gz"],
  [".tgz", "tar.gz"],
  [".tar.bz2", "tar.bz2"],
  [".tbz2", "tar.bz2"],
  [".tar.xz", "tar.xz"],
  [".txz", "tar.xz"],
  [".tar", "tar"],
  [".zip", "zip"],
  [".gz", "gz"],
];

/** The archive kind `name` (a file name) announces by its extension, if any. */
export function archiveKind(name: string): ArchiveKind | undefined {
  const lower = name.toLowerCase();
  return SUFFIXES.find(([suffix]) => lower.endsWith(suffix) && lower.length > suffix.length)?.[1];
}

const TAR_FLAGS: Record<string, string> = { tar: "-xf", "tar.gz": "-xzf", "tar.bz2": "-xjf", "tar.xz": "-xJf" };

/**
 * Unpacks `archive` (of `kind`) into `dir`. A `gz` file becomes `gunzipTo` (its name without
 * `.gz`). Throws with the tool's own error output when it fails or is missing.
 */
export async function extract(archive: string, kind: ArchiveKind, dir: string, gunzipTo: string): Promise<void> {
  if (kind === "gz") {
    const out = openSync(gunzipTo, "w");
    try {
      return await run("gzip", ["-dc", archive], out);
    } finally {
      closeSync(out);
    }
  }
  if (kind === "zip") return run("unzip", ["-q", "-o", archive, "-d", dir]);
  return run("tar", ["-C", dir, TAR_FLAGS[kind]!, archive]);
}

/** Runs `cmd args…` (stdout to the file descriptor `stdout`), rejecting with its (last 2 KB of) stderr when it fails. */
async function run(cmd: string, args: string[], stdout?: number): Promise<void> {
  const { spawn } = await import("node:child_process");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", stdout ?? "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2048);
    });
    child.once("error", (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === "ENOENT" ? `cannot extract: '${cmd}' is not installed on this agent` : `cannot run ${cmd}: ${e.message}`));
    });
    child.once("close", (code, signal) => {
      if (code === 0) return resolve();
      const why = stderr.trim().split("\n").slice(-3).join("; ");
      reject(new Error(`${cmd} failed (${signal ?? `exit status ${code}`})${why ? `: ${why}` : ""}`));
    });
  });
}
