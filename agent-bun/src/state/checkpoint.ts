/**
 * The agent's durable state: its id, the last command seq it took over, the tasks it knows
 * and the status updates not yet acknowledged. Written as one JSON file, atomically
 * (write a temp file, fsync, rename), before anything that depends on it is told to the master:
 * changes are grouped, one write covering all made since the last (`StateStore`).
 */
import { readdirSync, readFileSync, unlinkSync } from "node:fs";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { TaskInfo, TaskState, TaskStatus } from "../../../schemas/mesos.ts";
import { taskKey } from "../../../sdk/src/ids.ts";
import { nextTurn } from "../system/clock.ts";

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
  /** Name of the task's Docker container (DOCKER tasks; docker-containerizer.ts). */
  docker_container?: string;
  /** Minor numbers of the GPUs given to the task (containerizers/gpu-containerizer.ts): still in use after an agent restart. */
  gpus?: number[];
  /** A KILL arrived: the terminal state will be TASK_KILLED. */
  kill_requested?: boolean;
  /**
   * The KILL was a preemption (the master evicts a revocable task): the terminal state to
   * report instead of TASK_KILLED, with reason REASON_CONTAINER_PREEMPTED.
   */
  preempted?: "TASK_GONE" | "TASK_LOST";
  /**
   * The TaskInfo as launched, so that an agent that re-attaches to the task after a restart
   * (`--recover=reconnect`) still knows its kill policy, its resources (memory limit, volumes
   * in use) and the rest.
   */
  info?: TaskInfo;
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
  /** Keyed by `taskKey(framework_id, task_id)` (sdk/src/ids.ts). */
  tasks: Record<string, TaskRecord>;
  /** Unacknowledged updates, oldest first. */
  updates: PendingUpdate[];
  /** Acknowledged uuids not yet confirmed to the master in a poll's `acked_uuids`. */
  acked_uuids: string[];
}

/**
 * `tasks` keyed by `taskKey` of each record's own ids, in the same order. Agents before the one
 * `taskKey` of sdk/src/ids.ts joined the ids with a NUL (`fw\u0000task`): an agent upgraded in
 * place re-keys such a checkpoint when it loads it (`StateStore`), and so still finds its tasks.
 */
function keyedByTaskKey(tasks: Record<string, TaskRecord>): Record<string, TaskRecord> {
  const out: Record<string, TaskRecord> = {};
  for (const record of Object.values(tasks)) out[taskKey(record.framework_id, record.task_id)] = record;
  return out;
}

/** An empty state (fresh agent). */
export const emptyState = (): AgentState => ({ last_seq: 0, tasks: {}, updates: [], acked_uuids: [] });

/**
 * Where state is persisted; the file implementation and in-memory stand-ins implement it.
 * `write` must serialize `state` before it first yields (the caller keeps mutating it), and
 * resolve only once that snapshot is durable.
 */
export interface CheckpointStore {
  /** False for a store that keeps nothing: `StateStore.flush()` then has nothing to wait for. */
  readonly persistent: boolean;
  load(): AgentState | undefined;
  write(state: AgentState): Promise<void>;
}

/** The temp file `writeFileAtomic` writes `path` through: never read as `path` itself. */
const tempPrefix = (path: string) => `${basename(path)}.tmp-`;

/**
 * Writes `data` to `path` atomically: temp file in the same directory, fsync, rename, fsync of
 * the directory (so the rename survives a crash). When any step fails (ENOSPC, EIO) the temp
 * file is removed, `path` keeps its previous content, and the error is thrown.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${tempPrefix(path)}${process.pid}`);
  try {
    const file = await open(tmp, "w", 0o600);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  const d = await open(dir, "r");
  try {
    await d.sync();
  } catch (e) {
    // Some filesystems cannot fsync a directory; the rename is then as durable as they make it.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "ENOTSUP") throw e;
  } finally {
    await d.close();
  }
}

/** A checkpoint that is there but cannot be used: torn, not JSON, or not an agent state. */
export class CorruptCheckpointError extends Error {
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(
      `checkpoint ${path} is corrupt (${why}); the agent refuses to start on it, since it would forget its tasks. ` +
        "To start as a new agent (whose tasks of the previous run are no longer known to it), move it aside (keep it for inspection) and start again",
    );
    this.name = "CorruptCheckpointError";
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const isOptionalString = (x: unknown) => x === undefined || typeof x === "string";

/** Why `x` is not an `AgentState` (the fields the agent relies on), or undefined when it is one. */
function stateProblem(x: unknown): string | undefined {
  if (!isObject(x)) return "not a JSON object";
  if (!isOptionalString(x.agent_id) || !isOptionalString(x.agent_token)) return "agent_id or agent_token is not a string";
  if (x.last_seq !== undefined && !(Number.isSafeInteger(x.last_seq) && (x.last_seq as number) >= 0)) return "last_seq is not a count";
  if (x.tasks !== undefined) {
    if (!isObject(x.tasks)) return "tasks is not an object";
    for (const [key, t] of Object.entries(x.tasks)) {
      if (!isObject(t) || typeof t.framework_id !== "string" || typeof t.task_id !== "string" || typeof t.state !== "string") {
        return `task ${JSON.stringify(key)} lacks its framework_id, task_id or state`;
      }
    }
  }
  if (x.updates !== undefined) {
    if (!Array.isArray(x.updates)) return "updates is not a list";
    for (const u of x.updates) {
      if (!isObject(u) || typeof u.framework_id !== "string" || !isObject(u.status) || typeof u.status.uuid !== "string") {
        return "an update lacks its framework_id or status uuid";
      }
    }
  }
  if (x.acked_uuids !== undefined && !(Array.isArray(x.acked_uuids) && x.acked_uuids.every((u) => typeof u === "string"))) {
    return "acked_uuids is not a list of strings";
  }
  return undefined;
}

/** The checkpoint in `<work-dir>/meta/agent-state.json`. */
export class FileCheckpointStore implements CheckpointStore {
  readonly persistent = true;
  readonly path: string;

  constructor(workDir: string) {
    this.path = join(workDir, "meta", "agent-state.json");
  }

  /**
   * The checkpoint, verified; undefined when there is none (a fresh agent). Removes temp files
   * left by a write that a crash interrupted (never read: the rename is what commits a write).
   * Throws `CorruptCheckpointError` for a checkpoint that is torn or not an agent state.
   */
  load(): AgentState | undefined {
    this.removeTempFiles();
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new CorruptCheckpointError(this.path, `not valid JSON: ${(e as Error).message}`);
    }
    const problem = stateProblem(parsed);
    if (problem) throw new CorruptCheckpointError(this.path, problem);
    return { ...emptyState(), ...(parsed as Partial<AgentState>) };
  }

  private removeTempFiles(): void {
    const dir = dirname(this.path);
    const prefix = tempPrefix(this.path);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    for (const name of names) if (name.startsWith(prefix)) unlinkSync(join(dir, name));
  }

  write(state: AgentState): Promise<void> {
    // Serialized now, synchronously: later changes belong to the next write.
    return writeFileAtomic(this.path, JSON.stringify(state));
  }
}

/** In-memory store for tests; `writes` counts writes, `load()` returns the last one written. */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly persistent = true;
  writes = 0;
  private snapshot: string | undefined;

  load(): AgentState | undefined {
    return this.snapshot === undefined ? undefined : (JSON.parse(this.snapshot) as AgentState);
  }

  async write(state: AgentState): Promise<void> {
    this.writes++;
    this.snapshot = JSON.stringify(state);
  }
}

/**
 * Keeps nothing: the live state in `StateStore` is all there is. For hollow agents, which
 * never restart in place and must not write to disk (thousands share one process).
 */
export class VolatileCheckpointStore implements CheckpointStore {
  readonly persistent = false;

  load(): AgentState | undefined {
    return undefined;
  }

  async write(): Promise<void> {}
}

/**
 * The live state plus the store it is persisted to, with group commit: mutate `state`, call
 * `changed()` (cheap, synchronous), and `await flush()` before telling the master anything
 * that depends on the change. One write (one fsync) covers every change made before it
 * started, so a burst of changes costs a few writes, not one each, and the event loop never
 * blocks on the disk.
 */
export class StateStore {
  readonly state: AgentState;
  /** Bumped by every `changed()`. */
  private version = 0;
  /** The version the last completed write holds. */
  private durable = 0;
  private writing: Promise<void> | undefined;

  constructor(private readonly store: CheckpointStore) {
    const loaded = store.load();
    this.state = loaded ? { ...loaded, tasks: keyedByTaskKey(loaded.tasks) } : emptyState();
  }

  /** Records that `state` changed; the change is on disk once a later `flush()` resolves. */
  changed(): void {
    this.version++;
  }

  /** True when every change is on disk. */
  get clean(): boolean {
    return this.durable >= this.version || !this.store.persistent;
  }

  /**
   * Resolves once every change made before this call is durable; rejects when the write failed
   * (the changes stay pending: a later flush writes them). Concurrent callers share writes:
   * at most one is in flight, and the next one covers everything changed meanwhile.
   */
  async flush(): Promise<void> {
    if (!this.store.persistent) return;
    const target = this.version;
    while (this.durable < target) {
      this.writing ??= this.write();
      await this.writing;
    }
  }

  private async write(): Promise<void> {
    try {
      // Changes made in this same turn (e.g. a task's STARTING and RUNNING) join this write.
      await nextTurn();
      const version = this.version;
      await this.store.write(this.state);
      this.durable = Math.max(this.durable, version);
    } finally {
      this.writing = undefined;
    }
  }
}
