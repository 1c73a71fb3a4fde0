/**
 * What this machine offers: cpus, mem, disk, ports and NVIDIA GPUs (counted by gpus.ts), detected
 * as Mesos does, then overridden entry by entry by `--resources`. Also parses `--attributes`.
 */
import { statfsSync } from "node:fs";
import { cpus as osCpus, totalmem } from "node:os";
import type { Attribute, Resource } from "../../../schemas/mesos.ts";
import { normalize, parseRangeList, ranges, scalar } from "../../../sdk/src/resources.ts";
import { MiB } from "../../../sdk/src/units.ts";

const GiB = 1024 * MiB;

/** The machine facts fingerprinting reads, behind an interface so tests can fake them. */
export interface HostProbe {
  cpuCount(): number;
  totalMemoryBytes(): number;
  /** Size in bytes of the filesystem holding `dir`. */
  filesystemBytes(dir: string): number;
}

/** Reads the real machine. */
export const systemHostProbe: HostProbe = {
  cpuCount: () => Math.max(1, osCpus().length),
  totalMemoryBytes: () => totalmem(),
  filesystemBytes: (dir) => {
    const s = statfsSync(dir);
    return Number(s.blocks) * Number(s.bsize);
  },
};

/** Memory left for tasks: like Mesos, keep half when under 2 GiB, else keep 1 GiB. In MB. */
export function memoryForTasksMB(totalBytes: number): number {
  const usable = totalBytes < 2 * GiB ? totalBytes / 2 : totalBytes - GiB;
  return Math.floor(usable / MiB);
}

/** Disk left for tasks: like Mesos, keep half when under 10 GiB, else keep 5 GiB. In MB. */
export function diskForTasksMB(totalBytes: number): number {
  const usable = totalBytes < 10 * GiB ? totalBytes / 2 : totalBytes - 5 * GiB;
  return Math.floor(usable / MiB);
}

/** Default port range offered to tasks, as in Mesos. */
export const DEFAULT_PORTS: [number, number] = [31000, 32000];

/**
 * Detected resources with `overrides` applied: an override replaces every detected entry of
 * the same name (so `cpus:2` caps cpus and `ports:[31000-31100]` narrows the range).
 * `gpuCount`: the GPUs the agent offers (gpus.ts `selectGpus`), advertised as `gpus` when > 0.
 */
export function fingerprint(workDir: string, overrides: readonly Resource[] = [], probe: HostProbe = systemHostProbe, gpuCount = 0): Resource[] {
  const detected: Resource[] = [scalar("cpus", probe.cpuCount()), scalar("mem", memoryForTasksMB(probe.totalMemoryBytes()))];
  try {
    detected.push(scalar("disk", diskForTasksMB(probe.filesystemBytes(workDir))));
  } catch {
    // No statfs (odd platforms): offer no disk unless --resources names some.
  }
  detected.push(ranges("ports", [DEFAULT_PORTS]));
  if (gpuCount > 0) detected.push(scalar("gpus", gpuCount));
  const overridden = new Set(overrides.map((r) => r.name));
  return normalize([...detected.filter((r) => !overridden.has(r.name)), ...overrides]);
}

/**
 * Parses `--attributes`: `rack:r1;zone:a;level:3;slots:[1-4]`. Numbers become SCALAR,
 * `[a-b,…]` RANGES, anything else TEXT. Throws naming the bad entry.
 */
export function parseAttributes(text: string): Attribute[] {
  const out: Attribute[] = [];
  for (const part of text
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const idx = part.indexOf(":");
    const name = idx > 0 ? part.slice(0, idx).trim() : "";
    const value = idx > 0 ? part.slice(idx + 1).trim() : "";
    if (!name || !value) throw new Error(`cannot parse '${part}' (expected name:value)`);
    if (out.some((a) => a.name === name)) throw new Error(`attribute '${name}' given twice`);
    if (/^-?\d+(\.\d+)?$/.test(value) && Number(value) >= 0) {
      out.push({ name, type: "SCALAR", scalar: { value: Number(value) } });
    } else if (/^\[.*\]$/.test(value)) {
      out.push({ name, type: "RANGES", ranges: { range: parseRangeList(value.slice(1, -1), part) } });
    } else {
      out.push({ name, type: "TEXT", text: { value } });
    }
  }
  return out;
}
