/**
 * Finding the Slurm binaries for the benchmark (bench/slurm.ts), and installing Debian's
 * `slurm-wlm` with apt-get when they are missing and we are root (left installed).
 */
import { accessSync, constants } from "node:fs";
import { userInfo } from "node:os";
import { delimiter, join } from "node:path";
import { lastLine, run } from "./slurm-run.ts";

const BINARIES = ["slurmctld", "slurmd", "sbatch", "srun", "squeue", "sinfo", "scancel", "scontrol", "munged"] as const;
/** A Slurm (or munge) binary the benchmark runs. */
export type Bin = (typeof BINARIES)[number];

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Finds an executable on PATH, or in the sbin folders a non-root PATH tends to lack. */
function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function findAll(): { found: Partial<Record<Bin, string>>; missing: Bin[] } {
  const found: Partial<Record<Bin, string>> = {};
  const missing: Bin[] = [];
  for (const b of BINARIES) {
    const p = which(b);
    if (p) found[b] = p;
    else missing.push(b);
  }
  return { found, missing };
}

/** The Slurm binaries, installing `slurm-wlm` with apt when they are missing and we may. */
export async function ensureSlurm(log: (s: string) => void): Promise<{ bins: Record<Bin, string>; installed: boolean } | { unavailable: string }> {
  let { found, missing } = findAll();
  let installed = false;
  if (missing.length) {
    if (!isRoot()) return { unavailable: `Slurm is not installed (${missing.join(", ")} missing) and installing it needs root` };
    const apt = which("apt-get");
    if (!apt) return { unavailable: `Slurm is not installed (${missing.join(", ")} missing) and there is no apt-get to install it` };
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const args = ["install", "-y", "--no-install-recommends", "slurm-wlm"];
    log("slurm: installing slurm-wlm with apt-get…");
    let r = await run(apt, args, { env, timeoutMs: 300_000 });
    if (r.code !== 0 && !r.timedOut) {
      log("slurm: apt-get install failed; trying apt-get update first…");
      await run(apt, ["update"], { env, timeoutMs: 120_000 });
      r = await run(apt, args, { env, timeoutMs: 300_000 });
    }
    if (r.code !== 0) return { unavailable: `apt-get install slurm-wlm failed${r.timedOut ? " (timed out)" : ""}: ${lastLine(r.stderr || r.stdout)}` };
    installed = true;
    ({ found, missing } = findAll());
    if (missing.length) return { unavailable: `slurm-wlm installed but ${missing.join(", ")} still missing` };
  }
  return { bins: found as Record<Bin, string>, installed };
}

/** The user's name (Bun's `os.userInfo()` answers "unknown" for some), falling back to the uid. */
export async function currentUser(): Promise<string> {
  const r = await run("id", ["-un"], { timeoutMs: 5000 });
  const name = r.code === 0 ? r.stdout.trim() : "";
  if (name) return name;
  const u = userInfo().username;
  return u && u !== "unknown" ? u : String(process.getuid?.() ?? 0);
}
