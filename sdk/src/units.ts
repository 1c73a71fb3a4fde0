/** Byte units, written once for the master, the agent and the SDK (Mesos counts `mem` and `disk` in MB = MiB). */

/** One mebibyte in bytes. */
export const MiB = 1024 * 1024;
