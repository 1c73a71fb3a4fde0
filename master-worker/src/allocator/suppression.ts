/**
 * Suppression per (framework, role) (Mesos SUPPRESS / REVIVE with `roles`, and SUBSCRIBE's
 * `suppressed_roles`): the master keeps the frameworks suppressed in every role (`suppressed`,
 * as before roles) and, apart, the roles a framework suppressed one by one (`suppressedRoles`,
 * sets replaced, never edited, so the allocation cache sees a change by identity).
 *
 * Reviving some roles of a framework suppressed in all of them leaves it suppressed in its other
 * roles. Suppression is kept in memory only: a framework resubscribes after a master restart
 * and says again what it suppresses (as with Mesos' master failover).
 */

/** Where the master keeps suppression. */
export interface SuppressionState {
  readonly suppressed: Set<string>;
  readonly suppressedRoles: Map<string, ReadonlySet<string>>;
}

/** One change of suppression: `roles` absent means every role of the framework. */
export interface SuppressionChange {
  frameworkId: string;
  suppressed: boolean;
  roles?: readonly string[];
}

/** Applies `change`; `frameworkRoles` are the framework's current roles (to split an all-roles suppression). */
export function applySuppression(state: SuppressionState, change: SuppressionChange, frameworkRoles: readonly string[]): void {
  const fid = change.frameworkId;
  if (change.roles === undefined) {
    if (change.suppressed) state.suppressed.add(fid);
    else state.suppressed.delete(fid);
    state.suppressedRoles.delete(fid);
    return;
  }
  if (change.suppressed) {
    if (state.suppressed.has(fid)) return;
    setRoles(state, fid, new Set([...(state.suppressedRoles.get(fid) ?? []), ...change.roles]));
    return;
  }
  const before = state.suppressed.delete(fid) ? new Set(frameworkRoles) : new Set(state.suppressedRoles.get(fid) ?? []);
  for (const role of change.roles) before.delete(role);
  setRoles(state, fid, before);
}

function setRoles(state: SuppressionState, fid: string, roles: ReadonlySet<string>): void {
  if (roles.size === 0) state.suppressedRoles.delete(fid);
  else state.suppressedRoles.set(fid, roles);
}
