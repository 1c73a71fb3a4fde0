/**
 * A `Sorter` over hierarchical role names (Mesos' role tree, docs/roles.md): clients are paths
 * like `eng/backend`, and the order is found level by level, as Mesos' `DRFSorter` does since
 * hierarchical roles: the children of each node are ranked by a flat sorter (DRF or random),
 * where a child's allocation is that of its whole subtree and its weight is its own; the clients
 * come out in a depth-first walk of the ranked children. So siblings are compared by weighted
 * dominant share, and a role's descendants compete only among themselves for what their
 * ancestor wins.
 *
 * A client that also has descendants (frameworks in `eng` and in `eng/backend`) takes part in
 * its own node's ranking as a virtual child `eng/.` (`.` can never be a role part), weight 1,
 * beside its real children: as Mesos' "virtual leaf". Every client node has that entry, even
 * without children, so a node never changes shape when children come and go.
 *
 * The flat sorters come from a factory (so the same tree works with DRF and random ordering)
 * and every one of them sees the same pool: shares at every level are of the whole cluster.
 * Weights of inner nodes that are not clients come from `weightOf` (the role weights).
 */
import type { Resource } from "../../../schemas/mesos.ts";
import type { Sorter } from "./sorter.ts";

interface Node {
  path: string;
  parent: Node | undefined;
  sorter: Sorter;
  children: Map<string, Node>;
  client: boolean;
  /** Active clients in this subtree (itself included). */
  activeBelow: number;
}

const selfKey = (path: string) => `${path}/.`;

/** A role tree of flat sorters; see the file comment. */
export class HierarchicalSorter implements Sorter {
  private readonly root: Node;
  private readonly nodes = new Map<string, Node>();
  private readonly totals = new Map<string, readonly Resource[]>();
  private clients = 0;

  constructor(
    private readonly makeSorter: () => Sorter,
    private readonly weightOf: (path: string) => number = () => 1,
  ) {
    this.root = { path: "", parent: undefined, sorter: makeSorter(), children: new Map(), client: false, activeBelow: 0 };
  }

  add(client: string, weight?: number): void {
    if (this.nodes.get(client)?.client) throw new Error(`sorter: client '${client}' is already added`);
    if (weight !== undefined && (!Number.isFinite(weight) || weight <= 0)) throw new Error(`sorter: weight must be a positive number, got ${weight}`);
    const node = this.nodeFor(client);
    if (weight !== undefined) node.parent!.sorter.updateWeight(node.path, weight);
    node.client = true;
    node.sorter.add(selfKey(client));
    this.clients += 1;
  }

  remove(client: string): void {
    const node = this.clientNode(client);
    this.deactivate(client);
    const byAgent = node.sorter.allocationsByAgent(selfKey(client));
    for (const [agent, resources] of byAgent) this.chain(node, (sorter, key) => sorter.unallocated(key, agent, resources), false);
    node.sorter.remove(selfKey(client));
    node.client = false;
    this.clients -= 1;
    this.prune(node);
  }

  activate(client: string): void {
    const node = this.clientNode(client);
    if (node.sorter.isActive(selfKey(client))) return;
    node.sorter.activate(selfKey(client));
    for (let n: Node | undefined = node; n?.parent; n = n.parent) {
      if (n.activeBelow++ === 0) n.parent.sorter.activate(n.path);
    }
  }

  deactivate(client: string): void {
    const node = this.clientNode(client);
    if (!node.sorter.isActive(selfKey(client))) return;
    node.sorter.deactivate(selfKey(client));
    for (let n: Node | undefined = node; n?.parent; n = n.parent) {
      if (--n.activeBelow === 0) n.parent.sorter.deactivate(n.path);
    }
  }

  contains(client: string): boolean {
    return this.nodes.get(client)?.client ?? false;
  }

  isActive(client: string): boolean {
    const node = this.nodes.get(client);
    return node?.client === true && node.sorter.isActive(selfKey(client));
  }

  updateWeight(client: string, weight: number): void {
    const node = this.clientNode(client);
    node.parent!.sorter.updateWeight(node.path, weight);
  }

  weight(client: string): number {
    const node = this.clientNode(client);
    return node.parent!.sorter.weight(node.path);
  }

  addTotal(agentId: string, resources: readonly Resource[]): void {
    if (this.totals.has(agentId)) throw new Error(`sorter: agent '${agentId}' total is already added`);
    this.totals.set(agentId, resources);
    this.root.sorter.addTotal(agentId, resources);
    for (const node of this.nodes.values()) node.sorter.addTotal(agentId, resources);
  }

  removeTotal(agentId: string): void {
    if (!this.totals.has(agentId)) throw new Error(`sorter: agent '${agentId}' has no total`);
    this.totals.delete(agentId);
    this.root.sorter.removeTotal(agentId);
    for (const node of this.nodes.values()) node.sorter.removeTotal(agentId);
  }

  total(): Resource[] {
    return this.root.sorter.total();
  }

  allocated(client: string, agentId: string, resources: readonly Resource[]): void {
    this.chain(this.clientNode(client), (sorter, key) => sorter.allocated(key, agentId, resources), true);
  }

  /** Counts them for the client's own entry and for each ancestor's entry of the subtree holding it, as `allocated` does. */
  counted(client: string, allocations: number): void {
    this.chain(this.clientNode(client), (sorter, key) => sorter.counted(key, allocations), true);
  }

  unallocated(client: string, agentId: string, resources: readonly Resource[]): void {
    const node = this.clientNode(client);
    node.sorter.unallocated(selfKey(client), agentId, resources); // checks first: throws before anything changed
    this.chain(node, (sorter, key) => sorter.unallocated(key, agentId, resources), false);
  }

  allocation(client: string, agentId?: string): Resource[] {
    return this.clientNode(client).sorter.allocation(selfKey(client), agentId);
  }

  allocationsByAgent(client: string): Map<string, Resource[]> {
    return this.clientNode(client).sorter.allocationsByAgent(selfKey(client));
  }

  sort(): string[] {
    const out: string[] = [];
    this.visit((c) => {
      out.push(c);
      return true;
    });
    return out;
  }

  ordered(): readonly string[] {
    return this.sort();
  }

  visit(visit: (client: string) => boolean): void {
    this.visitNode(this.root, visit);
  }

  count(): number {
    return this.clients;
  }

  /** Visits the clients below `node`; false when `visit` asked to stop. */
  private visitNode(node: Node, visit: (client: string) => boolean): boolean {
    let more = true;
    node.sorter.visit((key) => {
      const child = node.children.get(key);
      more = child === undefined ? visit(node.path) : this.visitNode(child, visit);
      return more;
    });
    return more;
  }

  /** Calls `f` for the client's own entry (when `self`) and each ancestor's entry of the subtree holding it. */
  private chain(node: Node, f: (sorter: Sorter, key: string) => void, self: boolean): void {
    if (self) f(node.sorter, selfKey(node.path));
    for (let n: Node = node; n.parent; n = n.parent) f(n.parent.sorter, n.path);
  }

  private clientNode(client: string): Node {
    const node = this.nodes.get(client);
    if (!node?.client) throw new Error(`sorter: unknown client '${client}'`);
    return node;
  }

  /** The node of `path`, made (with its ancestors) when missing. */
  private nodeFor(path: string): Node {
    const existing = this.nodes.get(path);
    if (existing) return existing;
    const cut = path.lastIndexOf("/");
    const parent = cut > 0 ? this.nodeFor(path.slice(0, cut)) : this.root;
    const node: Node = { path, parent, sorter: this.makeSorter(), children: new Map(), client: false, activeBelow: 0 };
    for (const [agent, resources] of this.totals) node.sorter.addTotal(agent, resources);
    parent.sorter.add(path, this.weightOf(path));
    parent.children.set(path, node);
    this.nodes.set(path, node);
    return node;
  }

  /** Drops `node` and its ancestors while they are neither clients nor have children. */
  private prune(node: Node): void {
    for (let n: Node | undefined = node; n?.parent && !n.client && n.children.size === 0; n = n.parent) {
      n.parent.sorter.remove(n.path);
      n.parent.children.delete(n.path);
      this.nodes.delete(n.path);
    }
  }
}
