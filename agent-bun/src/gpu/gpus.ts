/**
 * NVIDIA GPU detection, as Mesos' `gpu/nvidia` isolator does it at agent start, without needing
 * nvidia-smi: the driver lists each GPU under `/proc/driver/nvidia/gpus/<pci bus id>/information`
 * (model, "Device Minor", UUID); without that, `/dev/nvidia<minor>` device files say which
 * exist. When nvidia-smi is on the machine its `index` (the number users and
 * `NVIDIA_VISIBLE_DEVICES` name a GPU by) and memory are used. `--nvidia-gpu-devices`
 * (Mesos' `--nvidia_gpu_devices`) restricts which GPUs the agent offers. All access goes through
 * `GpuHost` so tests use a fake /proc tree.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Resource } from "../../../schemas/mesos.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";

/** The character-device major number of NVIDIA GPUs and their control devices (/dev/nvidia*, /dev/nvidiactl). */
export const NVIDIA_MAJOR = 195;

/** One NVIDIA GPU of the machine. */
export interface GpuDevice {
  /** nvidia-smi's index (PCI bus order): what NVIDIA_VISIBLE_DEVICES, CUDA_VISIBLE_DEVICES and Docker name it by. */
  index: number;
  /** Minor number of `/dev/nvidia<minor>` (major 195): what the devices cgroup names it by. */
  minor: number;
  model?: string;
  uuid?: string;
  memoryMB?: number;
}

/** The machine facts GPU detection reads; `systemGpuHost` reads the real ones. */
export interface GpuHost {
  /** Entry names of a directory; [] when it does not exist. */
  list(dir: string): string[];
  /** A file's text; undefined when it cannot be read. */
  read(path: string): string | undefined;
  /** `nvidia-smi` with `args`: its stdout, or undefined when it is missing or fails. */
  nvidiaSmi(args: string[]): Promise<string | undefined>;
}

/** The real /proc, /dev and nvidia-smi (run once, at agent start, found on PATH). */
export const systemGpuHost: GpuHost = {
  list: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
  read: (path) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
  nvidiaSmi: async (args) => {
    // Loaded only on a machine with an NVIDIA driver: an idle agent need not hold node:child_process.
    const { execFile } = await import("node:child_process");
    return new Promise((resolve) => {
      execFile("nvidia-smi", args, { encoding: "utf8", timeout: 10_000 }, (err, stdout) => resolve(err ? undefined : stdout));
    });
  },
};

const PROC_GPUS = "/proc/driver/nvidia/gpus";

/** The arguments given to nvidia-smi: one CSV line per GPU. */
export const NVIDIA_SMI_QUERY = ["--query-gpu=index,minor_number,name,memory.total,uuid", "--format=csv,noheader,nounits"];

/**
 * Every NVIDIA GPU on the machine, by index; [] when there is no NVIDIA driver. nvidia-smi's
 * answer wins when it gives one; else /proc (indices in PCI bus order, which is nvidia-smi's
 * order); else /dev/nvidia<N> (indices in minor order).
 */
export async function detectNvidiaGpus(host: GpuHost = systemGpuHost): Promise<GpuDevice[]> {
  const busIds = host.list(PROC_GPUS).sort();
  const devMinors = host
    .list("/dev")
    .map((n) => /^nvidia(\d+)$/.exec(n)?.[1])
    .filter((m): m is string => m !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  if (!busIds.length && !devMinors.length) return []; // no driver: nvidia-smi is not even tried
  const smi = await host.nvidiaSmi(NVIDIA_SMI_QUERY);
  const fromSmi = smi === undefined ? [] : parseNvidiaSmi(smi);
  if (fromSmi.length) return fromSmi;
  const fromProc: GpuDevice[] = [];
  for (const busId of busIds) {
    const info = host.read(join(PROC_GPUS, busId, "information"));
    if (info === undefined) continue;
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*?)\\s*$`, "m").exec(info)?.[1];
    const minor = Number(field("Device Minor"));
    if (!Number.isInteger(minor) || minor < 0) continue;
    const model = field("Model");
    const uuid = field("GPU UUID");
    fromProc.push({ index: fromProc.length, minor, ...(model ? { model } : {}), ...(uuid && !uuid.startsWith("?") ? { uuid } : {}) });
  }
  if (fromProc.length) return fromProc;
  return devMinors.map((minor, index) => ({ index, minor }));
}

/** Parses nvidia-smi's `NVIDIA_SMI_QUERY` output (bad lines are skipped). */
export function parseNvidiaSmi(text: string): GpuDevice[] {
  const out: GpuDevice[] = [];
  for (const line of text.split("\n")) {
    const [index, minor, name, memory, uuid] = line.split(",").map((s) => s.trim());
    if (!/^\d+$/.test(index ?? "") || !/^\d+$/.test(minor ?? "")) continue;
    const memoryMB = Number(memory);
    out.push({
      index: Number(index),
      minor: Number(minor),
      ...(name ? { model: name } : {}),
      ...(memory && Number.isFinite(memoryMB) ? { memoryMB } : {}),
      ...(uuid?.startsWith("GPU-") ? { uuid } : {}),
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

/**
 * The GPUs the agent offers, as Mesos decides it: `--nvidia-gpu-devices` (indices) picks
 * them, and then `--resources` must name as many `gpus`; `--resources gpus:N` alone takes
 * the first N; neither: all detected. Throws (the agent refuses to start) when asked for
 * GPUs the machine does not have, or for a fraction of one.
 */
export function selectGpus(detected: readonly GpuDevice[], only: readonly number[] | undefined, resources: readonly Resource[]): GpuDevice[] {
  const asked = resources.some((r) => r.name === "gpus") ? scalarOf(resources, "gpus") : undefined;
  if (asked !== undefined && !Number.isInteger(asked)) throw new Error(`--resources: gpus must be a whole number, got ${asked}`);
  let chosen = [...detected];
  if (only !== undefined) {
    const missing = only.filter((i) => !detected.some((g) => g.index === i));
    if (missing.length) {
      throw new Error(
        `--nvidia-gpu-devices: no NVIDIA GPU with index ${missing.join(", ")} (found ${detected.length ? detected.map((g) => g.index).join(", ") : "none"})`,
      );
    }
    chosen = detected.filter((g) => only.includes(g.index));
    if (asked !== undefined && asked !== chosen.length) {
      throw new Error(`--resources gpus:${asked} must match the ${chosen.length} GPUs of --nvidia-gpu-devices`);
    }
  }
  if (asked !== undefined) {
    if (asked > chosen.length) throw new Error(`--resources asks for gpus:${asked} but ${chosen.length} NVIDIA GPUs were found`);
    chosen = chosen.slice(0, asked);
  }
  return chosen;
}

/** Parses `--nvidia-gpu-devices`: comma-separated GPU indices, e.g. `0,1`. Throws naming the bad entry. */
export function parseGpuIndices(text: string): number[] {
  const parts = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!parts.length) throw new Error(`expected comma-separated GPU indices like 0,1, got '${text}'`);
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) throw new Error(`expected comma-separated GPU indices like 0,1, got '${p}'`);
    if (out.includes(Number(p))) throw new Error(`GPU ${p} given twice`);
    out.push(Number(p));
  }
  return out;
}

/** One line for the start log: `0 (Tesla T4, minor 0), 1 (…)`. */
export function describeGpus(gpus: readonly GpuDevice[]): string {
  return gpus.map((g) => `${g.index} (${g.model ?? "NVIDIA GPU"}, minor ${g.minor})`).join(", ");
}
