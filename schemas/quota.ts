/**
 * Operator API quota calls (Mesos 1.9+, `include/mesos/v1/master/master.proto`,
 * `include/mesos/v1/quota/quota.proto`): UPDATE_QUOTA with `QuotaConfig`s (guarantees and limits
 * as maps of resource name → `Value.Scalar`); GET_QUOTA has no body.
 */
import { z } from "zod";
import { boundedRecord, list, nameText, withinBytes } from "./bounded.ts";
import { MAX_MESSAGE_BYTES } from "./field-limits.ts";
import { Value } from "./mesos.ts";

/** Resource name → quantity, as `map<string, Value.Scalar>` is written in JSON. */
export const ScalarMap = boundedRecord(z.string().min(1), Value.Scalar);

/** One role's quota (`mesos.v1.quota.QuotaConfig`); both maps empty means "no quota" (the default). */
export const QuotaConfig = z.object({
  role: nameText(),
  guarantees: ScalarMap.optional(),
  limits: ScalarMap.optional(),
});
export type QuotaConfig = z.infer<typeof QuotaConfig>;

/** `Call.UpdateQuota`: sets the quota of each listed role; `force` skips the capacity check. */
export const UpdateQuotaCall = z.object({
  type: z.literal("UPDATE_QUOTA"),
  update_quota: z.object({
    force: z.boolean().optional(),
    quota_configs: withinBytes(list(QuotaConfig), "the quota configs", MAX_MESSAGE_BYTES),
  }),
});
export type UpdateQuotaCall = z.infer<typeof UpdateQuotaCall>;
