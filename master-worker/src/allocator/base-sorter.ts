/**
 * The bookkeeping every sorter shares (clients, weights, activity, per-agent allocations, the
 * resource pool), so DRF and random differ only in how they order clients: one copy of the
 * rules the conformance suite checks.
 *
 * Built for allocation runs over tens of thousands of agents: recording an allocation appends
 * (client, agent, list) to one log for the whole sorter and adds the list's scalars to the
 * client's running vector (no list merging, no map or array per client or agent); the log is
 * read only when someone asks what a client holds (`allocation`, `unallocated`), which the
 * allocator does not do, and `total` merges the agent totals when asked. Subclasses hear about
 * every change through `changed` and `poolChanged`, so a policy can keep its order up to date
 * instead of recomputing it.
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { contains, normalize, unallocated as stripAllocationInfo, subtract } from "../../../sdk/src/resources.ts";
import { addScalars, type ScalarVector, scalarVector } from "./scalar-quantities.ts";
import type { Sorter } from "./sorter.ts";

/** What a sorter knows about one client; read by subclasses to rank it. */
export interface ClientState {
  id: string;
  weight: number;
  active: boolean;
  /** Allocations recorded so far (Mesos' `allocations` counter, a DRF tie-breaker). */
  allocations: number;
  /** Scalar quantities held (`slotOf` slots, roles summed), always up to date. */
  scalars: ScalarVector;
}

function checkWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0) throw new Error(`sorter: weight must be a positive number, got ${weight}`);
  return weight;
}

/** Implements all of `Sorter` except the policy (`sort`, `ordered`); subclasses rank `activeClients()`. */
export abstract class BaseSorter implements Sorter {
  private readonly clients = new Map<string, ClientState>();
  private readonly totals = new Map<string, readonly Resource[]>();
  private readonly pool: ScalarVector = scalarVector();
  /** The allocations recorded, in order: `logClients[i]` got `logLists[i]` on `logAgents[i]`. */
  private readonly logClients: ClientState[] = [];
  private readonly logAgents: string[] = [];
  private readonly logLists: Array<readonly Resource[]> = [];

  add(client: string, weight = 1): void {
    if (this.clients.has(client)) throw new Error(`sorter: client '${client}' is already added`);
    const st = this.createState({ id: client, weight: checkWeight(weight), active: false, allocations: 0, scalars: scalarVector() });
    this.clients.set(client, st);
    this.changed(st);
  }

  remove(client: string): void {
    const st = this.state(client);
    this.clients.delete(client);
    this.forget(st);
    this.changed(st);
  }

  activate(client: string): void {
    const st = this.state(client);
    st.active = true;
    this.changed(st);
  }

  deactivate(client: string): void {
    const st = this.state(client);
    st.active = false;
    this.changed(st);
  }

  contains(client: string): boolean {
    return this.clients.has(client);
  }

  isActive(client: string): boolean {
    return this.clients.get(client)?.active ?? false;
  }

  updateWeight(client: string, weight: number): void {
    const st = this.state(client);
    st.weight = checkWeight(weight);
    this.changed(st);
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
    this.logClients.push(st);
    this.logAgents.push(agentId);
    this.logLists.push(resources);
    st.allocations += 1;
    addScalars(st.scalars, resources);
    this.changed(st);
  }

  counted(client: string, allocations: number): void {
    const st = this.state(client);
    if (!Number.isSafeInteger(allocations) || allocations < 0) throw new Error(`sorter: allocations must be a whole number ≥ 0, got ${allocations}`);
    if (allocations === 0) return;
    st.allocations += allocations;
    this.changed(st);
  }

  unallocated(client: string, agentId: string, resources: readonly Resource[]): void {
    const st = this.state(client);
    const held = this.held(st, agentId);
    if (!contains(held, resources)) throw new Error(`sorter: client '${client}' does not hold those resources on agent '${agentId}'`);
    const left = subtract(held, resources);
    this.forget(st, agentId);
    if (left.length > 0) {
      this.logClients.push(st);
      this.logAgents.push(agentId);
      this.logLists.push(left);
    }
    addScalars(st.scalars, resources, -1);
    this.changed(st);
  }

  allocation(client: string, agentId?: string): Resource[] {
    return this.held(this.state(client), agentId);
  }

  count(): number {
    return this.clients.size;
  }

  allocationsByAgent(client: string): Map<string, Resource[]> {
    const st = this.state(client);
    const lists = new Map<string, Array<readonly Resource[]>>();
    for (let i = 0; i < this.logClients.length; i++) {
      if (this.logClients[i] !== st) continue;
      const agent = this.logAgents[i]!;
      let l = lists.get(agent);
      if (!l) lists.set(agent, (l = []));
      l.push(this.logLists[i]!);
    }
    const out = new Map<string, Resource[]>();
    for (const [agent, l] of lists) {
      const merged = normalize(l.flat());
      if (merged.length > 0) out.set(agent, merged);
    }
    return out;
  }

  abstract sort(): string[];

  abstract ordered(): readonly string[];

  /** Any policy can visit its `ordered()` list (a DRF sorter does better). */
  visit(visit: (client: string) => boolean): void {
    for (const client of this.ordered()) if (!visit(client)) return;
  }

  /** Takes the state of a new client: a policy may add fields of its own to it (and return it). */
  protected createState(st: ClientState): ClientState {
    return st;
  }

  /** What `st` holds on `agentId` (or anywhere), merged from the log. */
  private held(st: ClientState, agentId?: string): Resource[] {
    const lists: Array<readonly Resource[]> = [];
    for (let i = 0; i < this.logClients.length; i++) {
      if (this.logClients[i] === st && (agentId === undefined || this.logAgents[i] === agentId)) lists.push(this.logLists[i]!);
    }
    return normalize(lists.flat());
  }

  /** Drops the log entries of `st` (on `agentId` only, when given), keeping the others in order. */
  private forget(st: ClientState, agentId?: string): void {
    const clients = this.logClients,
      agents = this.logAgents,
      lists = this.logLists;
    let w = 0;
    for (let i = 0; i < clients.length; i++) {
      if (clients[i] === st && (agentId === undefined || agents[i] === agentId)) continue;
      clients[w] = clients[i]!;
      agents[w] = agents[i]!;
      lists[w] = lists[i]!;
      w++;
    }
    clients.length = agents.length = lists.length = w;
  }

  /** Called after anything that may change how `st` ranks (it may have been removed: `find(st.id) !== st`). */
  protected changed(_st: ClientState): void {}

  /** Called after the pool changed (every client's share may have). */
  protected poolChanged(): void {}

  /** Every client, active or not, in no particular order. */
  protected allClients(): IterableIterator<ClientState> {
    return this.clients.values();
  }

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
