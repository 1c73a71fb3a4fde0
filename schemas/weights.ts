/**
 * Operator API weight calls (`include/mesos/v1/master/master.proto`, docs/weights.md):
 * UPDATE_WEIGHTS with `WeightInfo`s; GET_WEIGHTS has no body.
 */
import { z } from "zod";
import { list, nameText } from "./bounded.ts";

/** `mesos.v1.WeightInfo`: a role's weight (positive). */
export const WeightInfo = z.object({ role: nameText(), weight: z.number() });
export type WeightInfo = z.infer<typeof WeightInfo>;

/** `Call.UpdateWeights`: sets the weight of each listed role. */
export const UpdateWeightsCall = z.object({
  type: z.literal("UPDATE_WEIGHTS"),
  update_weights: z.object({ weight_infos: list(WeightInfo) }),
});
export type UpdateWeightsCall = z.infer<typeof UpdateWeightsCall>;
