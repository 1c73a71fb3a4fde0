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
 * - an operation that does not validate (or is not authorized) refuses the whole ACCEPT (a
 *   `Rejection`, invalid or forbidden) naming the operation and field, and nothing of it is applied (Mesos drops the
 *   operation silently; an HTTP answer can say why);
 * - reserving for a role below the framework's role (refining) is allowed, for frameworks with
 *   RESERVATION_REFINEMENT only; a refinement must go strictly below the role reserved now;
 * - a volume's directory is made on the agent when a task first uses it, and removed when the
 *   volume is destroyed (a DESTROY_VOLUMES command).
 */
import { jsonBytes, MAX_MESSAGE_BYTES, tooManyBytes } from "../../../schemas/field-limits.ts";
import type { OfferOperation, Resource } from "../../../schemas/index.ts";
import { add, contains, subtract, unallocated } from "../../../sdk/src/resources.ts";
import { isWithinRole, roleProblem } from "../../../sdk/src/roles.ts";
import { type Authorizer, checkAuthorized } from "../model/authorizer.ts";
import { isRejection, type Rejection, reject } from "../model/rejection.ts";
import { canonicalResources, reservationStack, withStack } from "../model/reservation-format.ts";

/** The operations this module applies. */
export const RESERVATION_OPS = ["RESERVE", "UNRESERVE", "CREATE", "DESTROY"] as const;
export type ReservationOpType = (typeof RESERVATION_OPS)[number];

/** One operation with its resources, whoever asked (framework or operator). */
export interface ReservationOp {
  type: ReservationOpType;
  resources: readonly Resource[];
}

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

/** The operation carried by an ACCEPT's OfferOperation, undefined for LAUNCH and others, or a refusal when its body is missing. */
export function reservationOpOf(op: OfferOperation, field: string): ReservationOp | undefined | Rejection {
  const body =
    op.type === "RESERVE"
      ? op.reserve?.resources
      : op.type === "UNRESERVE"
        ? op.unreserve?.resources
        : op.type === "CREATE"
          ? op.create?.volumes
          : op.type === "DESTROY"
            ? op.destroy?.volumes
            : undefined;
  if (!(RESERVATION_OPS as readonly string[]).includes(op.type)) return undefined;
  if (!body) return reject("invalid", `${field}.${op.type.toLowerCase()}`, `required for a ${op.type} operation`);
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
export const persistenceIds = (rs: readonly Resource[]): Set<string> => new Set(rs.flatMap((r) => (r.disk?.persistence ? [r.disk.persistence.id] : [])));

/** Takes `from` out of both lists and puts `to` in (the total keeps no allocation_info). */
function convert(state: AgentResources, from: readonly Resource[], to: readonly Resource[]): AgentResources {
  return { ...state, total: add(subtract(state.total, from), unallocated(to)), available: add(subtract(state.available, from), to) };
}

/**
 * Validates `op` against `state` (for `actor`) and returns the state after it, or a refusal
 * (invalid, or forbidden from the ACLs) naming `field`.
 */
export function applyReservationOp(state: AgentResources, op: ReservationOp, actor: ReservationActor, field: string): AgentResources | Rejection {
  const next = applyOp(state, op, actor, field);
  if (isRejection(next)) return next;
  // The agent's resources are one row: conversions (labels on each reservation) must not grow it past its bound.
  const bytes = jsonBytes(next.total);
  if (bytes > MAX_MESSAGE_BYTES && bytes > jsonBytes(state.total))
    return reject("invalid", field, tooManyBytes(`the agent's resources (${bytes} bytes with these)`, MAX_MESSAGE_BYTES));
  return next;
}

function applyOp(state: AgentResources, op: ReservationOp, actor: ReservationActor, field: string): AgentResources | Rejection {
  const resources = canonicalResources(op.resources);
  const where = (i: number) => `${field}[${i}]`;
  const need = (from: readonly Resource[], what: string) =>
    contains(state.available, from)
      ? undefined
      : reject("invalid", field, `${what} not in the ${actor.roles !== undefined ? "offered resources left" : "agent's resources that no task uses"}`);
  switch (op.type) {
    case "RESERVE": {
      const from = eachResource(resources, (r, i) => checkReserve(r, actor, where(i)));
      if (isRejection(from)) return from;
      return need(from, "the resources to reserve are") ?? convert(state, from, resources);
    }
    case "UNRESERVE": {
      const to = eachResource(resources, (r, i) => checkUnreserve(r, actor, where(i)));
      if (isRejection(to)) return to;
      return need(resources, "the resources to unreserve are") ?? convert(state, resources, to);
    }
    case "CREATE": {
      const ids = persistenceIds(state.total);
      const from = eachResource(resources, (r, i) => {
        const src = checkCreate(r, actor, where(i));
        if (isRejection(src)) return src;
        const id = r.disk!.persistence!.id;
        if (ids.has(id)) return reject("invalid", `${where(i)}.disk.persistence.id`, `'${id}' is already used by a volume on this agent`);
        ids.add(id);
        return src;
      });
      if (isRejection(from)) return from;
      return need(from, "the disk for the volumes is") ?? convert(state, from, resources);
    }
    case "DESTROY": {
      const to = eachResource(resources, (r, i) => {
        if (!isVolume(r)) return reject("invalid", `${where(i)}.disk.persistence`, "a volume to destroy needs its persistence id");
        return checkAuthorized(actor.authorizer, "destroy_volumes", actor.principal, r.disk!.persistence!.principal, `${where(i)}`) ?? volumeSource(r);
      });
      if (isRejection(to)) return to;
      if (!contains(state.total, resources)) return reject("invalid", field, "no such volume on this agent");
      return need(resources, "the volumes are in use or") ?? { ...convert(state, resources, to), destroyed: [...state.destroyed, ...unallocated(resources)] };
    }
  }
}

/** `check` of each resource in order: what each becomes, or the first refusal. */
function eachResource(resources: readonly Resource[], check: (r: Resource, i: number) => Resource | Rejection): Resource[] | Rejection {
  const out: Resource[] = [];
  for (const [i, r] of resources.entries()) {
    const checked = check(r, i);
    if (isRejection(checked)) return checked;
    out.push(checked);
  }
  return out;
}

/** RESERVE of one resource: returns what it is made from, or why it is refused. */
function checkReserve(r: Resource, actor: ReservationActor, field: string): Resource | Rejection {
  const stack = reservationStack(r);
  const top = stack[stack.length - 1];
  if (top?.type !== "DYNAMIC") return reject("invalid", field, "a resource to reserve needs a DYNAMIC reservation (role and reservation, or reservations)");
  if (isVolume(r)) return reject("invalid", `${field}.disk.persistence`, "reserve the disk first, then CREATE the volume");
  const role = top.role;
  if (role === undefined || role === "*") return reject("invalid", field, "the reservation needs a role other than '*'");
  const problem = roleProblem(role);
  if (problem) return reject("invalid", `${field}.role`, problem);
  if (actor.roles !== undefined && !actor.roles.some((own) => isWithinRole(role, own))) {
    return reject("invalid", `${field}.role`, `'${role}' is not the framework's role ${rolesText(actor.roles)} (or below it)`);
  }
  if (!actor.refinement && (stack.length > 1 || (actor.roles !== undefined && !actor.roles.includes(role)))) {
    return reject("invalid", `${field}.reservations`, "refining a reservation needs the RESERVATION_REFINEMENT capability");
  }
  const from = popReservation(r);
  const below = reservationStack(from);
  const under = below[below.length - 1]?.role;
  if (under !== undefined && (role === under || !isWithinRole(role, under))) {
    return reject("invalid", `${field}.role`, `'${role}' must be below the role '${under}' it refines`);
  }
  return (
    checkPrincipal(top.principal, actor, `${field}.reservation.principal`) ??
    checkAuthorized(actor.authorizer, "reserve_resources", actor.principal, role, field) ??
    from
  );
}

/** UNRESERVE of one resource: returns what it becomes, or why it is refused. */
function checkUnreserve(r: Resource, actor: ReservationActor, field: string): Resource | Rejection {
  const stack = reservationStack(r);
  const top = stack[stack.length - 1];
  if (top?.type !== "DYNAMIC") return reject("invalid", field, "only dynamically reserved resources can be unreserved");
  if (isVolume(r)) return reject("invalid", `${field}.disk.persistence`, "a persistent volume cannot be unreserved; DESTROY it first");
  return checkAuthorized(actor.authorizer, "unreserve_resources", actor.principal, top.principal, field) ?? popReservation(r);
}

/** CREATE of one volume: returns the disk it is made from, or why it is refused. */
function checkCreate(r: Resource, actor: ReservationActor, field: string): Resource | Rejection {
  if (r.name !== "disk" || r.type !== "SCALAR") return reject("invalid", field, "a volume is a SCALAR 'disk' resource");
  const persistence = r.disk?.persistence;
  if (!persistence) return reject("invalid", `${field}.disk.persistence.id`, "required for a volume");
  const path = r.disk?.volume?.container_path;
  if (!path) return reject("invalid", `${field}.disk.volume.container_path`, "required for a volume");
  if (path.startsWith("/") || path.split("/").some((p) => p === ".." || p === ".")) {
    return reject("invalid", `${field}.disk.volume.container_path`, `'${path}' must be a relative path inside the sandbox`);
  }
  if (/[/\\]|^\.\.?$/.test(persistence.id))
    return reject("invalid", `${field}.disk.persistence.id`, `'${persistence.id}' cannot contain '/' or be '.' or '..'`);
  if (r.shared) return reject("invalid", `${field}.shared`, "shared volumes are not supported");
  const stack = reservationStack(r);
  const role = stack[stack.length - 1]?.role;
  if (role === undefined) return reject("invalid", field, "a volume needs disk reserved for a role");
  if (actor.roles !== undefined && !actor.roles.some((own) => isWithinRole(own, role))) {
    return reject("invalid", field, `the disk is reserved for '${role}', not for the framework's role ${rolesText(actor.roles)}`);
  }
  return (
    checkPrincipal(persistence.principal, actor, `${field}.disk.persistence.principal`) ??
    checkAuthorized(actor.authorizer, "create_volumes", actor.principal, role, field) ??
    volumeSource(r)
  );
}

const rolesText = (roles: readonly string[]) => roles.map((r) => `'${r}'`).join(" or ");

/** A principal named in a reservation or volume must be the caller's, when the caller has one. */
function checkPrincipal(given: string | undefined, actor: ReservationActor, field: string): Rejection | undefined {
  if (actor.principal === undefined || given === actor.principal) return undefined;
  return reject("invalid", field, `must be the caller's principal '${actor.principal}'${given === undefined ? " (it is not set)" : `, not '${given}'`}`);
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
  return withStack(
    base,
    reservationStack(base).filter((s) => s.type === "STATIC"),
  );
}
