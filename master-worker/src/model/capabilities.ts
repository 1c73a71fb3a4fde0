/**
 * Framework capabilities (`FrameworkInfo.capabilities`, Mesos' `FrameworkInfo.Capability.Type`)
 * that change how the master treats a framework. One place to ask, so every area spells them
 * the same way.
 */
import type { FrameworkInfo } from "../../../schemas/index.ts";

/** The capabilities Strata acts on. */
export type Capability =
  | "MULTI_ROLE"
  | "PARTITION_AWARE"
  | "TASK_KILLING_STATE"
  | "GPU_RESOURCES"
  | "REVOCABLE_RESOURCES"
  | "RESERVATION_REFINEMENT"
  | "SHARED_RESOURCES"
  | "REGION_AWARE";

/** True when the framework declared `capability`. */
export function hasCapability(info: FrameworkInfo, capability: Capability): boolean {
  return info.capabilities?.some((c) => c.type === capability) ?? false;
}
