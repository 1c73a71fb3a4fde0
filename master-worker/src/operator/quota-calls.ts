/**
 * Operator calls for quota (Mesos 1.9+, docs/quota.md): UPDATE_QUOTA sets each listed role's
 * guarantees and limits (kept as the `quota` setting, read by the allocator); GET_QUOTA returns
 * `QuotaStatus` (`configs`, plus the legacy `infos` with guarantees as resources).
 *
 * Validation (errors name the field): a valid role other than `*`, listed once; quantities
 * finite and not negative; a guarantee never above the limit of the same resource; for
 * hierarchical roles, a child's guarantees never above its parent's nor its limits above its
 * parent's limits; and, unless `force`, the guarantees of the top-most guaranteed roles must fit
 * in the cluster's total (connected agents). A config with neither guarantees nor limits removes
 * the role's quota. Outstanding offers that break a new limit, or that unmet guarantees need,
 * are rescinded (`quota-rescinds.ts`), so the next allocation honours the new quotas at once.
 * ACLs: `update_quotas` (object: the role) and `get_quotas` (GET_QUOTA shows only those roles).
 */
import { jsonBytes, MAX_MESSAGE_BYTES, tooManyBytes } from "../../../schemas/field-limits.ts";
import type { QuotaConfig, UpdateQuotaCall } from "../../../schemas/quota.ts";
import { ancestorRoles, DEFAULT_ROLE, isWithinRole, roleProblem } from "../../../sdk/src/roles.ts";
import type { RoleQuota } from "../allocator/index.ts";
import { addScalars, roundQuantity, scalarResources, scalarVector } from "../allocator/index.ts";
import { QUOTA_SETTING, storedQuotas } from "../decide/allocation-settings.ts";
import type { Effect } from "../decide/effects.ts";
import { quotaRescinds } from "../decide/quota-rescinds.ts";
import type { MasterView } from "../decide/view.ts";
import { checkAuthorized } from "../model/authorizer.ts";
import { isRejection, type Rejection, reject } from "../model/rejection.ts";
import { applied, type OperatorHandlers } from "./types.ts";

type Quantities = Record<string, number>;

/** `map<string, Value.Scalar>` → quantities, checked. */
function quantities(map: QuotaConfig["guarantees"], field: string): Quantities | Rejection {
  const out: Quantities = {};
  for (const [name, { value }] of Object.entries(map ?? {})) {
    if (!Number.isFinite(value) || value < 0) return reject("invalid", `${field}.${name}`, `must be a finite quantity ≥ 0, got ${value}`);
    out[name] = roundQuantity(value);
  }
  return out;
}

/** The scalar totals of the connected agents, by name. */
function clusterTotals(view: MasterView): Quantities {
  const v = scalarVector();
  for (const a of view.agents.values()) if (view.agentConnected(a.id)) addScalars(v, a.resources);
  const out: Quantities = {};
  for (const r of scalarResources(v)) out[r.name] = r.scalar!.value;
  return out;
}

/** UPDATE_QUOTA: validates, then replaces the quota setting with the listed roles changed. */
export function decideUpdateQuota(view: MasterView, call: UpdateQuotaCall, principal: string | undefined): Effect[] | Rejection {
  const { force, quota_configs: configs } = call.update_quota;
  const next: Record<string, RoleQuota> = { ...storedQuotas(view) };
  const seen = new Set<string>();
  for (const [i, config] of configs.entries()) {
    const field = `update_quota.quota_configs[${i}]`;
    const problem = config.role === DEFAULT_ROLE ? "quota cannot be set for the default role '*'" : roleProblem(config.role);
    if (problem) return reject("invalid", `${field}.role`, problem);
    if (seen.has(config.role)) return reject("invalid", `${field}.role`, `'${config.role}' is listed twice`);
    seen.add(config.role);
    const guarantees = quantities(config.guarantees, `${field}.guarantees`);
    if (isRejection(guarantees)) return guarantees;
    const limits = quantities(config.limits, `${field}.limits`);
    if (isRejection(limits)) return limits;
    for (const [name, g] of Object.entries(guarantees)) {
      const limit = limits[name];
      if (limit !== undefined && g > limit) return reject("invalid", `${field}.guarantees.${name}`, `the guarantee ${g} is above the limit ${limit}`);
    }
    const refused = checkAuthorized(view.authorizer, "update_quotas", principal, config.role, `${field}.role`);
    if (refused) return refused;
    if (Object.keys(guarantees).length === 0 && Object.keys(limits).length === 0) delete next[config.role];
    else next[config.role] = { guarantees, limits };
  }
  // Quotas add up over calls in one row: bound the row, not only the call.
  const bytes = jsonBytes(next);
  if (bytes > MAX_MESSAGE_BYTES)
    return reject("invalid", "update_quota.quota_configs", tooManyBytes(`the quotas of all roles (${bytes} bytes with these)`, MAX_MESSAGE_BYTES));
  const refused = checkHierarchy(next, configs) ?? (force ? undefined : checkCapacity(view, next));
  if (refused) return refused;
  return [{ kind: "setting", key: QUOTA_SETTING, value: next }, ...quotaRescinds(view, next, [...seen]), { kind: "allocate" }];
}

/** A child's guarantees sum within its parent's guarantees, and its limits within its parent's limits (nearest quota ancestor). */
function checkHierarchy(quotas: Readonly<Record<string, RoleQuota>>, configs: readonly QuotaConfig[]): Rejection | undefined {
  const fieldOf = (role: string) => {
    const i = configs.findIndex((c) => c.role === role);
    return i >= 0 ? `update_quota.quota_configs[${i}]` : `update_quota (role '${role}')`;
  };
  for (const [role, quota] of Object.entries(quotas)) {
    const parent = ancestorRoles(role).find((a) => quotas[a] !== undefined);
    if (parent === undefined) continue;
    const p = quotas[parent]!;
    for (const [name, limit] of Object.entries(quota.limits ?? {})) {
      const pl = p.limits?.[name];
      if (pl !== undefined && limit > pl)
        return reject("invalid", `${fieldOf(role)}.limits.${name}`, `${limit} is above the limit ${pl} of its parent role '${parent}'`);
    }
    for (const name of Object.keys(quota.guarantees ?? {})) {
      const pg = p.guarantees?.[name];
      if (pg === undefined) continue;
      // the children of `parent` (nearest quota ancestor) together
      let sum = 0;
      for (const [other, q] of Object.entries(quotas)) {
        if (other !== parent && isWithinRole(other, parent) && ancestorRoles(other).find((a) => quotas[a] !== undefined) === parent)
          sum += q.guarantees?.[name] ?? 0;
      }
      if (roundQuantity(sum) > pg) {
        return reject(
          "invalid",
          `${fieldOf(role)}.guarantees.${name}`,
          `the guarantees of the roles below '${parent}' add up to ${roundQuantity(sum)}, above its guarantee ${pg}`,
        );
      }
    }
  }
  return undefined;
}

/** The guarantees of the top-most guaranteed roles must fit in the cluster (unless forced). */
function checkCapacity(view: MasterView, quotas: Readonly<Record<string, RoleQuota>>): Rejection | undefined {
  const need: Quantities = {};
  for (const [role, quota] of Object.entries(quotas)) {
    if (ancestorRoles(role).some((a) => Object.keys(quotas[a]?.guarantees ?? {}).length > 0)) continue;
    for (const [name, g] of Object.entries(quota.guarantees ?? {})) need[name] = roundQuantity((need[name] ?? 0) + g);
  }
  const total = clusterTotals(view);
  for (const [name, n] of Object.entries(need)) {
    const have = total[name] ?? 0;
    if (n > have) {
      return reject(
        "invalid",
        "update_quota.quota_configs",
        `the guarantees add up to ${name} ${n}, more than the cluster's ${have}; set 'force' to set them anyway`,
      );
    }
  }
  return undefined;
}

const scalarMap = (q: Readonly<Record<string, number>> | undefined) => Object.fromEntries(Object.entries(q ?? {}).map(([name, value]) => [name, { value }]));

/** GET_QUOTA: `QuotaStatus` for the roles the principal may see, by role name. */
export function getQuota(view: MasterView, principal: string | undefined): object {
  const quotas = storedQuotas(view);
  const roles = Object.keys(quotas)
    .sort()
    .filter((role) => view.authorizer.allows("get_quotas", principal, role));
  const configs = roles.map((role) => ({
    role,
    ...(Object.keys(quotas[role]!.guarantees ?? {}).length > 0 ? { guarantees: scalarMap(quotas[role]!.guarantees) } : {}),
    ...(Object.keys(quotas[role]!.limits ?? {}).length > 0 ? { limits: scalarMap(quotas[role]!.limits) } : {}),
  }));
  const infos = roles.map((role) => ({
    role,
    guarantee: Object.entries(quotas[role]!.guarantees ?? {}).map(([name, value]) => ({ name, type: "SCALAR", scalar: { value } })),
  }));
  return { type: "GET_QUOTA", get_quota: { status: { infos, configs } } };
}

/** The quota calls' handlers. */
export const quotaCalls: OperatorHandlers = {
  UPDATE_QUOTA: (core, call: UpdateQuotaCall, ctx) => applied(core, decideUpdateQuota(core, call, ctx.principal), ctx.now),
  GET_QUOTA: (core, _call, ctx) => getQuota(core, ctx.principal),
};
