/**
 * Who may act as an operator (`STRATA_AUTHORIZATION`, `STRATA_OPERATORS`; README "Secure
 * defaults"). In `operators` mode, the default:
 * - an operator call that changes something (TEARDOWN, DEACTIVATE_AGENT, UPDATE_QUOTA, …) needs a
 *   principal named in `STRATA_OPERATORS`, or an ACL rule of the call's action that names the
 *   principal (its `principals` lists it, or is `ANY`) — the ACLs' `permissive` fallback grants
 *   nothing here; an anonymous caller never makes one;
 * - reads (GET_STATE, GET_TASKS, the classic `/master/state`, the operator SUBSCRIBE stream, the
 *   sandboxes) show an operator what the ACLs allow, and any other principal its own frameworks
 *   (their tasks and sandboxes, as the ACLs allow them) and what a rule grants it by name;
 *   with `STRATA_AUTHENTICATE_HTTP_READONLY=false` reads are open to anyone, as before;
 * - GET_HEALTH and GET_VERSION are open to any caller.
 * In `permissive` mode (Mesos' behaviour) the ACLs alone decide, as without this module.
 * The scheduler API (SUBSCRIBE, ACCEPT with RESERVE or CREATE, a framework's own TEARDOWN) is
 * decided by the ACLs alone in both modes.
 */
import { type AclAction, type Authorizer, checkAuthorized } from "./authorizer.ts";
import { type Rejection, reject } from "./rejection.ts";

/** The values of `STRATA_AUTHORIZATION`. */
export const AUTHORIZATION_MODES = ["operators", "permissive"] as const;
/** `operators` (the default): the operator API needs an operator; `permissive`: the ACLs alone decide (Mesos). */
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];

/** What decides who is an operator. */
export interface OperatorAccess {
  mode: AuthorizationMode;
  /** Principals that are operators (`STRATA_OPERATORS`). */
  operators: readonly string[];
  /** Reads are open to anyone (`STRATA_AUTHENTICATE_HTTP_READONLY=false`). */
  readsOpen: boolean;
}

/** Operator calls any caller may make. */
export const OPEN_CALLS: ReadonlySet<string> = new Set(["GET_HEALTH", "GET_VERSION"]);

/** Operator calls that only read: answered to any principal, filtered for it (see the file comment). */
export const READ_CALLS: ReadonlySet<string> = new Set([
  "GET_FLAGS",
  "GET_METRICS",
  "GET_MASTER",
  "GET_FRAMEWORKS",
  "GET_AGENTS",
  "GET_TASKS",
  "GET_STATE",
  "GET_ROLES",
  "GET_QUOTA",
  "GET_WEIGHTS",
  "GET_MAINTENANCE_SCHEDULE",
  "GET_MAINTENANCE_STATUS",
  "GET_CONTAINERS",
  "LIST_FILES",
  "READ_FILE",
  "SUBSCRIBE",
]);

/** The ACL action of each operator call that changes something; a rule of it naming a principal lets that principal make the call. */
export const WRITE_CALL_ACTIONS: Readonly<Record<string, AclAction>> = {
  TEARDOWN: "teardown_frameworks",
  MARK_AGENT_GONE: "mark_agents_gone",
  DRAIN_AGENT: "drain_agents",
  DEACTIVATE_AGENT: "deactivate_agents",
  REACTIVATE_AGENT: "reactivate_agents",
  UPDATE_MAINTENANCE_SCHEDULE: "update_maintenance_schedules",
  START_MAINTENANCE: "start_maintenances",
  STOP_MAINTENANCE: "stop_maintenances",
  UPDATE_QUOTA: "update_quotas",
  UPDATE_WEIGHTS: "update_weights",
  RESERVE_RESOURCES: "reserve_resources",
  UNRESERVE_RESOURCES: "unreserve_resources",
  CREATE_VOLUMES: "create_volumes",
  DESTROY_VOLUMES: "destroy_volumes",
};

/** The actions that only read: open to anyone when reads are (`readsOpen`). */
const READ_ACTIONS: ReadonlySet<AclAction> = new Set<AclAction>([
  "view_frameworks",
  "view_tasks",
  "view_roles",
  "view_agents",
  "view_flags",
  "get_quotas",
  "get_maintenance_schedules",
  "get_maintenance_statuses",
  "access_sandboxes",
]);

/** Whether `principal` is an operator (everyone is in `permissive` mode; an anonymous caller never is otherwise). */
export const isOperator = (access: OperatorAccess, principal: string | undefined): boolean =>
  access.mode === "permissive" || (principal !== undefined && access.operators.includes(principal));

/**
 * The authorizer of the operator API, the reads and the sandboxes: an operator gets what `acls`
 * allow; anyone else only what a rule allows it by name (or, when reads are open, what `acls`
 * allow on a read). `allowsOwn` stays `acls`' answer (a principal's own frameworks).
 */
export function operatorAuthorizer(acls: Authorizer, access: OperatorAccess): Authorizer {
  if (access.mode === "permissive") return acls;
  const operators = new Set(access.operators);
  return {
    permissive: false,
    allows: (action, principal, object) =>
      (principal !== undefined && operators.has(principal)) || (access.readsOpen && READ_ACTIONS.has(action))
        ? acls.allows(action, principal, object)
        : acls.explicitlyAllows(action, principal, object),
    explicitlyAllows: acls.explicitlyAllows,
    grants: acls.grants,
    allowsOwn: acls.allows,
  };
}

/**
 * A refusal unless `principal` may make operator call `type` at all: open and read calls pass
 * (reads are filtered later), a call that changes something needs an operator or an ACL rule of
 * its action naming the principal (whose objects its handler then checks with `operatorAuthorizer`).
 * Anonymous: `unauthenticated`; a principal that is no operator: `forbidden`, naming it and the call.
 */
export function checkOperatorCall(acls: Authorizer, access: OperatorAccess, principal: string | undefined, type: string): Rejection | undefined {
  if (access.mode === "permissive" || OPEN_CALLS.has(type) || READ_CALLS.has(type)) return undefined;
  if (principal === undefined) {
    return reject(
      "unauthenticated",
      "type",
      `operator call '${type}' needs the credentials of an operator (STRATA_OPERATORS); anonymous callers may only read`,
    );
  }
  if (isOperator(access, principal)) return undefined;
  const action = Object.hasOwn(WRITE_CALL_ACTIONS, type) ? WRITE_CALL_ACTIONS[type] : undefined;
  if (action !== undefined && acls.grants(action, principal)) return undefined;
  return reject(
    "forbidden",
    "type",
    `principal '${principal}' is not an operator: operator call '${type}' needs a principal in STRATA_OPERATORS${action ? ` or an ACL rule of ${action} naming it` : ""}`,
  );
}

/**
 * A refusal unless `principal` is an operator: for the calls no ACL action covers and only an
 * operator may make (a backup carries the whole state, agents' tokens included; a restore or a
 * bookmark restore replaces it). `what` names the call. In `permissive` mode any authenticated
 * principal may, as any may make any operator call there.
 */
export function checkOperatorOnly(access: OperatorAccess, principal: string | undefined, what: string): Rejection | undefined {
  if (isOperator(access, principal)) return undefined;
  return reject("forbidden", undefined, `principal '${principal ?? "(anonymous)"}' is not an operator: ${what} needs a principal in STRATA_OPERATORS`);
}

/** `checkAuthorized` for an object of a framework: its own principal is decided by the ACLs as for the scheduler API (`allowsOwn`). */
export function checkAuthorizedFor(
  authorizer: Authorizer,
  action: AclAction,
  principal: string | undefined,
  frameworkPrincipal: string | undefined,
  object: string | undefined,
  what: string,
): Rejection | undefined {
  const own = principal !== undefined && principal === frameworkPrincipal;
  return checkAuthorized(own ? { ...authorizer, allows: authorizer.allowsOwn } : authorizer, action, principal, object, what);
}
