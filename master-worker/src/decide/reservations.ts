/**
 * Dynamic reservations and persistent volumes (Mesos docs/reservation.md,
 * docs/persistent-volume.md): the RESERVE, UNRESERVE, CREATE and DESTROY operations, validated
 * and applied to an agent's resources. Pure: a framework's ACCEPT (scheduler-calls.ts) and the
 * operator calls (operator/reservation-calls.ts) both use `applyReservationOp`, which returns
 * the converted resources; the caller turns them into effects.
 *
 * Two lists change together: `total`, the agent's total resources (what the allocator offers
 * from; kept in `AgentRecord.resources`), and `available`, what the operation may take from
 * (for a framework: what is left of its offers; for an operator: what no task uses). Each
 * operation's input must lie in `available`; it is removed from both lists and its converted
 * form added to both, so a LAUNCH later in the same ACCEPT can use what an earlier RESERVE or
 * CREATE made.
 *
 * Choices where Mesos leaves room:
 * - an operation that does not validate (or is not authorized) refuses the whole ACCEPT with
 *   400 (403) naming the operation and field, and nothing of it is applied (Mesos drops the
 *   operation silently; an HTTP answer can say why);
 * - reserving for a role below the framework's role (refining) is allowed, for frameworks with
 *   RESERVATION_REFINEMENT only; a refinement must go strictly below the role reserved now;
 * - a volume's directory is made on the agent when a task first uses it, and removed when the
 *   volume is destroyed (a DESTROY_VOLUMES command).
 */
import type { OfferOperation, Resource } from "../../../schemas/index.ts";
import { add, contains, subtract, unallocated } from "../../../sdk/src/resources.ts";
import { isWithinRole, roleProblem } from "../../../sdk/src/roles.ts";
import { type Authorizer, requireAuthorized } from "../model/authorizer.ts";
import { badRequest } from "../edge/http-error.ts";
import { canonicalResources, reservationStack, withStack } from "../model/reservation-format.ts";

/** The operations this module applies. */
export const RESERVATION_OPS = ["RESERVE", "UNRESERVE", "CREATE", "DESTROY"] as const;
export type ReservationOpType = (typeof RESERVATION_OPS)[number];

/** One operation with its resources, whoever asked (framework or operator). */
export interface ReservationOp { type: ReservationOpType; resources: readonly Resource[] }

/** Who asks: the authorizer's subject, and for a framework its role and capabilities. */
export interface ReservationActor {
  authorizer: Authorizer;
  principal: string | undefined;
  /** The framework's roles; undefined for an operator (any valid role may be named). */
  roles?: readonly string[];
  /** The framework has RESERVATION_REFINEMENT (operators always may refine). */
  refinement: boolean;
}

/** An agent's resources before or after operations (see the file comment). */
export interface AgentResources {
  total: Resource[];
  available: Resource[];
  /** Volumes destroyed so far: the agent must remove their directories. */
  destroyed: Resource[];
}

/** The operation carried by an ACCEPT's OfferOperation, or undefined for LAUNCH and others. */
export function reservationOpOf(op: OfferOperation, field: string): ReservationOp | undefined {
  const body = op.type === "RESERVE" ? op.reserve?.resources : op.type === "UNRESERVE" ? op.unreserve?.resources
    : op.type === "CREATE" ? op.create?.volumes : op.type === "DESTROY" ? op.destroy?.volumes : undefined;
  if (!(RESERVATION_OPS as readonly string[]).includes(op.type)) return undefined;
  if (!body) throw badRequest(`${field}.${op.type.toLowerCase()}: required for a ${op.type} operation`);
  return { type: op.type as ReservationOpType, resources: body };
}

/** The resource without its top reservation level (what RESERVE took, what UNRESERVE gives back). */
export function popReservation(r: Resource): Resource {
  return withStack(r, reservationStack(r).slice(0, -1));
}

/** A volume without its persistence and mount: the reserved disk it was made from. */
export function volumeSource(r: Resource): Resource {
  const { disk, ...rest } = r;
  return disk?.source ? { ...rest, disk: { source: disk.source } } : rest;
}

/** True when `r` is a persistent volume. */
export const isVolume = (r: Resource): boolean => r.disk?.persistence !== undefined;

/** Every persistence id among `rs`. */
export const persistenceIds = (rs: readonly Resource[]): Set<string> =>
  new Set(rs.flatMap((r) => (r.disk?.persistence ? [r.disk.persistence.id] : [])));

/** Takes `from` out of both lists and puts `to` in (the total keeps no allocation_info). */
function convert(state: AgentResources, from: readonly Resource[], to: readonly Resource[]): AgentResources {
  return { ...state, total: add(subtract(state.total, from), unallocated(to)), available: add(subtract(state.available, from), to) };
}

/**
 * Validates `op` against `state` (for `actor`) and returns the state after it; throws
 * `HttpError` (400, or 403 from the ACLs) naming `field` otherwise.
 */
export function applyReservationOp(state: AgentResources, op: ReservationOp, actor: ReservationActor, field: string): AgentResources {
  const resources = canonicalResources(op.resources);
  const where = (i: number) => `${field}[${i}]`;
  const need = (from: readonly Resource[], what: string) => {
    if (!contains(state.available, from)) throw badRequest(`${field}: ${what} not in the ${actor.roles !== undefined ? "offered resources left" : "agent's resources that no task uses"}`);
  };
  switch (op.type) {
    case "RESERVE": {
      const from = resources.map((r, i) => checkReserve(r, actor, where(i)));
      need(from, "the resources to reserve are");
      return convert(state, from, resources);
    }
    case "UNRESERVE": {
      const to = resources.map((r, i) => checkUnreserve(r, actor, where(i)));
      need(resources, "the resources to unreserve are");
      return convert(state, resources, to);
    }
    case "CREATE": {
      const ids = persistenceIds(state.total);
      const from = resources.map((r, i) => {
        const src = checkCreate(r, actor, where(i));
        const id = r.disk!.persistence!.id;
        if (ids.has(id)) throw badRequest(`${where(i)}.disk.persistence.id: '${id}' is already used by a volume on this agent`);
        ids.add(id);
        return src;
      });
      need(from, "the disk for the volumes is");
      return convert(state, from, resources);
    }
    case "DESTROY": {
      const to = resources.map((r, i) => {
        if (!isVolume(r)) throw badRequest(`${where(i)}.disk.persistence: a volume to destroy needs its persistence id`);
        requireAuthorized(actor.authorizer, "destroy_volumes", actor.principal, r.disk!.persistence!.principal, `${where(i)}`);
        return volumeSource(r);
      });
      if (!contains(state.total, resources)) throw badRequest(`${field}: no such volume on this agent`);
      need(resources, "the volumes are in use or");
      return { ...convert(state, resources, to), destroyed: [...state.destroyed, ...unallocated(resources)] };
    }
  }
}

/** RESERVE of one resource: returns what it is made from. */
function checkReserve(r: Resource, actor: ReservationActor, field: string): Resource {
  const stack = reservationStack(r);
  const top = stack[stack.length - 1];
  if (!top || top.type !== "DYNAMIC") throw badRequest(`${field}: a resource to reserve needs a DYNAMIC reservation (role and reservation, or reservations)`);
  if (isVolume(r)) throw badRequest(`${field}.disk.persistence: reserve the disk first, then CREATE the volume`);
  const role = top.role;
  if (role === undefined || role === "*") throw badRequest(`${field}: the reservation needs a role other than '*'`);
  const problem = roleProblem(role);
  if (problem) throw badRequest(`${field}.role: ${problem}`);
  if (actor.roles !== undefined && !actor.roles.some((own) => isWithinRole(role, own))) {
    throw badRequest(`${field}.role: '${role}' is not the framework's role ${rolesText(actor.roles)} (or below it)`);
  }
  if (!actor.refinement && (stack.length > 1 || (actor.roles !== undefined && !actor.roles.includes(role)))) {
    throw badRequest(`${field}.reservations: refining a reservation needs the RESERVATION_REFINEMENT capability`);
  }
  const from = popReservation(r);
  const below = reservationStack(from);
  const under = below[below.length - 1]?.role;
  if (under !== undefined && (role === under || !isWithinRole(role, under))) {
    throw badRequest(`${field}.role: '${role}' must be below the role '${under}' it refines`);
  }
  checkPrincipal(top.principal, actor, `${field}.reservation.principal`);
  requireAuthorized(actor.authorizer, "reserve_resources", actor.principal, role, field);
  return from;
}

/** UNRESERVE of one resource: returns what it becomes. */
function checkUnreserve(r: Resource, actor: ReservationActor, field: string): Resource {
  const stack = reservationStack(r);
  const top = stack[stack.length - 1];
  if (!top || top.type !== "DYNAMIC") throw badRequest(`${field}: only dynamically reserved resources can be unreserved`);
  if (isVolume(r)) throw badRequest(`${field}.disk.persistence: a persistent volume cannot be unreserved; DESTROY it first`);
  requireAuthorized(actor.authorizer, "unreserve_resources", actor.principal, top.principal, field);
  return popReservation(r);
}

/** CREATE of one volume: returns the disk it is made from. */
function checkCreate(r: Resource, actor: ReservationActor, field: string): Resource {
  if (r.name !== "disk" || r.type !== "SCALAR") throw badRequest(`${field}: a volume is a SCALAR 'disk' resource`);
  const persistence = r.disk?.persistence;
  if (!persistence) throw badRequest(`${field}.disk.persistence.id: required for a volume`);
  const path = r.disk?.volume?.container_path;
  if (!path) throw badRequest(`${field}.disk.volume.container_path: required for a volume`);
  if (path.startsWith("/") || path.split("/").some((p) => p === ".." || p === ".")) {
    throw badRequest(`${field}.disk.volume.container_path: '${path}' must be a relative path inside the sandbox`);
  }
  if (/[/\\]|^\.\.?$/.test(persistence.id)) throw badRequest(`${field}.disk.persistence.id: '${persistence.id}' cannot contain '/' or be '.' or '..'`);
  if (r.shared) throw badRequest(`${field}.shared: shared volumes are not supported`);
  const stack = reservationStack(r);
  const role = stack[stack.length - 1]?.role;
  if (role === undefined) throw badRequest(`${field}: a volume needs disk reserved for a role`);
  if (actor.roles !== undefined && !actor.roles.some((own) => isWithinRole(own, role))) {
    throw badRequest(`${field}: the disk is reserved for '${role}', not for the framework's role ${rolesText(actor.roles)}`);
  }
  checkPrincipal(persistence.principal, actor, `${field}.disk.persistence.principal`);
  requireAuthorized(actor.authorizer, "create_volumes", actor.principal, role, field);
  return volumeSource(r);
}

const rolesText = (roles: readonly string[]) => roles.map((r) => `'${r}'`).join(" or ");

/** A principal named in a reservation or volume must be the caller's, when the caller has one. */
function checkPrincipal(given: string | undefined, actor: ReservationActor, field: string): void {
  if (actor.principal !== undefined && given !== actor.principal) {
    throw badRequest(`${field}: must be the caller's principal '${actor.principal}'${given === undefined ? " (it is not set)" : `, not '${given}'`}`);
  }
}

/**
 * What an agent's total is when it (re-)registers declaring `declared`: its declaration with
 * the reservations and volumes it had before (`before`: its last total) made again, each
 * only if what it was made from is still declared (an agent that comes back smaller loses
 * the conversions that no longer fit, newest kept first in the order they are listed).
 */
export function reregisteredTotal(declared: readonly Resource[], before: readonly Resource[] | undefined): Resource[] {
  let total = canonicalResources(declared);
  if (!before) return total as Resource[];
  for (const r of before) {
    if (!r.reservations && !isVolume(r)) continue; // not made by an operation
    const from = unconverted(r);
    if (!contains(total, [from])) continue;
    total = add(subtract(total, [from]), [r]);
  }
  return total as Resource[];
}

/** What the agent declared that `r` was made from: no volume, no dynamic reservation. */
function unconverted(r: Resource): Resource {
  const base = isVolume(r) ? volumeSource(r) : r;
  return withStack(base, reservationStack(base).filter((s) => s.type === "STATIC"));
}
