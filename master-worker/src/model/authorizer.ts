/**
 * Authorization with Mesos' local-authorizer ACLs (`--acls`, docs/authorization.md): for each
 * action a list of rules `{ <subject>: Entity, <object>: Entity }`, checked in order; the first
 * rule whose subject and object both match decides, and `permissive` decides when none does.
 *
 * An Entity is `{ "values": [...] }`, `{ "type": "ANY" }` or `{ "type": "NONE" }`. As in Mesos:
 * a rule entity ANY or NONE matches any named request, and NONE then denies; a request made
 * without a principal (anonymous) matches only rules whose subject is ANY.
 *
 * The ACLs are given as JSON in `STRATA_ACLS`; without them everything is allowed (as a Mesos
 * master without `--acls`). Deciders call `checkAuthorized`, which returns a `forbidden` refusal naming the action.
 * Who may use the operator API at all is decided on top of this (operator-access.ts).
 */
import { z } from "zod";
import { parseMessage } from "../../../schemas/parse.ts";
import { type Rejection, reject } from "./rejection.ts";

/** Each action, with the name of its object field in a rule (Mesos' names). */
export const ACL_ACTIONS = {
  register_frameworks: "roles",
  run_tasks: "users",
  teardown_frameworks: "framework_principals",
  reserve_resources: "roles",
  unreserve_resources: "reserver_principals",
  create_volumes: "roles",
  destroy_volumes: "creator_principals",
  get_quotas: "roles",
  update_quotas: "roles",
  view_roles: "roles",
  update_weights: "roles",
  view_frameworks: "users",
  view_tasks: "users",
  view_agents: "agents",
  view_flags: "flags",
  get_maintenance_schedules: "machines",
  update_maintenance_schedules: "machines",
  start_maintenances: "machines",
  stop_maintenances: "machines",
  get_maintenance_statuses: "machines",
  mark_agents_gone: "agents",
  drain_agents: "agents",
  deactivate_agents: "agents",
  reactivate_agents: "agents",
  access_sandboxes: "users",
} as const;

export type AclAction = keyof typeof ACL_ACTIONS;

const Entity = z.union([z.object({ values: z.array(z.string()).min(1) }).strict(), z.object({ type: z.enum(["ANY", "NONE"]) }).strict()]);
type Entity = z.infer<typeof Entity>;

const Rule = z.object({ principals: Entity }).catchall(Entity);

/** The ACL document (`STRATA_ACLS`), Mesos' JSON layout. */
export const AclsSchema = z
  .object({
    permissive: z.boolean().default(true),
    ...(Object.fromEntries(Object.keys(ACL_ACTIONS).map((a) => [a, z.array(Rule).optional()])) as Record<AclAction, z.ZodOptional<z.ZodArray<typeof Rule>>>),
  })
  .strict();
export type Acls = z.infer<typeof AclsSchema>;

/** Who may do what. `object` is the action's object (a role, a user, a principal, …). */
export interface Authorizer {
  allows(action: AclAction, principal: string | undefined, object: string | undefined): boolean;
  /** As `allows`, but only a matching rule can allow: where none matches, the answer is no (the `permissive` fallback is not used). */
  explicitlyAllows(action: AclAction, principal: string | undefined, object: string | undefined): boolean;
  /** True when some rule of `action` can allow `principal` something (its subject matches it and nothing in it denies). */
  grants(action: AclAction, principal: string | undefined): boolean;
  /**
   * As `allows`, for an object of the principal's own framework (its tasks, its sandboxes): the
   * ACLs decide as they do for the scheduler API. The same as `allows` except in operator-access.ts.
   */
  allowsOwn(action: AclAction, principal: string | undefined, object: string | undefined): boolean;
  /** True when every request is allowed (no ACLs): callers may skip filtering. */
  readonly permissive: boolean;
}

/** No ACLs: everything is allowed. */
export const PERMISSIVE: Authorizer = { allows: () => true, explicitlyAllows: () => false, grants: () => false, allowsOwn: () => true, permissive: true };

/** A request entity: a named value, or ANY (no principal / no object given). */
const ANY_REQUEST = undefined;

function matches(rule: Entity, request: string | undefined): boolean {
  if ("type" in rule) return rule.type === "ANY" || request !== ANY_REQUEST; // NONE matches named requests only
  if (request === ANY_REQUEST) return false;
  return rule.values.includes(request);
}

const denies = (rule: Entity) => "type" in rule && rule.type === "NONE";

/** An authorizer over parsed ACLs. */
export function aclAuthorizer(acls: Acls): Authorizer {
  const target = (action: AclAction, rule: z.infer<typeof Rule>) => (rule[ACL_ACTIONS[action]] ?? { type: "ANY" as const }) as Entity;
  /** The first matching rule's answer; undefined when no rule matches. */
  const decide = (action: AclAction, principal: string | undefined, object: string | undefined): boolean | undefined => {
    for (const rule of acls[action] ?? []) {
      const t = target(action, rule);
      if (matches(rule.principals, principal) && matches(t, object)) return !denies(rule.principals) && !denies(t);
    }
    return undefined;
  };
  const allows = (action: AclAction, principal: string | undefined, object: string | undefined) => decide(action, principal, object) ?? acls.permissive;
  return {
    permissive: false,
    allows,
    allowsOwn: allows,
    explicitlyAllows: (action, principal, object) => decide(action, principal, object) ?? false,
    grants: (action, principal) =>
      (acls[action] ?? []).some((rule) => matches(rule.principals, principal) && !denies(rule.principals) && !denies(target(action, rule))),
  };
}

/** Parses `STRATA_ACLS` (JSON); absent or empty → `PERMISSIVE`. Errors name the field. */
export function parseAcls(text: string | undefined): Authorizer {
  if (!text?.trim()) return PERMISSIVE;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error("STRATA_ACLS: not valid JSON");
  }
  // wrapped so that error paths start with the variable's name
  return aclAuthorizer(parseMessage(z.object({ STRATA_ACLS: AclsSchema }), { STRATA_ACLS: json }).STRATA_ACLS);
}

/** A `forbidden` refusal unless `principal` may do `action` on `object`; `what` is the field refused. */
export function checkAuthorized(
  authorizer: Authorizer,
  action: AclAction,
  principal: string | undefined,
  object: string | undefined,
  what: string,
): Rejection | undefined {
  if (authorizer.allows(action, principal, object)) return undefined;
  return reject(
    "forbidden",
    what,
    `principal '${principal ?? "(anonymous)"}' is not authorized to ${action.replace(/_/g, " ")}${object !== undefined ? ` for '${object}'` : ""}`,
  );
}
