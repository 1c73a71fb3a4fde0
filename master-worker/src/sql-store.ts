/**
 * The Durable Object's `Store`: SQLite tables with append-only migrations and a
 * schema-version row. Each commit runs in one synchronous transaction.
 */
import { type Change, type PersistedState, type Store, taskKey } from "./records.ts";

/** Append-only: never edit a shipped step, add a new one. */
const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE agents (id TEXT PRIMARY KEY, json TEXT NOT NULL);
   CREATE TABLE frameworks (id TEXT PRIMARY KEY, json TEXT NOT NULL);
   CREATE TABLE tasks (key TEXT PRIMARY KEY, framework_id TEXT NOT NULL, agent_id TEXT NOT NULL, json TEXT NOT NULL);
   CREATE INDEX tasks_agent ON tasks(agent_id);
   CREATE TABLE updates (uuid TEXT PRIMARY KEY, seq INTEGER NOT NULL, framework_id TEXT NOT NULL, json TEXT NOT NULL);
   CREATE TABLE commands (seq INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, json TEXT NOT NULL);`,
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
      this.storage.sql.exec<{ json: string }>(`SELECT json FROM ${table} ${order}`).toArray().map((r) => JSON.parse(r.json) as T);
    return {
      agents: rows("agents"), frameworks: rows("frameworks"), tasks: rows("tasks"),
      updates: rows("updates", "ORDER BY seq"), commands: rows("commands", "ORDER BY seq"),
      meta: Object.fromEntries(this.storage.sql.exec<{ key: string; value: string }>("SELECT key, value FROM meta")
        .toArray().map((r) => [r.key, Number(r.value)])),
    };
  }

  commit(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    const sql = this.storage.sql;
    this.storage.transactionSync(() => {
      for (const c of changes) {
        if (c.table === "meta") { sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", c.key, String(c.value)); continue; }
        if ("delete" in c) {
          if (c.table === "updates") sql.exec("DELETE FROM updates WHERE uuid = ?", c.delete);
          else sql.exec("DELETE FROM commands WHERE seq = ?", c.delete);
          continue;
        }
        const json = JSON.stringify(c.put);
        switch (c.table) {
          case "agents": sql.exec("INSERT OR REPLACE INTO agents (id, json) VALUES (?, ?)", c.put.id, json); break;
          case "frameworks": sql.exec("INSERT OR REPLACE INTO frameworks (id, json) VALUES (?, ?)", c.put.id, json); break;
          case "tasks":
            sql.exec("INSERT OR REPLACE INTO tasks (key, framework_id, agent_id, json) VALUES (?, ?, ?, ?)",
              taskKey(c.put.frameworkId, c.put.taskId), c.put.frameworkId, c.put.agentId, json);
            break;
          case "updates":
            sql.exec("INSERT OR REPLACE INTO updates (uuid, seq, framework_id, json) VALUES (?, ?, ?, ?)",
              c.put.uuid, c.put.seq, c.put.frameworkId, json);
            break;
          case "commands":
            sql.exec("INSERT OR REPLACE INTO commands (seq, agent_id, json) VALUES (?, ?, ?)", c.put.seq, c.put.agentId, json);
            break;
        }
      }
    });
  }
}
