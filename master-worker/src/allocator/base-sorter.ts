/**
 * The bookkeeping every sorter shares (clients, weights, activity, per-agent allocations, the
 * resource pool), so DRF and random differ only in `sort()`: one copy of the rules the
 * conformance suite checks.
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { add, contains, normalize, scalar, scalarTotals, subtract, unallocated as stripAllocationInfo } from "../../../sdk/src/resources.ts";
import type { Sorter } from "./sorter.ts";

/** What a sorter knows about one client; read by subclasses to rank it. */
export interface ClientState {
  weight: number;
  active: boolean;
  /** Allocations recorded so far (Mesos' `allocations` counter, a DRF tie-breaker). */
  allocations: number;
  byAgent: Map<string, Resource[]>;
  /** Cached scalar quantities held, by resource name; undefined when stale. */
  scalars?: Map<string, number>;
}

const scalarsOnly = (rs: readonly Resource[]) => scalarTotals(rs.filter((r) => r.type === "SCALAR"));

function checkWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0) throw new Error(`sorter: weight must be a positive number, got ${weight}`);
  return weight;
}

/** Implements all of `Sorter` except the policy (`sort`); subclasses rank `activeClients()`. */
export abstract class BaseSorter implements Sorter {
  private readonly clients = new Map<string, ClientState>();
  private readonly totals = new Map<string, Resource[]>();
  private totalScalarsCache: Map<string, number> | undefined;

  add(client: string, weight = 1): void {
    if (this.clients.has(client)) throw new Error(`sorter: client '${client}' is already added`);
    this.clients.set(client, { weight: checkWeight(weight), active: false, allocations: 0, byAgent: new Map() });
  }

  remove(client: string): void {
    this.state(client);
    this.clients.delete(client);
  }

  activate(client: string): void {
    this.state(client).active = true;
  }

  deactivate(client: string): void {
    this.state(client).active = false;
  }

  contains(client: string): boolean {
    return this.clients.has(client);
  }

  isActive(client: string): boolean {
    return this.clients.get(client)?.active ?? false;
  }

  updateWeight(client: string, weight: number): void {
    this.state(client).weight = checkWeight(weight);
  }

  weight(client: string): number {
    return this.state(client).weight;
  }

  addTotal(agentId: string, resources: readonly Resource[]): void {
    if (this.totals.has(agentId)) throw new Error(`sorter: agent '${agentId}' total is already added`);
    this.totals.set(agentId, normalize(stripAllocationInfo(resources)));
    this.totalScalarsCache = undefined;
  }

  removeTotal(agentId: string): void {
    if (!this.totals.delete(agentId)) throw new Error(`sorter: agent '${agentId}' has no total`);
    this.totalScalarsCache = undefined;
  }

  total(): Resource[] {
    return normalize([...this.totals.values()].flat());
  }

  allocated(client: string, agentId: string, resources: readonly Resource[]): void {
    const st = this.state(client);
    st.byAgent.set(agentId, add(st.byAgent.get(agentId) ?? [], resources));
    st.allocations += 1;
    // keep the cache warm (the allocator records one offer per agent); `scalar` rounds like the sdk does
    if (st.scalars) for (const [name, qty] of scalarsOnly(resources)) st.scalars.set(name, scalar(name, (st.scalars.get(name) ?? 0) + qty).scalar?.value ?? 0);
  }

  unallocated(client: string, agentId: string, resources: readonly Resource[]): void {
    const st = this.state(client);
    const held = st.byAgent.get(agentId) ?? [];
    if (!contains(held, resources)) throw new Error(`sorter: client '${client}' does not hold those resources on agent '${agentId}'`);
    const left = subtract(held, resources);
    if (left.length === 0) st.byAgent.delete(agentId);
    else st.byAgent.set(agentId, left);
    st.scalars = undefined;
  }

  allocation(client: string, agentId?: string): Resource[] {
    const st = this.state(client);
    if (agentId !== undefined) return [...(st.byAgent.get(agentId) ?? [])];
    return normalize([...st.byAgent.values()].flat());
  }

  count(): number {
    return this.clients.size;
  }

  abstract sort(): string[];

  /** Active client ids with their state, in id order (a canonical start for any policy). */
  protected activeClients(): Array<[string, ClientState]> {
    return [...this.clients].filter(([, st]) => st.active).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Scalar quantities held by a client, by name (cached until its allocation changes). */
  protected heldScalars(st: ClientState): Map<string, number> {
    st.scalars ??= scalarsOnly([...st.byAgent.values()].flat());
    return st.scalars;
  }

  /** Scalar quantities of the pool, by name (cached until an agent total changes). */
  protected totalScalars(): Map<string, number> {
    this.totalScalarsCache ??= scalarsOnly([...this.totals.values()].flat());
    return this.totalScalarsCache;
  }

  /** The state of a known client; throws naming it when unknown. */
  protected state(client: string): ClientState {
    const st = this.clients.get(client);
    if (!st) throw new Error(`sorter: unknown client '${client}'`);
    return st;
  }
}
