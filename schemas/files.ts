/**
 * Schemas of the operator calls that read task sandboxes through the master (master.proto
 * `LIST_FILES`, `READ_FILE`; docs/files.md): the master relays them to the agent, which never
 * needs an inbound port.
 */
import { z } from "zod";
import { freeText } from "./bounded.ts";
import { Int64 } from "./mesos.ts";

const nonNegative = Int64.refine((n) => n >= 0, "expected a non-negative integer");

/** LIST_FILES: `{ type, list_files: { path } }`, `path` a virtual sandbox path. */
export const ListFilesCall = z.object({
  type: z.literal("LIST_FILES"),
  list_files: z.object({ path: freeText().min(1) }),
});

/** READ_FILE: `{ type, read_file: { path, offset, length? } }`. */
export const ReadFileCall = z.object({
  type: z.literal("READ_FILE"),
  read_file: z.object({ path: freeText().min(1), offset: nonNegative, length: nonNegative.optional() }),
});

/** The file calls' schemas, for `OPERATOR_CALL_SCHEMAS`. */
export const FILES_CALL_SCHEMAS = { LIST_FILES: ListFilesCall, READ_FILE: ReadFileCall };
