/**
 * Mesos v1 Operator API calls (`POST /api/v1`, `include/mesos/v1/master/master.proto`): the
 * schema of each call that carries a body, by type. Each area keeps its calls' schemas in its
 * own module and adds them to `OPERATOR_CALL_SCHEMAS`; a call listed nowhere here is checked for
 * a `type` only (the master refuses a type it does not handle).
 */
import { z } from "zod";
import { nameText } from "./bounded.ts";
import { GetContainersCall } from "./containers.ts";
import { FILES_CALL_SCHEMAS } from "./files.ts";
import { LIFECYCLE_CALL_SCHEMAS } from "./lifecycle.ts";
import { MAINTENANCE_CALL_SCHEMAS } from "./maintenance.ts";
import { OPERATOR_READ_SCHEMAS } from "./operator-reads.ts";
import { parseMessage } from "./parse.ts";
import { UpdateQuotaCall } from "./quota.ts";
import { RESERVATION_CALL_SCHEMAS } from "./reservations.ts";
import { UpdateWeightsCall } from "./weights.ts";

/** Call type → schema of the whole call (`{ type, <call_field>: … }`). */
export const OPERATOR_CALL_SCHEMAS: Record<string, z.ZodType> = {
  ...OPERATOR_READ_SCHEMAS,
  ...MAINTENANCE_CALL_SCHEMAS,
  ...LIFECYCLE_CALL_SCHEMAS,
  ...RESERVATION_CALL_SCHEMAS,
  UPDATE_QUOTA: UpdateQuotaCall,
  UPDATE_WEIGHTS: UpdateWeightsCall,
  ...FILES_CALL_SCHEMAS,
  GET_CONTAINERS: GetContainersCall,
};

const AnyCall = z.object({ type: nameText().min(1) });

/** Validates an operator call: its `type`, then its body when the type has a schema. */
export function parseOperatorCall(raw: unknown): { type: string } & Record<string, unknown> {
  const { type } = parseMessage(AnyCall, raw);
  const schema = Object.hasOwn(OPERATOR_CALL_SCHEMAS, type) ? OPERATOR_CALL_SCHEMAS[type] : undefined;
  return schema ? (parseMessage(schema, raw) as { type: string } & Record<string, unknown>) : { ...(raw as object), type };
}
