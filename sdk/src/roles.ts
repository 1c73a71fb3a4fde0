/**
 * Roles (Mesos docs/roles.md): names, hierarchy and what a resource is reserved for.
 * Hierarchical roles are `/`-separated paths (`eng/backend`); resources reserved for a role are
 * usable by that role and its descendants. `*` is the default role (unreserved resources).
 */
import type { Resource } from "../../schemas/mesos.ts";

/** The default role: resources of no reservation, frameworks that name no role. */
export const DEFAULT_ROLE = "*";

/**
 * Why `role` is not a valid role name, or undefined when it is. Rules (Mesos): not empty; `*`
 * only alone; each `/`-separated part non-empty, not `.` or `..`, not starting with `-`; no
 * whitespace, no control characters and none of `\\`.
 */
export function roleProblem(role: string): string | undefined {
  if (role === DEFAULT_ROLE) return undefined;
  if (role === "") return "a role name cannot be empty";
  for (const part of role.split("/")) {
    if (part === "") return `'${role}': a role path cannot have an empty part (leading, trailing or doubled '/')`;
    if (part === "." || part === "..") return `'${role}': '.' and '..' are not role names`;
    if (part.startsWith("-")) return `'${role}': a role part cannot start with '-'`;
    if (part === "*") return `'${role}': '*' cannot be part of a role path`;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this test rejects
  if (/[\s\u0000-\u001f\u007f\\]/.test(role)) return `'${role}': a role cannot contain whitespace, control characters or '\\\\'`;
  return undefined;
}

/** True when `role` is `ancestor` or below it (`eng/backend` is within `eng`). */
export function isWithinRole(role: string, ancestor: string): boolean {
  return role === ancestor || (ancestor !== DEFAULT_ROLE && role.startsWith(`${ancestor}/`));
}

/** The role's ancestors, nearest first (`a/b/c` → `a/b`, `a`). */
export function ancestorRoles(role: string): string[] {
  const out: string[] = [];
  for (let i = role.lastIndexOf("/"); i > 0; i = role.lastIndexOf("/", i - 1)) out.push(role.slice(0, i));
  return out;
}

/** The role a resource is reserved for (the last of its reservations), or undefined when unreserved. */
export function reservationRole(r: Resource): string | undefined {
  const stack = r.reservations;
  if (stack && stack.length > 0) return stack[stack.length - 1]!.role;
  return r.role !== undefined && r.role !== DEFAULT_ROLE ? r.role : undefined;
}

/** True when a framework subscribed to `role` may be offered `r` (unreserved, or reserved for `role` or an ancestor). */
export function usableByRole(r: Resource, role: string): boolean {
  const reserved = reservationRole(r);
  return reserved === undefined || isWithinRole(role, reserved);
}
