/**
 * Numbers of sandbox file access (docs/files.md) both sides use. Plain values with no zod, so
 * that the agent imports them without classic zod.
 */

/** The most bytes one READ_FILE (or `/files/read`) returns; a longer `length` is cut to this. */
export const MAX_FILE_READ_BYTES = 1024 * 1024;

/**
 * The largest file offset or length a READ may name (2^53 − 1: the largest integer a JSON number
 * carries exactly). One bound for every side of the protocol: the operator call (files.ts), the
 * classic `/files/read` query (master-worker/src/operator/files-calls.ts) and the agent's
 * `FileRequest` (agent.ts, agent-wire.ts), so the master refuses at once what the agent would
 * refuse, and never relays it.
 */
export const MAX_FILE_OFFSET = Number.MAX_SAFE_INTEGER;

/** Why a value is not a file offset or length, in every refusal of one (`field: …`). */
export const FILE_OFFSET_EXPECTED = `expected an integer from 0 to ${MAX_FILE_OFFSET}`;

/** True when `n` is a file offset or length: an integer from 0 to `MAX_FILE_OFFSET`. */
export const isFileOffset = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= MAX_FILE_OFFSET;
