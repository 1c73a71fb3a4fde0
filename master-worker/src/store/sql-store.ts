/**
 * The Durable Object's `Store`: SQLite tables with append-only migrations and a
 * schema-version row. Each commit runs in one synchronous transaction.
 */
import { type Change, changeKey, type PersistedState, type Store, taskKey } from "./records.ts";

/** Append-only: never edit a shipped step, add a new one. Step i takes the schema from version i to i + 1. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE agents (id TEXT PRIMARY KEY, json TEXT NOT NULL);
   CREATE TABLE frameworks (id TEXT PRIMARY KEY, json TEXT NOT NULL);
   CREATE TABLE tasks (key TEXT PRIMARY KEY, framework_id TEXT NOT NULL, agent_id TEXT NOT NULL, json TEXT NOT NULL);
   CREATE INDEX tasks_agent ON tasks(agent_id);
   CREATE TABLE updates (uuid TEXT PRIMARY KEY, seq INTEGER NOT NULL, framework_id TEXT NOT NULL, json TEXT NOT NULL);
   CREATE TABLE commands (seq INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, json TEXT NOT NULL);`,
  `CREATE TABLE settings (key TEXT PRIMARY KEY, json TEXT NOT NULL);`,
];

/** `Store` over the Durable Object's SQLite storage. */
export class SqlStore implements Store {
  constructor(private readonly storage: DurableObjectStorage) {
    this.migrate();
  }

  private migrate(): void {
    const sql = this.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0];
    let version = row ? Number(row.value) : 0;
    this.storage.transactionSync(() => {
      for (; version < MIGRATIONS.length; version++) sql.exec(MIGRATIONS[version]!);
      sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", String(version));
    });
  }

  load(): PersistedState {
    const rows = <T>(table: string, order = "") =>
      this.storage.sql
        .exec<{ json: string }>(`SELECT json FROM ${table} ${order}`)
        .toArray()
        .map((r) => JSON.parse(r.json) as T);
    return {
      agents: rows("agents"),
      frameworks: rows("frameworks"),
      tasks: rows("tasks"),
      updates: rows("updates", "ORDER BY seq"),
      commands: rows("commands", "ORDER BY seq"),
      meta: Object.fromEntries(
        this.storage.sql
          .exec<{ key: string; value: string }>("SELECT key, value FROM meta")
          .toArray()
          .map((r) => [r.key, Number(r.value)]),
      ),
      settings: Object.fromEntries(
        this.storage.sql
          .exec<{ key: string; json: string }>("SELECT key, json FROM settings")
          .toArray()
          .map((r) => [r.key, JSON.parse(r.json) as unknown]),
      ),
    };
  }

  /**
   * One transaction. A row changed several times in one commit (a task's STARTING and RUNNING
   * in one status batch, an update stored then acknowledged) is written once, with its last
   * value; rows go in multi-row statements. Both matter: the launch benchmark's profile had
   * the master spending ~40 % of its time in SQLite calls, one per row change.
   */
  commit(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    const rows = coalesce(changes);
    const sql = this.storage.sql;
    this.storage.transactionSync(() => {
      for (const t of TABLES) {
        const { puts, deletes } = rows[t.name];
        for (const chunk of chunks(deletes, MAX_BOUND_PARAMETERS)) {
          sql.exec(`DELETE FROM ${t.name} WHERE ${t.key} IN (${chunk.map(() => "?").join(",")})`, ...chunk);
        }
        const per = t.columns.length;
        for (const chunk of chunks(puts, Math.floor(MAX_BOUND_PARAMETERS / per))) {
          const values = chunk.map(() => `(${t.columns.map(() => "?").join(",")})`).join(",");
          sql.exec(`INSERT OR REPLACE INTO ${t.name} (${t.columns.join(", ")}) VALUES ${values}`, ...chunk.flat());
        }
      }
    });
  }
}

/** A Durable Object's SQL query takes at most 100 bound parameters. */
export const MAX_BOUND_PARAMETERS = 100;

type TableName = Change["table"];
type SqlValue = string | number;

/** The schema version this code writes (and the newest a backup may carry): the number of migrations. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Each table's key column and the columns a put writes, in order (`meta` first). */
export const TABLES: ReadonlyArray<{ name: TableName; key: string; columns: readonly string[] }> = [
  { name: "meta", key: "key", columns: ["key", "value"] },
  { name: "agents", key: "id", columns: ["id", "json"] },
  { name: "frameworks", key: "id", columns: ["id", "json"] },
  { name: "tasks", key: "key", columns: ["key", "framework_id", "agent_id", "json"] },
  { name: "updates", key: "uuid", columns: ["uuid", "seq", "framework_id", "json"] },
  { name: "commands", key: "seq", columns: ["seq", "agent_id", "json"] },
  { name: "settings", key: "key", columns: ["key", "json"] },
];

/** A put's column values, in `TABLES` order; undefined for a delete. */
function valuesOf(c: Change): SqlValue[] | undefined {
  if (c.table === "meta") return [c.key, String(c.value)];
  if (c.table === "settings") return c.value === null || c.value === undefined ? undefined : [c.key, JSON.stringify(c.value)];
  if ("delete" in c) return undefined;
  switch (c.table) {
    case "agents":
    case "frameworks":
      return [c.put.id, JSON.stringify(c.put)];
    case "tasks":
      return [taskKey(c.put.frameworkId, c.put.taskId), c.put.frameworkId, c.put.agentId, JSON.stringify(c.put)];
    case "updates":
      return [c.put.uuid, c.put.seq, c.put.frameworkId, JSON.stringify(c.put)];
    case "commands":
      return [c.put.seq, c.put.agentId, JSON.stringify(c.put)];
  }
}

/** The last change of each row, per table: rows to write and keys to delete. */
export function coalesce(changes: readonly Change[]): Record<TableName, { puts: SqlValue[][]; deletes: SqlValue[] }> {
  const last = new Map<TableName, Map<SqlValue, Change>>();
  for (const c of changes) {
    let m = last.get(c.table);
    if (!m) last.set(c.table, (m = new Map()));
    m.set(changeKey(c), c);
  }
  const out = Object.fromEntries(TABLES.map((t) => [t.name, { puts: [] as SqlValue[][], deletes: [] as SqlValue[] }])) as Record<
    TableName,
    { puts: SqlValue[][]; deletes: SqlValue[] }
  >;
  for (const [table, m] of last) {
    for (const [key, c] of m) {
      const values = valuesOf(c);
      if (values) out[table].puts.push(values);
      else out[table].deletes.push(key);
    }
  }
  return out;
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
