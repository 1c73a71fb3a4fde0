/**
 * The virtual paths operators name sandbox files with (docs/files.md):
 *
 *   /agents/<agent id>/frameworks/<framework id>/tasks/<task id>[/<path in the sandbox>]
 *
 * The agent id tells the master which agent to relay to; the framework id whose user the
 * `access_sandboxes` ACL checks. Ids are percent-encoded where they hold a `/` (or `%`).
 * Mesos names sandboxes by executor and run instead; Strata runs one task per sandbox, so the
 * task is the natural name, and it is the one operators find in the state endpoints.
 */
import { badRequest } from "../edge/http-error.ts";

/** A virtual path split into what routes it (agent), authorizes it (framework) and the file. */
export interface SandboxPath {
  agentId: string;
  frameworkId: string;
  taskId: string;
  /** Inside the sandbox, segments joined by `/`; `""` is the sandbox itself. */
  relative: string;
}

const decode = (segment: string, field: string): string => {
  try { return decodeURIComponent(segment); } catch { throw badRequest(`${field}: '${segment}' is not valid percent-encoding`); }
};

/** Splits and checks a virtual path; throws 400 naming `field` when it is not one. */
export function parseSandboxPath(path: string, field: string): SandboxPath {
  const shape = "expected /agents/<agent_id>/frameworks/<framework_id>/tasks/<task_id>[/<path>]";
  if (!path.startsWith("/")) throw badRequest(`${field}: '${path}' is not absolute; ${shape}`);
  const segments = path.split("/").filter((s) => s !== "");
  if (segments.length < 6 || segments[0] !== "agents" || segments[2] !== "frameworks" || segments[4] !== "tasks") {
    throw badRequest(`${field}: '${path}' names no task sandbox; ${shape}`);
  }
  const [agentId, frameworkId, taskId] = [segments[1]!, segments[3]!, segments[5]!].map((s) => decode(s, field)) as [string, string, string];
  const rest = segments.slice(6).map((s) => decode(s, field));
  for (const s of rest) {
    if (s === "." || s === "..") throw badRequest(`${field}: '${path}' may not contain '.' or '..' segments`);
    if (s.includes("/") || s.includes("\0")) throw badRequest(`${field}: '${path}' has a segment with '/' or NUL`);
  }
  return { agentId, frameworkId, taskId, relative: rest.join("/") };
}

/** The virtual path of a task's sandbox (what the state endpoints show as `sandbox_path`). */
export function sandboxVirtualPath(agentId: string, frameworkId: string, taskId: string): string {
  return `/agents/${encodeURIComponent(agentId)}/frameworks/${encodeURIComponent(frameworkId)}/tasks/${encodeURIComponent(taskId)}`;
}

/** The virtual path of `relative` inside a task's sandbox. */
export function virtualPathOf(p: SandboxPath, relative: string): string {
  const base = sandboxVirtualPath(p.agentId, p.frameworkId, p.taskId);
  return relative === "" ? base : `${base}/${relative.split("/").map(encodeURIComponent).join("/")}`;
}
