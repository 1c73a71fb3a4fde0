/**
 * A task's GPUs as the containerizers see them (`LaunchSpec.gpus`): the devices it was given
 * (containerizers/gpu-containerizer.ts chooses them) and the machine's others, turned into the
 * visible-devices variables and the devices cgroup denials.
 */
import { type GpuDevice, NVIDIA_MAJOR } from "./gpus.ts";

/** The GPUs of one task: its own, and the machine's others it must not reach. */
export interface GpuAssignment {
  devices: GpuDevice[];
  /** Every other NVIDIA GPU of the machine (offered by this agent or not): denied in the devices cgroup. */
  others: GpuDevice[];
}

/**
 * The visible-devices variables of a task with an assignment: its GPUs' indices in
 * NVIDIA_VISIBLE_DEVICES (`void` for none: the NVIDIA container runtime then adds no GPU even
 * where an image sets `all`), and for processes on the host CUDA_VISIBLE_DEVICES with
 * CUDA_DEVICE_ORDER=PCI_BUS_ID, so CUDA numbers GPUs as nvidia-smi does ("" hides them all).
 * In a container only its own GPUs exist and CUDA numbers them from 0: no CUDA_* there.
 */
export function gpuEnvironment(gpus: GpuAssignment | undefined, inContainer: boolean): Record<string, string> {
  if (!gpus) return {};
  const indices = gpus.devices.map((g) => g.index).join(",");
  const env: Record<string, string> = { NVIDIA_VISIBLE_DEVICES: indices || "void" };
  if (!inContainer) {
    env.CUDA_VISIBLE_DEVICES = indices;
    env.CUDA_DEVICE_ORDER = "PCI_BUS_ID";
  }
  return env;
}

/**
 * devices cgroup (v1) entries to deny a task: each GPU of the machine not its own (`c 195:<minor> rwm`).
 * The control devices (/dev/nvidiactl, /dev/nvidia-uvm…) stay open: CUDA needs them, and they give
 * no access to a GPU by themselves.
 */
export function gpuDeviceDenials(gpus: GpuAssignment | undefined): string[] {
  return (gpus?.others ?? []).map((g) => `c ${NVIDIA_MAJOR}:${g.minor} rwm`);
}
