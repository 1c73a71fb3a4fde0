/**
 * The two spellings of a reserved resource (Mesos docs/reservation.md, "Resource format"):
 *
 * - pre-refinement: `role` is the role it is reserved for, and `reservation` (principal,
 *   labels) is present when the reservation is dynamic; no refinement can be expressed;
 * - post-refinement: `reservations`, a stack of `ReservationInfo`s (STATIC or DYNAMIC), the
 *   last being the role it is reserved for now; `role` and `reservation` are absent.
 *
 * The master keeps ONE internal (canonical) form, so that resource identity (`sdk/resources.ts`)
 * sees the same thing whichever spelling a framework used:
 *
 * - unreserved: as given (`role` absent or `*`), without `reservation`/`reservations`;
 * - reserved statically only: `role` alone (what `--resources 'cpus(eng):2'` declares), so
 *   agents without dynamic reservations keep exactly the records they declared;
 * - reserved with at least one DYNAMIC level: `role` = the top role AND the whole
 *   `reservations` stack (the allocator reads `role`; the stack keeps principals and labels);
 * - a volume's `disk` is rebuilt in one key order, `volume.mode` defaulting to `RW`.
 *
 * Frameworks get offers in the spelling they understand: post-refinement for those with the
 * RESERVATION_REFINEMENT capability, pre-refinement for the others (`forFramework`).
 */
import type { DiskInfo, FrameworkInfo, Offer, ReservationInfo, Resource } from "../../../schemas/index.ts";
import { DEFAULT_ROLE } from "../../../sdk/src/roles.ts";
import { hasCapability } from "./capabilities.ts";

/** One reservation level in the key order the schema gives, `type` defaulting to DYNAMIC. */
function level(r: ReservationInfo): ReservationInfo {
  return {
    type: r.type ?? "DYNAMIC",
    ...(r.role !== undefined ? { role: r.role } : {}),
    ...(r.principal !== undefined ? { principal: r.principal } : {}),
    ...(r.labels !== undefined ? { labels: r.labels } : {}),
  };
}

/** The reservation stack of a resource in either spelling (empty when unreserved). */
export function reservationStack(r: Resource): ReservationInfo[] {
  if (r.reservations && r.reservations.length > 0) return r.reservations.map(level);
  if (r.role === undefined || r.role === DEFAULT_ROLE) return [];
  if (r.reservation) return [level({ ...r.reservation, type: "DYNAMIC", role: r.role })];
  return [{ type: "STATIC", role: r.role }];
}

/** `disk` in one key order (JSON identity), `volume.mode` defaulting to RW. */
function canonicalDisk(d: DiskInfo): DiskInfo {
  const { persistence, volume, source } = d;
  const out: DiskInfo = {};
  if (persistence) out.persistence = { id: persistence.id, ...(persistence.principal !== undefined ? { principal: persistence.principal } : {}) };
  if (volume) {
    const { container_path, mode, ...rest } = volume;
    out.volume = { container_path, mode: mode ?? "RW", ...rest };
  }
  if (source) out.source = source;
  return out;
}

/** A resource with `reservations` set to `stack` (canonical form; see the file comment). */
export function withStack(r: Resource, stack: readonly ReservationInfo[]): Resource {
  const { role: _role, reservation: _res, reservations: _stack, ...rest } = r;
  if (stack.length === 0) return r.role === DEFAULT_ROLE ? { ...rest, role: DEFAULT_ROLE } : rest;
  const top = stack[stack.length - 1]!;
  if (stack.every((s) => s.type === "STATIC")) return { ...rest, role: top.role ?? DEFAULT_ROLE };
  return { ...rest, role: top.role ?? DEFAULT_ROLE, reservations: stack.map(level) };
}

/** The master's internal form of `r` (the same object when it already is). */
export function canonicalResource(r: Resource): Resource {
  if (!r.reservation && !r.reservations && !r.disk) return r;
  const out = withStack(r, reservationStack(r));
  return r.disk ? { ...out, disk: canonicalDisk(r.disk) } : out;
}

/** `canonicalResource` of each (the same array when nothing changes). */
export function canonicalResources(rs: readonly Resource[]): Resource[] {
  let changed = false;
  const out = rs.map((r) => {
    const c = canonicalResource(r);
    if (c !== r) changed = true;
    return c;
  });
  return changed ? out : (rs as Resource[]);
}

/** `r` spelled for a framework: post-refinement when `refinement`, else pre-refinement. */
export function spelledFor(r: Resource, refinement: boolean): Resource {
  const stack = reservationStack(r);
  const { role: _role, reservation: _res, reservations: _stack, ...rest } = r;
  if (refinement) return stack.length ? { ...rest, reservations: stack } : rest;
  if (stack.length === 0) return r.reservations || r.reservation ? { ...rest, role: r.role ?? DEFAULT_ROLE } : r;
  const top = stack[stack.length - 1]!;
  if (top.type !== "DYNAMIC") return { ...rest, role: top.role ?? DEFAULT_ROLE };
  const { type: _t, role: _r, ...info } = top;
  return { ...rest, role: top.role ?? DEFAULT_ROLE, reservation: info };
}

/**
 * The offer as `info`'s framework should see it. Offers without reservations stay the same
 * object for frameworks without RESERVATION_REFINEMENT (the usual case: offers share their
 * parts, see allocation-step.ts).
 */
export function offerFor(info: FrameworkInfo | undefined, offer: Offer): Offer {
  const refinement = info !== undefined && hasCapability(info, "RESERVATION_REFINEMENT");
  if (!refinement && !offer.resources.some((r) => r.reservations)) return offer;
  return { ...offer, resources: offer.resources.map((r) => spelledFor(r, refinement)) };
}
