/**
 * Which roles a framework is offered resources for, read from its FrameworkInfo: the
 * allocator's, the deciders' and the read side's one spelling of it.
 */
import type { FrameworkInfo } from "../../../schemas/index.ts";

/**
 * The roles a framework is offered resources for (Mesos): a MULTI_ROLE framework's `roles`,
 * otherwise its `role` (default `*`). Subscription validation refuses `roles` without MULTI_ROLE.
 */
export const frameworkRoles = (info: Pick<FrameworkInfo, "role" | "roles">): readonly string[] =>
  info.roles && info.roles.length > 0 ? info.roles : [info.role ?? "*"];

/** The first of a framework's roles (what offers used before frameworks had several). */
export const frameworkRole = (info: { role?: string; roles?: string[] }): string => info.roles?.[0] ?? info.role ?? "*";
