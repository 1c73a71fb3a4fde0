/**
 * The master's durable records: what is written to SQLite and mirrored in memory.
 * One shape for both the Durable Object's store and the in-memory store used by tests.
 */

import type { AgentCommand, Attribute, FrameworkInfo, Resource, TaskInfo, TaskState, TaskStatus } from "../../../schemas/index.ts";
import { taskKey } from "../../../sdk/src/ids.ts";

/**
 * A registered agent: what it declared at (re-)registration, `resources` with its dynamic
 * reservations and volumes applied. Liveness is kept in memory only.
 */
export interface AgentRecord {
  id: string;
  hostname: string;
  port: number;
  resources: Resource[];
  attributes: Attribute[];
  version?: string;
  registeredAt: number;
  /** SHA-256 (hex) of the agent's current token; absent for agents registered before tokens. */
  tokenHash?: string;
  /** The IP the agent announced: with `hostname`, the machine maintenance is scheduled for (maintenance.ts). */
  ip?: string;
  /** DEACTIVATE_AGENT or DRAIN_AGENT: no offers are made from it until REACTIVATE_AGENT (agent-drain.ts). */
  deactivated?: boolean;
  /** DRAIN_AGENT: how far the drain is and how it was asked for (Mesos `DrainInfo`; agent-drain.ts). */
  drain?: AgentDrainInfo;
  /** When it was marked unreachable (not heard from in time); cleared when it re-registers. See partitions.ts. */
  unreachableAt?: number;
  /** When an operator marked it gone (MARK_AGENT_GONE): it may never come back. */
  goneAt?: number;
  /**
   * What the agent declared, kept once dynamic reservations or persistent volumes made
   * `resources` (its total, what is offered) differ from it (see reservations.ts).
   */
  declared?: Resource[];
}

/** An agent's drain (Mesos `DrainInfo`): DRAINING until no task is left on it, then DRAINED. */
export interface AgentDrainInfo {
  state: "DRAINING" | "DRAINED";
  config: { max_grace_period?: { nanoseconds: number }; mark_gone?: boolean };
}

/** A framework that subscribed at least once; `removed` after TEARDOWN. */
export interface FrameworkRecord {
  id: string;
  info: FrameworkInfo;
  principal?: string;
  registeredAt: number;
  removed: boolean;
  /** When its stream broke (or the master restarted without it); cleared by SUBSCRIBE. See failover.ts. */
  disconnectedAt?: number;
  /** When it is removed unless it subscribes again (`disconnectedAt` + failover_timeout). */
  failoverDeadline?: number;
}

/** A task the master accepted; `state` is the latest state known (acknowledged or not). */
export interface TaskRecord {
  frameworkId: string;
  taskId: string;
  agentId: string;
  info: TaskInfo;
  state: TaskState;
  status?: TaskStatus;
  updatedAt: number;
}

/** A status update kept until the framework acknowledges it (and the agent learns so). */
export interface UpdateRecord {
  uuid: string;
  seq: number;
  frameworkId: string;
  taskId: string;
  /** Absent for updates the master generated itself (e.g. TASK_ERROR for an invalid launch). */
  agentId?: string;
  status: TaskStatus;
  acked: boolean;
  /** Sent by the agent, which keeps it until acknowledged: the master keeps no row of it. */
  fromAgent?: boolean;
}

/** A command queued for an agent, kept until the agent reports its seq taken over. */
export interface CommandRecord {
  seq: number;
  agentId: string;
  command: AgentCommand;
}

/** Everything the master keeps durably. */
export interface PersistedState {
  agents: AgentRecord[];
  frameworks: FrameworkRecord[];
  tasks: TaskRecord[];
  updates: UpdateRecord[];
  commands: CommandRecord[];
  /** Counters that must never go backwards (e.g. `next_command_seq`). */
  meta: Record<string, number>;
  /**
   * Cluster-wide settings kept as JSON documents under a name (role weights, quotas, the
   * maintenance schedule, …): each area owns its keys and the shape of its values.
   */
  settings: Record<string, unknown>;
}

/** One row-level change; a list of them is committed in one transaction. */
export type Change =
  | { table: "agents"; put: AgentRecord }
  | { table: "frameworks"; put: FrameworkRecord }
  | { table: "frameworks"; delete: string }
  | { table: "tasks"; put: TaskRecord }
  | { table: "tasks"; delete: string }
  | { table: "updates"; put: UpdateRecord }
  | { table: "updates"; delete: string }
  | { table: "commands"; put: CommandRecord }
  | { table: "commands"; delete: number }
  | { table: "meta"; key: string; value: number }
  /** `value: null` deletes the setting. */
  | { table: "settings"; key: string; value: unknown };

/** Durable storage of the master: load everything once, then commit changes atomically. */
export interface Store {
  load(): PersistedState;
  commit(changes: readonly Change[]): void;
}

/** The key of a task (one spelling for the master and the agent; see sdk/src/ids.ts). */
export { taskKey };

/** The key of the row a change touches, in its table. */
export function changeKey(c: Change): string | number {
  if (c.table === "meta" || c.table === "settings") return c.key;
  if ("delete" in c) return c.delete;
  switch (c.table) {
    case "agents":
    case "frameworks":
      return c.put.id;
    case "tasks":
      return taskKey(c.put.frameworkId, c.put.taskId);
    case "updates":
      return c.put.uuid;
    case "commands":
      return c.put.seq;
  }
}
