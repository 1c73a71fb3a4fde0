/** The end of a task's stdout, which its terminal update carries in `data` (base64). */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { TASK_OUTPUT_TAIL_BYTES } from "../../../schemas/agent-limits.ts";

/** Bytes of stdout returned in the terminal update's `data` (the protocol's constant). */
export const STDOUT_TAIL_BYTES = TASK_OUTPUT_TAIL_BYTES;

/** The last `STDOUT_TAIL_BYTES` of `path`, base64 ("" when unreadable); the terminal update's `data`. */
export function tail(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const size = fstatSync(fd).size;
    const length = Math.min(size, STDOUT_TAIL_BYTES);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return buf.toString("base64");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
