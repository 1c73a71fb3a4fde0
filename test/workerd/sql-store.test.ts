/**
 * `SqlStore` against the real Durable Object SQLite storage (inside workerd): migrations,
 * commit/load round trips, deletes, and that a commit is one transaction.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AgentRecord, Change, CommandRecord, FrameworkRecord, TaskRecord, UpdateRecord } from "../../master-worker/src/store/records.ts";
import { SqlStore } from "../../master-worker/src/store/sql-store.ts";

/** Runs `fn` with the storage of a fresh `ClusterMaster` object (one per test, so no test sees another's rows). */
function withStorage<R>(fn: (storage: DurableObjectStorage) => R): Promise<R> {
  const stub = env.MASTER.get(env.MASTER.newUniqueId());
  return runInDurableObject(stub, (_instance, state) => fn(state.storage));
}

const tables = (storage: DurableObjectStorage) =>
  storage.sql
    .exec<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name",
    )
    .toArray()
    .map((r) => r.name);
const schemaVersion = (storage: DurableObjectStorage) =>
  storage.sql
    .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'")
    .toArray()
    .map((r) => r.value);

const agent = (id: string): AgentRecord => ({
  id,
  hostname: `${id}.example`,
  port: 5051,
  registeredAt: 1000,
  resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 4 } }],
  attributes: [{ name: "rack", type: "TEXT", text: { value: "r1" } }],
});
const framework = (id: string): FrameworkRecord => ({ id, info: { user: "u", name: `fw-${id}` }, principal: "alice", registeredAt: 2000, removed: false });
const task = (frameworkId: string, taskId: string, agentId: string): TaskRecord => ({
  frameworkId,
  taskId,
  agentId,
  state: "TASK_STAGING",
  updatedAt: 3000,
  info: { name: taskId, task_id: { value: taskId }, agent_id: { value: agentId }, resources: [] },
});
const update = (uuid: string, seq: number): UpdateRecord => ({
  uuid,
  seq,
  frameworkId: "f1",
  taskId: "t1",
  agentId: "a1",
  acked: false,
  status: { task_id: { value: "t1" }, state: "TASK_RUNNING", uuid },
});
const command = (seq: number): CommandRecord =>
  ({ seq, agentId: "a1", command: { type: "KILL", seq, framework_id: { value: "f1" }, task_id: { value: "t1" } } }) as CommandRecord;

describe("SqlStore migrations", () => {
  it("create the schema and record schema_version", async () => {
    await withStorage((storage) => {
      // The object's constructor has migrated its storage already: start from nothing.
      for (const t of tables(storage)) storage.sql.exec(`DROP TABLE ${t}`);
      expect(tables(storage)).toEqual([]);
      new SqlStore(storage);
      expect(tables(storage)).toEqual(["agents", "commands", "frameworks", "meta", "settings", "tasks", "updates"]);
      expect(schemaVersion(storage)).toEqual(["2"]);
      const indexes = storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'tasks_agent'").toArray();
      expect(indexes).toHaveLength(1);
    });
  });

  it("re-running them is a no-op that keeps the data", async () => {
    await withStorage((storage) => {
      const store = new SqlStore(storage);
      store.commit([{ table: "agents", put: agent("a1") }]);
      const schema = () => storage.sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name").toArray();
      const before = schema();
      const again = new SqlStore(storage);
      expect(schema()).toEqual(before);
      expect(schemaVersion(storage)).toEqual(["2"]);
      expect(again.load().agents).toEqual([agent("a1")]);
    });
  });
});

describe("SqlStore commit and load", () => {
  it("round-trip every table, updates and commands ordered by seq, meta counters as numbers", async () => {
    await withStorage((storage) => {
      const store = new SqlStore(storage);
      // uuids sort the other way round from seqs, so key order cannot pass for seq order.
      const updates = [update("u-c", 1), update("u-a", 3), update("u-b", 2)];
      store.commit([
        { table: "agents", put: agent("a1") },
        { table: "agents", put: agent("a2") },
        { table: "frameworks", put: framework("f1") },
        { table: "tasks", put: task("f1", "t1", "a1") },
        { table: "tasks", put: task("f1", "t2", "a2") },
        ...updates.map((u): Change => ({ table: "updates", put: u })),
        { table: "commands", put: command(12) },
        { table: "commands", put: command(10) },
        { table: "commands", put: command(11) },
        { table: "meta", key: "next_command_seq", value: 13 },
        { table: "settings", key: "weights", value: { "eng/backend": 2.5 } },
        { table: "settings", key: "gone", value: { x: 1 } },
        { table: "settings", key: "gone", value: null },
      ]);
      const loaded = new SqlStore(storage).load();
      const byId = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
      expect(byId(loaded.agents, (a) => a.id)).toEqual([agent("a1"), agent("a2")]);
      expect(loaded.frameworks).toEqual([framework("f1")]);
      expect(byId(loaded.tasks, (t) => t.taskId)).toEqual([task("f1", "t1", "a1"), task("f1", "t2", "a2")]);
      expect(loaded.updates.map((u) => u.seq)).toEqual([1, 2, 3]);
      expect(loaded.updates).toEqual([update("u-c", 1), update("u-b", 2), update("u-a", 3)]);
      expect(loaded.commands).toEqual([command(10), command(11), command(12)]);
      expect(loaded.meta).toEqual({ schema_version: 2, next_command_seq: 13 });
      // settings: JSON documents by key; a null value deletes the row
      expect(loaded.settings).toEqual({ weights: { "eng/backend": 2.5 } });
    });
  });

  it("replaces rows by key and deletes updates by uuid and commands by seq", async () => {
    await withStorage((storage) => {
      const store = new SqlStore(storage);
      store.commit([
        { table: "tasks", put: task("f1", "t1", "a1") },
        { table: "updates", put: update("u1", 1) },
        { table: "updates", put: update("u2", 2) },
        { table: "commands", put: command(1) },
        { table: "commands", put: command(2) },
        { table: "meta", key: "next_command_seq", value: 3 },
      ]);
      const running: TaskRecord = { ...task("f1", "t1", "a1"), state: "TASK_RUNNING", updatedAt: 4000 };
      store.commit([
        { table: "tasks", put: running },
        { table: "updates", put: { ...update("u2", 2), acked: true } },
        { table: "updates", delete: "u1" },
        { table: "commands", delete: 1 },
        { table: "meta", key: "next_command_seq", value: 4 },
      ]);
      const loaded = store.load();
      expect(loaded.tasks).toEqual([running]);
      expect(loaded.updates).toEqual([{ ...update("u2", 2), acked: true }]);
      expect(loaded.commands).toEqual([command(2)]);
      expect(loaded.meta.next_command_seq).toBe(4);
      // Deleting what is not there is not an error.
      store.commit([
        { table: "updates", delete: "nope" },
        { table: "commands", delete: 99 },
      ]);
      expect(store.load().commands).toEqual([command(2)]);
    });
  });

  it("writes a row changed several times in one commit once, with its last change; hundreds of rows in one commit", async () => {
    await withStorage((storage) => {
      const store = new SqlStore(storage);
      store.commit([{ table: "updates", put: update("kept-then-deleted", 1) }]);
      const running = task("f1", "t1", "a1");
      const finished: TaskRecord = { ...running, state: "TASK_FINISHED", updatedAt: 4000 };
      store.commit([
        { table: "tasks", put: running },
        { table: "updates", put: update("u1", 2) },
        { table: "tasks", put: finished },
        { table: "updates", put: { ...update("u1", 2), acked: true } },
        { table: "updates", delete: "kept-then-deleted" },
        { table: "updates", put: update("put-then-deleted", 3) },
        { table: "updates", delete: "put-then-deleted" },
        { table: "meta", key: "next_command_seq", value: 7 },
        { table: "meta", key: "next_command_seq", value: 9 },
      ]);
      const loaded = store.load();
      expect(loaded.tasks).toEqual([finished]);
      expect(loaded.updates).toEqual([{ ...update("u1", 2), acked: true }]);
      expect(loaded.meta.next_command_seq).toBe(9);

      // More rows than one statement's 100 bound parameters hold, puts and deletes.
      const many = Array.from({ length: 260 }, (_, i) => update(`m${i}`, 100 + i));
      store.commit(many.map((u) => ({ table: "updates", put: u }) as Change));
      expect(store.load().updates).toHaveLength(261);
      store.commit(many.slice(0, 230).map((u) => ({ table: "updates", delete: u.uuid }) as Change));
      expect(store.load().updates.map((u) => u.uuid)).toEqual(["u1", ...many.slice(230).map((u) => u.uuid)]);
    });
  });

  it("is atomic: a change that fails in the middle leaves nothing of the commit", async () => {
    await withStorage((storage) => {
      const store = new SqlStore(storage);
      store.commit([
        { table: "agents", put: agent("a1") },
        { table: "meta", key: "next_command_seq", value: 5 },
      ]);
      const before = store.load();
      // A task without a framework id violates `framework_id NOT NULL` in SQLite itself.
      const broken = { ...task("f1", "t9", "a1"), frameworkId: null } as unknown as TaskRecord;
      expect(() =>
        store.commit([
          { table: "agents", put: agent("a2") },
          { table: "commands", put: command(5) },
          { table: "meta", key: "next_command_seq", value: 6 },
          { table: "tasks", put: broken },
          { table: "frameworks", put: framework("f1") },
        ]),
      ).toThrow(/NOT NULL/);
      expect(store.load()).toEqual(before);
      // The store is still usable afterwards.
      store.commit([{ table: "agents", put: agent("a3") }]);
      expect(
        store
          .load()
          .agents.map((a) => a.id)
          .sort(),
      ).toEqual(["a1", "a3"]);
    });
  });
});
