/**
 * Numbers of sandbox file access (docs/files.md) both sides use. Plain values with no zod, so
 * that the agent imports them without classic zod.
 */

/** The most bytes one READ_FILE (or `/files/read`) returns; a longer `length` is cut to this. */
export const MAX_FILE_READ_BYTES = 1024 * 1024;
