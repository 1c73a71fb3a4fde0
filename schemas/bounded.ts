/**
 * Classic zod builders of bounded fields, one per family of field-limits.ts: every string, list
 * and map of the master's schemas is built with one of these, so that no field is unbounded and
 * a bound lives in one place. agent-wire.ts builds the same with `zod/mini` from the same numbers.
 */
import { z } from "zod";
import {
  jsonBytes,
  MAX_AGENT_LIST_LENGTH,
  MAX_DATA_LENGTH,
  MAX_HOSTNAME_LENGTH,
  MAX_ID_LENGTH,
  MAX_LIST_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
  tooManyBytes,
} from "./field-limits.ts";

/** An id's value (non-empty). */
export const idText = () => z.string().min(1).max(MAX_ID_LENGTH);
/** A uuid or other token-like value (may be empty where the schema says so). */
export const tokenText = () => z.string().max(MAX_ID_LENGTH);
/** A hostname or an IP address. */
export const hostText = () => z.string().max(MAX_HOSTNAME_LENGTH);
/** A name, key, role, principal, user or enum-like string. */
export const nameText = () => z.string().max(MAX_NAME_LENGTH);
/** Free text: commands, arguments, values, paths, URIs, messages. */
export const freeText = () => z.string().max(MAX_TEXT_LENGTH);
/** A task's or a status update's opaque `data`. */
export const dataText = () => z.string().max(MAX_DATA_LENGTH);

/** A list of at most `MAX_LIST_LENGTH` items. */
export const list = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_LIST_LENGTH);
/** A list an agent sends or gets about all its tasks (`MAX_AGENT_LIST_LENGTH`). */
export const agentList = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_AGENT_LIST_LENGTH);

/** A JSON map (`map<string, V>` of protobuf) of at most `MAX_LIST_LENGTH` entries, keys names. */
export const boundedRecord = <V extends z.ZodType>(key: z.ZodString, value: V) =>
  z
    .record(key.max(MAX_NAME_LENGTH), value)
    .refine((m) => Object.keys(m).length <= MAX_LIST_LENGTH, `Too big: expected map to have <=${MAX_LIST_LENGTH} entries`);

/** `schema`, refused when its value weighs more than `max` bytes as JSON (names the message's path). */
export const withinBytes = <T extends z.ZodType>(schema: T, what: string, max: number) => schema.refine((v) => jsonBytes(v) <= max, tooManyBytes(what, max));

/**
 * Resources an operation adds to an agent's row (RESERVE, CREATE and their operator calls): at
 * most `MAX_MESSAGE_BYTES` as JSON, as the agent's own resources.
 */
export const resourceList = <T extends z.ZodType>(resource: T) => withinBytes(list(resource).min(1), "the resources", MAX_MESSAGE_BYTES);
