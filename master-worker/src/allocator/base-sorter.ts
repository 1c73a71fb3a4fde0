/**
 * The bookkeeping every sorter shares (clients, weights, activity, per-agent allocations, the
 * resource pool), so DRF and random differ only in how they order clients: one copy of the
 * rules the conformance suite checks.
 *
 * Built for allocation runs over tens of thousands of agents: recording an allocation appends
 * the list given to a log and adds its scalars to a running vector (no list merging, no map per
 * agent); the log is merged only when someone reads it (`allocation`, `unallocated`, `total`),
 * which the allocator does not do. Subclasses hear about every change through `changed` and
 * `poolChanged`, so a policy can keep its order up to date instead of recomputing it.
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { contains, normalize, subtract, unallocated as stripAllocationInfo } from "../../../sdk/src/resources.ts";
import { addScalars, scalarVector, type ScalarVector } from "./scalar-quantities.ts";
import type { Sorter } from "./sorter.ts";

/** What a sorter knows about one client; read by subclasses to rank it. */
export interface ClientState {
  id: string;
  weight: number;
  active: boolean;
  /** Allocations recorded so far (Mesos' `allocations` counter, a DRF tie-breaker). */
  allocations: number;
  /** The allocations recorded, in order: `agents[i]` got `lists[i]`. Merged only when read. */
  agents: string[];
  lists: Array<readonly Resource[]>;
  /** Scalar quantities held (`slotOf` slots, roles summed), always up to date. */
  scalars: ScalarVector;
}

function checkWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0) throw new Error(`sorter: weight must be a positive number, got ${weight}`);
  return weight;
}

/** What `st` holds on `agentId`, merged. */
const heldOn = (st: ClientState, agentId: string): Resource[] => normalize(st.lists.filter((_, i) => st.agents[i] === agentId).flat());

/** Implements all of `Sorter` except the policy (`sort`, `ordered`); subclasses rank `activeClients()`. */
export abstract class BaseSorter implements Sorter {
  private readonly clients = new Map<string, ClientState>();
  private readonly totals = new Map<string, readonly Resource[]>();
  private readonly pool: ScalarVector = scalarVector();

  add(client: string, weight = 1): void {
    if (this.clients.has(client)) throw new Error(`sorter: client '${client}' is already added`);
    this.clients.set(client, { id: client, weight: checkWeight(weight), active: false, allocations: 0, agents: [], lists: [], scalars: scalarVector() });
    this.changed(client);
  }

  remove(client: string): void {
    this.state(client);
    this.clients.delete(client);
    this.changed(client);
  }

  activate(client: string): void {
    this.state(client).active = true;
    this.changed(client);
  }

  deactivate(client: string): void {
    this.state(client).active = false;
    this.changed(client);
  }

  contains(client: string): boolean {
    return this.clients.has(client);
  }

  isActive(client: string): boolean {
    return this.clients.get(client)?.active ?? false;
  }

  updateWeight(client: string, weight: number): void {
    this.state(client).weight = checkWeight(weight);
    this.changed(client);
  }

  weight(client: string): number {
    return this.state(client).weight;
  }

  addTotal(agentId: string, resources: readonly Resource[]): void {
    if (this.totals.has(agentId)) throw new Error(`sorter: agent '${agentId}' total is already added`);
    this.totals.set(agentId, resources);
    addScalars(this.pool, resources);
    this.poolChanged();
  }

  removeTotal(agentId: string): void {
    const resources = this.totals.get(agentId);
    if (!resources) throw new Error(`sorter: agent '${agentId}' has no total`);
    this.totals.delete(agentId);
    addScalars(this.pool, resources, -1);
    this.poolChanged();
  }

  total(): Resource[] {
    return normalize(stripAllocationInfo([...this.totals.values()].flat()));
  }

  allocated(client: string, agentId: string, resources: readonly Resource[]): void {
    const st = this.state(client);
    st.agents.push(agentId);
    st.lists.push(resources);
    st.allocations += 1;
    addScalars(st.scalars, resources);
    this.changed(client);
  }

  unallocated(client: string, agentId: string, resources: readonly Resource[]): void {
    const st = this.state(client);
    const held = heldOn(st, agentId);
    if (!contains(held, resources)) throw new Error(`sorter: client '${client}' does not hold those resources on agent '${agentId}'`);
    const left = subtract(held, resources);
    const keep = st.agents.map((a) => a !== agentId);
    st.lists = st.lists.filter((_, i) => keep[i]);
    st.agents = st.agents.filter((_, i) => keep[i]);
    if (left.length > 0) { st.agents.push(agentId); st.lists.push(left); }
    addScalars(st.scalars, resources, -1);
    this.changed(client);
  }

  allocation(client: string, agentId?: string): Resource[] {
    const st = this.state(client);
    return agentId !== undefined ? heldOn(st, agentId) : normalize(st.lists.flat());
  }

  count(): number {
    return this.clients.size;
  }

  abstract sort(): string[];

  abstract ordered(): readonly string[];

  /** Called after anything that may change how `client` ranks (it may have been removed). */
  protected changed(_client: string): void {}

  /** Called after the pool changed (every client's share may have). */
  protected poolChanged(): void {}

  /** Active clients, in id order (a canonical start for any policy). */
  protected activeClients(): ClientState[] {
    const out: ClientState[] = [];
    for (const st of this.clients.values()) if (st.active) out.push(st);
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Scalar quantities of the pool (kept up to date as agent totals come and go). */
  protected totalScalars(): ScalarVector {
    return this.pool;
  }

  /** The state of a client, or undefined when it is not (or no longer) known. */
  protected find(client: string): ClientState | undefined {
    return this.clients.get(client);
  }

  /** The state of a known client; throws naming it when unknown. */
  protected state(client: string): ClientState {
    const st = this.clients.get(client);
    if (!st) throw new Error(`sorter: unknown client '${client}'`);
    return st;
  }
}
