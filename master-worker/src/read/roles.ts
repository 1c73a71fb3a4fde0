/**
 * GET_ROLES and `/master/roles`: every role something refers to — a framework subscribed to it,
 * a weight set for it, a reservation on an agent, resources allocated to it — with its weight,
 * frameworks and allocated, offered and reserved resources (`Response.GetRoles.Role`).
 */
import type { Resource } from "../../../schemas/index.ts";
import { reservationRole } from "../../../sdk/src/roles.ts";
import { frameworkRole } from "../allocator/index.ts";
import { WEIGHTS_SETTING } from "../decide/allocation-settings.ts";
import type { ReadFilter } from "./read-filter.ts";
import { type ReadSnapshot, sumResources } from "./read-snapshot.ts";

/**
 * Role weights from the `weights` setting, read defensively: a record of role → positive number
 * (or `{ weight }`), or a list of `{ role, weight }`; anything else is ignored (weight 1).
 */
export function roleWeights(settings: ReadonlyMap<string, unknown>): Map<string, number> {
  const out = new Map<string, number>();
  const raw = settings.get(WEIGHTS_SETTING);
  const take = (role: unknown, w: unknown) => {
    const n = typeof w === "object" && w !== null ? (w as { weight?: unknown }).weight : w;
    if (typeof role === "string" && typeof n === "number" && Number.isFinite(n) && n > 0) out.set(role, n);
  };
  if (Array.isArray(raw)) for (const e of raw) take((e as { role?: unknown })?.role, (e as { weight?: unknown })?.weight);
  else if (raw && typeof raw === "object") for (const [role, w] of Object.entries(raw)) take(role, w);
  return out;
}

/** The roles a framework is subscribed to. */
const rolesOfFramework = (info: { roles?: string[]; role?: string }) => (info.roles?.length ? info.roles : [frameworkRole(info)]);

interface RoleAcc {
  frameworks: string[];
  allocated: Resource[][];
  offered: Resource[][];
  reserved: Resource[][];
}

/** `Response.GetRoles.roles`, sorted by name, without the roles `filter` hides. */
export function rolesJson(snapshot: ReadSnapshot, settings: ReadonlyMap<string, unknown>, filter: ReadFilter) {
  const weights = roleWeights(settings);
  const roles = new Map<string, RoleAcc>();
  const role = (name: string) => {
    let r = roles.get(name);
    if (!r) roles.set(name, (r = { frameworks: [], allocated: [], offered: [], reserved: [] }));
    return r;
  };
  for (const name of weights.keys()) role(name);
  for (const f of snapshot.frameworks) for (const name of rolesOfFramework(f.record.info)) role(name).frameworks.push(f.record.id);
  const byRole = (rs: readonly Resource[], fallback: string, into: keyof Omit<RoleAcc, "frameworks">) => {
    const split = new Map<string, Resource[]>();
    for (const r of rs) {
      const name = r.allocation_info?.role ?? fallback;
      split.set(name, [...(split.get(name) ?? []), r]);
    }
    for (const [name, list] of split) role(name)[into].push(list);
  };
  for (const f of snapshot.frameworks) {
    const fallback = frameworkRole(f.record.info);
    for (const t of f.tasks) byRole(t.info.resources, fallback, "allocated");
    for (const o of f.offers) byRole(o.resources, o.allocation_info?.role ?? fallback, "offered");
  }
  for (const a of snapshot.agents) {
    for (const r of a.record.resources) {
      const name = reservationRole(r);
      if (name !== undefined) role(name).reserved.push([r]);
    }
  }
  return [...roles.entries()]
    .filter(([name]) => filter.all || filter.role(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, r]) => {
      const allocated = sumResources(r.allocated);
      return {
        name,
        weight: weights.get(name) ?? 1,
        frameworks: r.frameworks.map((value) => ({ value })),
        resources: allocated,
        allocated,
        offered: sumResources(r.offered),
        reserved: sumResources(r.reserved),
      };
    });
}
