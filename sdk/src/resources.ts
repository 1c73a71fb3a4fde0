/**
 * Resource arithmetic over Mesos `Resource` lists, shared by the master (allocation), the
 * agent (fingerprinting, flags) and frameworks (fitting tasks into offers). Pure and
 * runtime-neutral. Resources are identified by name + type + role (and reservation, volume,
 * revocable and shared marks when present); allocation_info is metadata and is kept from the
 * left operand.
 */
import type { Resource } from "../../schemas/mesos.ts";

type Range = { begin: number; end: number };
/**
 * Identity of a resource: name, type, role, and whatever makes two entries of one name
 * different things (a reservation's stack, a volume, revocability, sharing).
 */
const key = (r: Resource) => {
  const base = `${r.name}\u0000${r.type}\u0000${r.role ?? "*"}`;
  if (!r.reservations && !r.reservation && !r.disk && !r.revocable && !r.shared) return base;
  return `${base}\u0000${JSON.stringify([r.reservations ?? null, r.reservation ?? null, r.disk ?? null, !!r.revocable, !!r.shared])}`;
};

/** Below this a scalar counts as zero: sums of 3-decimal values carry float noise. */
export const SCALAR_EPSILON = 1e-9;

/** A scalar quantity rounded the way Mesos keeps them: to 3 decimals. */
export function roundScalar(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** A SCALAR resource (cpus, mem in MB, disk in MB, gpus). */
export function scalar(name: string, value: number, role?: string): Resource {
  return { name, type: "SCALAR", scalar: { value: roundScalar(value) }, ...(role ? { role } : {}) };
}

/** A RANGES resource (ports) from inclusive [begin, end] pairs. */
export function ranges(name: string, pairs: Array<[number, number]>, role?: string): Resource {
  return {
    name,
    type: "RANGES",
    ranges: { range: normalizeRanges(pairs.map(([begin, end]) => ({ begin, end }))) },
    ...(role ? { role } : {}),
  };
}

function normalizeRanges(input: Range[]): Range[] {
  const sorted = input
    .filter((r) => r.end >= r.begin)
    .map((r) => ({ ...r }))
    .sort((a, b) => a.begin - b.begin);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.begin <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push(r);
  }
  return out;
}

function subtractRanges(a: Range[], b: Range[]): Range[] {
  let out = normalizeRanges(a);
  for (const cut of normalizeRanges(b)) {
    const next: Range[] = [];
    for (const r of out) {
      if (cut.end < r.begin || cut.begin > r.end) {
        next.push(r);
        continue;
      }
      if (cut.begin > r.begin) next.push({ begin: r.begin, end: cut.begin - 1 });
      if (cut.end < r.end) next.push({ begin: cut.end + 1, end: r.end });
    }
    out = next;
  }
  return out;
}

const rangesContain = (a: Range[], b: Range[]) => subtractRanges(b, a).length === 0;
const setOf = (r: Resource) => new Set(r.set?.item ?? []);

function isEmptyResource(r: Resource): boolean {
  if (r.type === "SCALAR") return (r.scalar?.value ?? 0) <= SCALAR_EPSILON;
  if (r.type === "RANGES") return (r.ranges?.range.length ?? 0) === 0;
  if (r.type === "SET") return (r.set?.item.length ?? 0) === 0;
  return true;
}

function combine(x: Resource, y: Resource, sign: 1 | -1): Resource {
  if (x.type === "SCALAR") return { ...x, scalar: { value: roundScalar((x.scalar?.value ?? 0) + sign * (y.scalar?.value ?? 0)) } };
  if (x.type === "RANGES") {
    const xr = x.ranges?.range ?? [],
      yr = y.ranges?.range ?? [];
    return { ...x, ranges: { range: sign === 1 ? normalizeRanges([...xr, ...yr]) : subtractRanges(xr, yr) } };
  }
  if (x.type === "SET") {
    const s = setOf(x);
    for (const item of y.set?.item ?? []) sign === 1 ? s.add(item) : s.delete(item);
    return { ...x, set: { item: [...s].sort() } };
  }
  return x;
}

/** Merges like resources (same name, type and role) into one entry each, dropping empties. */
export function normalize(rs: readonly Resource[]): Resource[] {
  return add([], rs);
}

/** a + b. */
export function add(a: readonly Resource[], b: readonly Resource[]): Resource[] {
  const out = new Map<string, Resource>();
  for (const r of [...a, ...b]) {
    const k = key(r),
      have = out.get(k);
    out.set(k, have ? combine(have, r, 1) : combine({ ...r, ...emptyValue(r) }, r, 1));
  }
  return [...out.values()].filter((r) => !isEmptyResource(r));
}

function emptyValue(r: Resource): Partial<Resource> {
  if (r.type === "SCALAR") return { scalar: { value: 0 } };
  if (r.type === "RANGES") return { ranges: { range: [] } };
  if (r.type === "SET") return { set: { item: [] } };
  return {};
}

/** a − b; what b holds beyond a is ignored (use `contains` first when that matters). */
export function subtract(a: readonly Resource[], b: readonly Resource[]): Resource[] {
  const out = new Map<string, Resource>();
  for (const r of normalize(a)) out.set(key(r), r);
  for (const r of b) {
    const have = out.get(key(r));
    if (!have) continue;
    const next = combine(have, r, -1);
    if (next.type === "SCALAR" && (next.scalar?.value ?? 0) < SCALAR_EPSILON) next.scalar = { value: 0 };
    out.set(key(r), next);
  }
  return [...out.values()].filter((r) => !isEmptyResource(r));
}

/** True when `a` holds everything in `b` (b fits in a). */
export function contains(a: readonly Resource[], b: readonly Resource[]): boolean {
  const have = new Map(normalize(a).map((r) => [key(r), r] as const));
  for (const want of normalize(b)) {
    const r = have.get(key(want));
    if (!r) return false;
    if (want.type === "SCALAR" && (r.scalar?.value ?? 0) + SCALAR_EPSILON < (want.scalar?.value ?? 0)) return false;
    if (want.type === "RANGES" && !rangesContain(r.ranges?.range ?? [], want.ranges?.range ?? [])) return false;
    if (want.type === "SET") {
      const s = setOf(r);
      if (!(want.set?.item ?? []).every((i) => s.has(i))) return false;
    }
  }
  return true;
}

/** True when `need` fits in `available` (alias of `contains`, reads better in schedulers). */
export const fits = (need: readonly Resource[], available: readonly Resource[]) => contains(available, need);

/** Sum of every SCALAR resource named `name` (all roles). */
export function scalarOf(rs: readonly Resource[], name: string): number {
  return roundScalar(rs.filter((r) => r.name === name && r.type === "SCALAR").reduce((s, r) => s + (r.scalar?.value ?? 0), 0));
}

/** Inclusive port ranges of every RANGES resource named `name`. */
export function rangesOf(rs: readonly Resource[], name = "ports"): Array<[number, number]> {
  return normalizeRanges(rs.filter((r) => r.name === name && r.type === "RANGES").flatMap((r) => r.ranges?.range ?? [])).map((r) => [r.begin, r.end]);
}

/** Total of each scalar resource by name: the quantities DRF shares are computed from. */
export function scalarTotals(rs: readonly Resource[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rs) if (r.type === "SCALAR") out.set(r.name, roundScalar((out.get(r.name) ?? 0) + (r.scalar?.value ?? 0)));
  for (const r of rs)
    if (r.type === "RANGES") {
      const n = (r.ranges?.range ?? []).reduce((s, x) => s + x.end - x.begin + 1, 0);
      out.set(r.name, (out.get(r.name) ?? 0) + n);
    }
  return out;
}

/** The same resources marked as allocated to `role` (what offers and tasks carry). */
export function allocatedTo(rs: readonly Resource[], role: string): Resource[] {
  return rs.map((r) => ({ ...r, role: r.role ?? "*", allocation_info: { role } }));
}

/** The same resources without allocation_info (what the agent's totals hold). */
export function unallocated(rs: readonly Resource[]): Resource[] {
  return rs.map(({ allocation_info: _drop, ...r }) => r);
}

/**
 * Parses Mesos' `--resources` flag form: `cpus:4;mem:8192;disk:10000;ports:[31000-32000]`
 * (a `name(role)` prefix sets the role; `{a,b}` is a SET). Throws naming the bad entry.
 */
export function parseResources(text: string): Resource[] {
  const out: Resource[] = [];
  for (const part of text
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z_][\w.-]*)(?:\(([^)]*)\))?:(.+)$/.exec(part);
    if (!m) throw new Error(`resources: cannot parse '${part}' (expected name:value)`);
    const [, name, role, value] = m as unknown as [string, string, string | undefined, string];
    const v = value.trim();
    if (v.startsWith("[")) {
      const pairs = parseRangeList(v.replace(/^\[|\]$/g, ""), part, "resources: ").map(({ begin, end }) => [begin, end] as [number, number]);
      out.push(ranges(name, pairs, role || undefined));
    } else if (v.startsWith("{")) {
      const items = v
        .replace(/^\{|\}$/g, "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      out.push({ name, type: "SET", set: { item: items.sort() }, ...(role ? { role } : {}) });
    } else {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`resources: '${name}' needs a non-negative number, got '${v}'`);
      out.push(scalar(name, n, role || undefined));
    }
  }
  return normalize(out);
}

/**
 * The body of a `[a-b,c-d]` range list (brackets removed), as written: `--resources` ports and
 * `--attributes` ranges share this syntax. Throws `<errorPrefix>bad range 'x' in '<context>'`.
 */
export function parseRangeList(body: string, context: string, errorPrefix = ""): Range[] {
  return body
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^(\d+)\s*-\s*(\d+)$/.exec(s);
      if (!m) throw new Error(`${errorPrefix}bad range '${s}' in '${context}'`);
      return { begin: Number(m[1]), end: Number(m[2]) };
    });
}

/** Human form, the inverse of `parseResources`: `cpus:4; mem:1024; ports:[31000-32000]`. */
export function formatResources(rs: readonly Resource[]): string {
  return normalize(rs)
    .map((r) => {
      const n = r.role && r.role !== "*" ? `${r.name}(${r.role})` : r.name;
      if (r.type === "SCALAR") return `${n}:${r.scalar?.value ?? 0}`;
      if (r.type === "RANGES") return `${n}:[${(r.ranges?.range ?? []).map((x) => `${x.begin}-${x.end}`).join(",")}]`;
      if (r.type === "SET") return `${n}:{${(r.set?.item ?? []).join(",")}}`;
      return n;
    })
    .join("; ");
}
