/**
 * What `AllocationInputCache` keeps per agent and per framework. Each entry is also what the
 * allocator reads (`AllocationAgent`, `AllocationFramework`), so a run hands the entries over
 * as they are instead of making an object per agent and per framework every cycle.
 */
import type { Offer, Resource } from "../../../schemas/index.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../records.ts";
import type { AllocationAgent, AllocationFramework } from "./allocate.ts";
import type { HeldResources } from "./held-resources.ts";

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
export const usedResources = (uses: Uses): readonly Resource[] =>
  uses === undefined ? [] : Array.isArray(uses) ? uses.flatMap(usedBy) : usedBy(uses);

/** A list with nothing in it, shared (never written to). */
export const NOTHING: readonly Resource[] = Object.freeze([]);

/** An agent: its record, whether it is connected, what tasks and offers use there, what is left. */
export class AgentEntry implements AllocationAgent {
  active = false;
  /** Total − uses, normalized; valid unless `stale`. */
  available: readonly Resource[] = NOTHING;
  stale = true;

  constructor(readonly id: string, public record: AgentRecord, public uses: Uses) {}

  get total(): readonly Resource[] {
    return this.record.resources;
  }
}

/** A framework as the allocator reads it; `allocated` follows what it holds. Updated in place as the view changes. */
export class FrameworkEntry implements AllocationFramework {
  role: string;

  constructor(readonly id: string, public record: FrameworkRecord, public active: boolean, public suppressed: boolean, private readonly held: HeldResources) {
    this.role = frameworkRole(record.info);
  }

  /** Takes the framework's new record. */
  replace(record: FrameworkRecord): void {
    this.record = record;
    this.role = frameworkRole(record.info);
  }

  /** Follows the framework's liveness and suppression; true when either changed. */
  update(active: boolean, suppressed: boolean): boolean {
    if (active === this.active && suppressed === this.suppressed) return false;
    this.active = active;
    this.suppressed = suppressed;
    return true;
  }

  get allocated(): readonly Resource[] {
    return this.held.allocated();
  }
}

/** The role a framework's offers are allocated to (single-role frameworks for now). */
export const frameworkRole = (info: { role?: string; roles?: string[] }): string => info.roles?.[0] ?? info.role ?? "*";
