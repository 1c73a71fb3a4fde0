/**
 * Schemas of the operator read calls that carry a body (master.proto): GET_METRICS'
 * optional `timeout`. The other read calls (GET_STATE, GET_FLAGS, SUBSCRIBE, …) are a `type` only.
 */
import { z } from "zod";
import { DurationInfo } from "./mesos.ts";

/** GET_METRICS: `{ type, get_metrics: { timeout? } }`. */
export const GetMetricsCall = z.object({
  type: z.literal("GET_METRICS"),
  get_metrics: z.object({ timeout: DurationInfo.optional() }).optional(),
});

/** The read calls' schemas, for `OPERATOR_CALL_SCHEMAS`. */
export const OPERATOR_READ_SCHEMAS = { GET_METRICS: GetMetricsCall };
