/**
 * Schemas of the operator calls that read task sandboxes through the master (master.proto
 * `LIST_FILES`, `READ_FILE`; docs/files.md): the master relays them to the agent, which never
 * needs an inbound port.
 */
import { z } from "zod";
import { freeText } from "./bounded.ts";
import { FILE_OFFSET_EXPECTED, isFileOffset } from "./file-limits.ts";
import { Int64 } from "./mesos.ts";

/** A protobuf int64 (number or decimal string) within the one bound of file offsets and lengths. */
const fileOffset = Int64.refine(isFileOffset, FILE_OFFSET_EXPECTED);

/** LIST_FILES: `{ type, list_files: { path } }`, `path` a virtual sandbox path. */
export const ListFilesCall = z.object({
  type: z.literal("LIST_FILES"),
  list_files: z.object({ path: freeText().min(1) }),
});

/** READ_FILE: `{ type, read_file: { path, offset, length? } }`. */
export const ReadFileCall = z.object({
  type: z.literal("READ_FILE"),
  read_file: z.object({ path: freeText().min(1), offset: fileOffset, length: fileOffset.optional() }),
});

/** The file calls' schemas, for `OPERATOR_CALL_SCHEMAS`. */
export const FILES_CALL_SCHEMAS = { LIST_FILES: ListFilesCall, READ_FILE: ReadFileCall };
