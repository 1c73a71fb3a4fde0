/**
 * What `AllocationInputCache` keeps per agent and per framework. Each entry is also what the
 * allocator reads (`AllocationAgent`, `AllocationFramework`), so a run hands the entries over
 * as they are instead of making an object per agent and per framework every cycle.
 */
import type { Offer, Resource } from "../../../schemas/index.ts";
import type { AllocationAgent, AllocationFramework, HeldResources } from "../allocator/index.ts";
import { frameworkRoles } from "../allocator/index.ts";
import { hasCapability } from "../model/capabilities.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../store/records.ts";

/**
 * Something using resources on an agent: a task's record or an outstanding offer, kept as it
 * is (no wrapper per use) and told apart by identity when it goes.
 */
export type Use = TaskRecord | Offer;

/** The resources a use holds. */
export const usedBy = (use: Use): readonly Resource[] => ("info" in use ? use.info.resources : use.resources);

/**
 * The uses on one agent: none, one (most agents run one task or hold one offer: kept without
 * an array, which a full cycle would otherwise make for each of 10,000 agents), or several.
 */
export type Uses = Use | Use[] | undefined;

/** `uses` with `use` added (an array once there are two; the array is then kept and grown). */
export function withUse(uses: Uses, use: Use): Uses {
  if (uses === undefined) return use;
  if (!Array.isArray(uses)) return [uses, use];
  uses.push(use);
  return uses;
}

/** `uses` without `use` (that very object, once); unchanged when it is not there. */
export function withoutUse(uses: Uses, use: Use): Uses {
  if (uses === use) return undefined;
  if (!Array.isArray(uses)) return uses;
  const at = uses.lastIndexOf(use);
  if (at < 0) return uses;
  uses[at] = uses[uses.length - 1]!;
  uses.pop();
  return uses.length > 0 ? uses : undefined;
}

/** Every resource the uses hold, in one list. */
export const usedResources = (uses: Uses): readonly Resource[] => (uses === undefined ? [] : Array.isArray(uses) ? uses.flatMap(usedBy) : usedBy(uses));

/** A list with nothing in it, shared (never written to). */
export const NOTHING: readonly Resource[] = Object.freeze([]);

/** An agent: its record, whether it is connected, what tasks and offers use there, what is left. */
export class AgentEntry implements AllocationAgent {
  active = false;
  /** Total − uses, normalized; valid unless `stale`. */
  available: readonly Resource[] = NOTHING;
  stale = true;

  constructor(
    readonly id: string,
    public record: AgentRecord,
    public uses: Uses,
  ) {}

  get total(): readonly Resource[] {
    return this.record.resources;
  }
}

/**
 * What a framework holds, per role its resources are allocated to (`allocation_info.role`);
 * `ALL` sums every role, `UNMARKED` holds uses whose resources name no role (counted to the
 * framework's first role).
 */
export type HeldByRole = Map<string, HeldResources>;

/** Key of `HeldByRole` for everything the framework holds. */
export const ALL = "\u0000all";
/** Key of `HeldByRole` for uses whose resources carry no allocation role. */
export const UNMARKED = "";

/** The role a use's resources are allocated to (the first marked entry), or `UNMARKED`. */
export function useRole(resources: readonly Resource[]): string {
  for (const r of resources) {
    const role = r.allocation_info?.role;
    if (role !== undefined) return role;
  }
  return UNMARKED;
}

/** A framework as the allocator reads it; `allocated` follows what it holds. Updated in place as the view changes. */
export class FrameworkEntry implements AllocationFramework {
  role: string;
  roles: readonly string[];
  gpuResources: boolean;
  suppressedRoles: ReadonlySet<string> | undefined = undefined;

  constructor(
    readonly id: string,
    public record: FrameworkRecord,
    public active: boolean,
    public suppressed: boolean,
    private readonly held: HeldByRole,
  ) {
    this.roles = frameworkRoles(record.info);
    this.role = this.roles[0]!;
    this.gpuResources = hasCapability(record.info, "GPU_RESOURCES");
  }

  /** Takes the framework's new record. */
  replace(record: FrameworkRecord): void {
    this.record = record;
    this.roles = frameworkRoles(record.info);
    this.role = this.roles[0]!;
    this.gpuResources = hasCapability(record.info, "GPU_RESOURCES");
  }

  /** Follows the framework's liveness and suppression (sets are replaced, never edited); true when any changed. */
  update(active: boolean, suppressed: boolean, suppressedRoles?: ReadonlySet<string>): boolean {
    if (active === this.active && suppressed === this.suppressed && suppressedRoles === this.suppressedRoles) return false;
    this.active = active;
    this.suppressed = suppressed;
    this.suppressedRoles = suppressedRoles;
    return true;
  }

  get allocated(): readonly Resource[] {
    return this.held.get(ALL)?.allocated() ?? NOTHING;
  }

  /** What it holds per role (unmarked uses under its first role). */
  get allocatedByRole(): ReadonlyMap<string, readonly Resource[]> {
    const out = new Map<string, readonly Resource[]>();
    for (const [role, h] of this.held) {
      if (role === ALL) continue;
      const r = role === UNMARKED ? this.role : role;
      const list = h.allocated();
      if (list.length === 0) continue;
      const before = out.get(r);
      out.set(r, before ? [...before, ...list] : list);
    }
    return out;
  }
}
