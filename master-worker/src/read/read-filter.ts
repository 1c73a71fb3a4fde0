/**
 * Read-side authorization (Mesos' `view_*` ACLs): what a principal may see of the cluster. The
 * authorizer is the master's (model/operator-access.ts): a principal that is no operator sees its
 * own frameworks and their tasks, and what a rule grants it by name.
 * As Mesos does, reads are filtered, never refused — a framework, task or role the principal may
 * not view is left out of the answer — except the flags, which are refused as a whole.
 *
 * Objects, as in Mesos: `view_frameworks` the framework's user, `view_tasks` the task's user
 * (its command's user, else its framework's), `view_roles` the role. `view_agents` is a Strata
 * extension (Mesos has no such ACL and shows every agent): its object is the agent's hostname, so
 * an operator can hide machines from a tenant; without a rule it allows, like every action.
 */
import type { Authorizer } from "../model/authorizer.ts";
import { type Rejection, reject } from "../model/rejection.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../store/records.ts";

/** What one principal may view; every check is O(1) (a few rule comparisons). */
export interface ReadFilter {
  /** True when nothing is filtered (no ACLs): callers skip the checks. */
  readonly all: boolean;
  framework(f: FrameworkRecord): boolean;
  /** `framework` is the task's framework when known (its user is the task's default user). */
  task(t: TaskRecord, framework: FrameworkRecord | undefined): boolean;
  role(role: string): boolean;
  agent(a: AgentRecord): boolean;
}

/** Everything visible: the filter of a master without ACLs. */
export const VIEW_ALL: ReadFilter = { all: true, framework: () => true, task: () => true, role: () => true, agent: () => true };

/** The user a task runs as: its command's user, else its framework's. */
export const taskUser = (t: TaskRecord, framework: FrameworkRecord | undefined): string | undefined => t.info.command?.user ?? framework?.info.user;

/** The filter for `principal` (undefined: anonymous) under `authorizer`. */
export function readFilter(authorizer: Authorizer, principal: string | undefined): ReadFilter {
  if (authorizer.permissive) return VIEW_ALL;
  const roles = new Map<string, boolean>();
  const users = new Map<string, boolean>();
  const taskUsers = new Map<string, boolean>();
  const memo = (cache: Map<string, boolean>, key: string | undefined, check: () => boolean) => {
    const k = key ?? "\u0000";
    let v = cache.get(k);
    if (v === undefined) cache.set(k, (v = check()));
    return v;
  };
  // A principal's own frameworks and their tasks are decided as the ACLs decide for it (allowsOwn);
  // the rest as `authorizer` does (operator-access.ts: by name only, for a principal that is no operator).
  const ownUsers = new Map<string, boolean>();
  const ownTaskUsers = new Map<string, boolean>();
  const own = (f: FrameworkRecord | undefined) => principal !== undefined && f?.principal === principal;
  return {
    all: false,
    framework: (f) =>
      own(f)
        ? memo(ownUsers, f.info.user, () => authorizer.allowsOwn("view_frameworks", principal, f.info.user))
        : memo(users, f.info.user, () => authorizer.allows("view_frameworks", principal, f.info.user)),
    task: (t, f) => {
      const u = taskUser(t, f);
      return own(f)
        ? memo(ownTaskUsers, u, () => authorizer.allowsOwn("view_tasks", principal, u))
        : memo(taskUsers, u, () => authorizer.allows("view_tasks", principal, u));
    },
    role: (r) => memo(roles, r, () => authorizer.allows("view_roles", principal, r)),
    agent: (a) => authorizer.allows("view_agents", principal, a.hostname),
  };
}

/**
 * Whether `principal` may view the master's flags (`view_flags`). Mesos' rule for it names the
 * object `flags: ANY` to allow and `flags: NONE` to deny; the request names an object ("flags")
 * so that a NONE rule matches it (our authorizer matches NONE to named requests only).
 */
export const mayViewFlags = (authorizer: Authorizer, principal: string | undefined) => authorizer.allows("view_flags", principal, "flags");

/** A `forbidden` refusal for a principal who may not view the master's flags. */
export function checkViewFlags(authorizer: Authorizer, principal: string | undefined): Rejection | undefined {
  if (mayViewFlags(authorizer, principal)) return undefined;
  return reject("forbidden", "flags", `principal '${principal ?? "(anonymous)"}' is not authorized to view flags`);
}
