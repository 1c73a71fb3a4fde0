/**
 * Wires GPUs in: main.ts's one call. Detects the machine's NVIDIA GPUs, picks those to offer
 * (`--nvidia-gpu-devices`, `--resources gpus:N`), and wraps the containerizer so each task
 * gets its own (containerizers/gpu-containerizer.ts). Without GPUs it changes nothing.
 */
import type { Containerizer } from "../containerizers/containerizer.ts";
import { GpuAllocator, GpuContainerizer } from "../containerizers/gpu-containerizer.ts";
import { describeGpus, detectNvidiaGpus, type GpuDevice, type GpuHost, selectGpus, systemGpuHost } from "../gpu/gpus.ts";
import type { Logger } from "../system/log.ts";
import type { AgentFlags } from "./agent-flags.ts";

/** The GPUs the agent offers and how to wrap its containerizer for them. */
export interface GpuSetup {
  offered: GpuDevice[];
  wrap(containerizer: Containerizer): Containerizer;
}

/** Detects and selects GPUs; throws (the agent does not start) when the flags ask for GPUs the machine lacks. */
export async function withGpus(flags: Pick<AgentFlags, "nvidiaGpuDevices" | "resources">, log: Logger, host: GpuHost = systemGpuHost): Promise<GpuSetup> {
  const machine = await detectNvidiaGpus(host);
  const offered = selectGpus(machine, flags.nvidiaGpuDevices, flags.resources);
  if (machine.length) log.info(`NVIDIA GPUs: ${describeGpus(machine)}; offering ${offered.length}`);
  if (!machine.length) return { offered, wrap: (c) => c };
  const allocator = new GpuAllocator(offered, machine);
  return { offered, wrap: (c) => new GpuContainerizer(c, allocator) };
}
