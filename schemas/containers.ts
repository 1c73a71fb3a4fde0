/**
 * Operator API container calls (Mesos v1 agent API `GET_CONTAINERS`, answered by the master for
 * the whole cluster): its optional flags are accepted; Strata has neither nested nor standalone
 * containers, so they change nothing.
 */
import { z } from "zod";

/** `Call.GetContainers`. */
export const GetContainersCall = z.object({
  type: z.literal("GET_CONTAINERS"),
  get_containers: z.object({ show_nested: z.boolean().optional(), show_standalone: z.boolean().optional() }).optional(),
});
export type GetContainersCall = z.infer<typeof GetContainersCall>;
