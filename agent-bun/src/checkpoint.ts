/**
 * The agent's durable state: its id, the last command seq it took over, the tasks it knows
 * and the status updates not yet acknowledged. Written as one JSON file, atomically
 * (write a temp file, fsync, rename), before anything that depends on it is told to the master.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TaskState, TaskStatus } from "../../schemas/mesos.ts";

/** A task the agent has taken over, and what it knows of its process. */
export interface TaskRecord {
  framework_id: string;
  task_id: string;
  state: TaskState;
  sandbox?: string;
  /** Process (group leader) id once spawned. */
  pid?: number;
  /** Kernel boot id when spawned: a pid from another boot means nothing. */
  boot_id?: string;
  /** The process's start time (clock ticks since boot), to tell it from a reused pid. */
  pid_start?: string;
  /** Name of the task's cgroup under the agent's cgroups root, if it has one. */
  cgroup?: string;
  /** A KILL arrived: the terminal state will be TASK_KILLED. */
  kill_requested?: boolean;
}

/** A status update waiting for the framework's acknowledgement. */
export interface PendingUpdate {
  framework_id: string;
  status: TaskStatus & { uuid: string };
}

/** Everything checkpointed. */
export interface AgentState {
  agent_id?: string;
  /** The secret the master issued with `agent_id`, presented on every later call. Never logged. */
  agent_token?: string;
  /** Highest command seq whose effect is checkpointed (reported as `ack_seq`). */
  last_seq: number;
  /** Keyed by `taskKey(framework_id, task_id)`. */
  tasks: Record<string, TaskRecord>;
  /** Unacknowledged updates, oldest first. */
  updates: PendingUpdate[];
  /** Acknowledged uuids not yet confirmed to the master in a poll's `acked_uuids`. */
  acked_uuids: string[];
}

/** The key of a task in `AgentState.tasks`. */
export const taskKey = (frameworkId: string, taskId: string): string => `${frameworkId}\u0000${taskId}`;

/** An empty state (fresh agent). */
export const emptyState = (): AgentState => ({ last_seq: 0, tasks: {}, updates: [], acked_uuids: [] });

/** Where state is persisted; the file implementation and an in-memory fake implement it. */
export interface CheckpointStore {
  load(): AgentState | undefined;
  save(state: AgentState): void;
}

/** Writes `data` to `path` atomically: temp file in the same directory, fsync, rename. */
export function writeFileAtomic(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** The checkpoint in `<work-dir>/meta/agent-state.json`. */
export class FileCheckpointStore implements CheckpointStore {
  readonly path: string;

  constructor(workDir: string) {
    this.path = join(workDir, "meta", "agent-state.json");
  }

  load(): AgentState | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    const parsed = JSON.parse(text) as Partial<AgentState>;
    return { ...emptyState(), ...parsed };
  }

  save(state: AgentState): void {
    writeFileAtomic(this.path, JSON.stringify(state));
  }
}

/** In-memory store for tests; `saves` counts writes, `snapshot` is the last one written. */
export class MemoryCheckpointStore implements CheckpointStore {
  saves = 0;
  private snapshot: string | undefined;

  load(): AgentState | undefined {
    return this.snapshot === undefined ? undefined : (JSON.parse(this.snapshot) as AgentState);
  }

  save(state: AgentState): void {
    this.saves++;
    this.snapshot = JSON.stringify(state);
  }
}

/**
 * Keeps nothing: the live state in `StateStore` is all there is. For hollow agents, which
 * never restart in place and must not write to disk (thousands share one process).
 */
export class VolatileCheckpointStore implements CheckpointStore {
  load(): AgentState | undefined {
    return undefined;
  }

  save(): void {}
}

/** The live state plus the store it is persisted to: mutate `state`, then `save()`. */
export class StateStore {
  readonly state: AgentState;

  constructor(private readonly store: CheckpointStore) {
    this.state = store.load() ?? emptyState();
  }

  /** Persists the current state; call after every change the master may learn about. */
  save(): void {
    this.store.save(this.state);
  }
}
