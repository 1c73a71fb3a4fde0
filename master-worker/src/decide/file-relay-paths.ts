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
import { isRejection, type Rejection, reject } from "../model/rejection.ts";

/** A virtual path split into what routes it (agent), authorizes it (framework) and the file. */
export interface SandboxPath {
  agentId: string;
  frameworkId: string;
  taskId: string;
  /** Inside the sandbox, segments joined by `/`; `""` is the sandbox itself. */
  relative: string;
}

/** The segments percent-decoded, or a refusal naming the first that is not valid percent-encoding. */
function decodeAll(segments: readonly string[], field: string): string[] | Rejection {
  const out: string[] = [];
  for (const segment of segments) {
    try {
      out.push(decodeURIComponent(segment));
    } catch {
      return reject("invalid", field, `'${segment}' is not valid percent-encoding`);
    }
  }
  return out;
}

/** Splits and checks a virtual path; a refusal naming `field` when it is not one. */
export function parseSandboxPath(path: string, field: string): SandboxPath | Rejection {
  const shape = "expected /agents/<agent_id>/frameworks/<framework_id>/tasks/<task_id>[/<path>]";
  if (!path.startsWith("/")) return reject("invalid", field, `'${path}' is not absolute; ${shape}`);
  const segments = path.split("/").filter((s) => s !== "");
  if (segments.length < 6 || segments[0] !== "agents" || segments[2] !== "frameworks" || segments[4] !== "tasks") {
    return reject("invalid", field, `'${path}' names no task sandbox; ${shape}`);
  }
  const decoded = decodeAll([segments[1]!, segments[3]!, segments[5]!, ...segments.slice(6)], field);
  if (isRejection(decoded)) return decoded;
  const [agentId, frameworkId, taskId, ...rest] = decoded as [string, string, string, ...string[]];
  for (const s of rest) {
    if (s === "." || s === "..") return reject("invalid", field, `'${path}' may not contain '.' or '..' segments`);
    if (s.includes("/") || s.includes("\0")) return reject("invalid", field, `'${path}' has a segment with '/' or NUL`);
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
