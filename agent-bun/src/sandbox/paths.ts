/** Turning framework-chosen ids into safe file and cgroup names. */
import { join } from "node:path";

/**
 * `id` as one path segment: kept as is when it is already safe (`[A-Za-z0-9_.-]`, not `.`/`..`,
 * ≤ 100 chars); otherwise unsafe characters become `_` and a short hash of the original is
 * appended, so two different ids never share a directory.
 */
export function safeSegment(id: string): string {
  const clean = id.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 100);
  if (clean === id && id !== "." && id !== ".." && id.length > 0) return id;
  // Loaded when first needed: node:crypto is large in Bun, and most ids are already safe.
  const { createHash } = process.getBuiltinModule("node:crypto");
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 10);
  return `${clean.replace(/^\.+/, "_")}-${hash}`;
}

/** A task's sandbox: `<workDir>/frameworks/<framework id>/tasks/<task id>`. */
export function sandboxPath(workDir: string, frameworkId: string, taskId: string): string {
  return join(workDir, "frameworks", safeSegment(frameworkId), "tasks", safeSegment(taskId));
}

/** A task's cgroup name under the agent's cgroups root (one level). */
export function taskCgroupName(frameworkId: string, taskId: string): string {
  return safeSegment(`${frameworkId}_${taskId}`);
}
