/**
 * The bounds of every string, list and map field of the messages in schemas/ (docs/operator-api.md,
 * "Limits"), in one place: the master's classic schemas (bounded.ts) and the agent's light wire
 * schemas (agent-wire.ts) take them from here, so a field has one bound on both sides. Plain
 * values with no zod, so that the agent imports them without classic zod.
 *
 * Lengths are in characters (UTF-16 code units, what zod counts); message sizes are UTF-8 bytes
 * of the JSON, what the store writes. The message bounds keep every stored row far below the
 * storage engine's limit (a Durable Object's SQLite refuses a row or string over 2 MB, SQLITE_TOOBIG).
 */
import { MAX_FILE_READ_BYTES } from "./file-limits.ts";

/**
 * Ids (task, framework, agent, executor, offer, persistence and request ids; uuids). Mesos does not
 * bound them, but maps them to sandbox directory names on the agent: the file system's NAME_MAX.
 */
export const MAX_ID_LENGTH = 255;

/**
 * Host names and addresses (hostnames, IPs, machine ids of the maintenance schedule): a DNS name
 * is at most 255 octets (RFC 1035, 2.3.4).
 */
export const MAX_HOSTNAME_LENGTH = 255;

/**
 * Names and keys: task and framework names, resource, attribute and capability names, roles,
 * principals, users, label and environment variable names, enum-like strings (Mesos sets no
 * bound; none of these is prose).
 */
export const MAX_NAME_LENGTH = 1024;

/**
 * Free text: command values and arguments, environment values, label values, URIs, paths,
 * messages, docker images and parameters. Linux's MAX_ARG_STRLEN: the longest single argument or
 * environment string `execve` takes, so no command a task could run is refused.
 */
export const MAX_TEXT_LENGTH = 128 * 1024;

/** Opaque `data` of a task or of a status update (base64 as a rule). */
export const MAX_DATA_LENGTH = 256 * 1024;

/** A sandbox file's bytes in an agent's answer: base64 of the most one read returns (file-limits.ts). */
export const MAX_FILE_DATA_LENGTH = Math.ceil(MAX_FILE_READ_BYTES / 3) * 4;

/** Items in a list or entries in a map (resources, labels, arguments, roles, windows, ids, …). */
export const MAX_LIST_LENGTH = 1000;

/**
 * Items in the lists an agent sends or gets about all its tasks at once (the tasks it reports at
 * registration, usage, acknowledged uuids, commands of one poll) and in a sandbox listing.
 */
export const MAX_AGENT_LIST_LENGTH = 100_000;

/**
 * The most a message that the master keeps as one row may weigh as JSON (UTF-8): a task
 * (`TaskInfo`), a status update (`TaskStatus`), an agent's resources and attributes, a
 * maintenance schedule, the quota or weights of one call. With `MAX_FRAMEWORK_INFO_BYTES`, a
 * LAUNCH command row (the task and a part of its framework's info) stays under 1 MB.
 */
export const MAX_MESSAGE_BYTES = 512 * 1024;

/** The most a framework's `FrameworkInfo` may weigh as JSON (UTF-8): its row, and a part of each LAUNCH. */
export const MAX_FRAMEWORK_INFO_BYTES = 64 * 1024;

/** UTF-8 bytes of `value` as JSON: what a row holding it takes. */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value) ?? "";
  let bytes = text.length;
  // Only characters past U+007F weigh more than one byte: count them without encoding.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 2; // a surrogate pair: 4 bytes for 2 units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** The refusal of a message over `max` bytes, the same words on both sides. */
export function tooManyBytes(what: string, max: number): string {
  return `${what} must be at most ${max} bytes as JSON`;
}
