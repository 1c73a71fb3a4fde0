/**
 * The master's SQLite tables read out for a backup and written back on a restore
 * (docs/backup.md). Both run synchronously, so nothing else touches the storage meanwhile: the
 * export sees one consistent state, and the restore replaces the tables in one transaction that
 * rolls back as a whole when a row or the caller's check fails.
 */
import { MIGRATIONS, SCHEMA_VERSION, TABLES } from "./sql-store.ts";

/** A cell as SQLite gives it back. */
type Cell = string | number | null | ArrayBuffer;

/** One row of a backup: column → value; a `json` column holds a JSON document, embedded as itself. */
export type SnapshotRow = Record<string, unknown>;

/** The tables of a backup, by name (each a table of `TABLES`). */
export type SnapshotTables = Record<string, readonly SnapshotRow[]>;

/** Columns holding JSON text: a backup embeds their documents rather than quoting them as strings. */
const JSON_COLUMN = "json";

/** The tables a backup carries, `meta` first: every table the store writes. */
export const SNAPSHOT_TABLE_NAMES: readonly string[] = TABLES.map((t) => t.name);

/**
 * Writes every table as JSON text to `emit`, piece by piece, in one synchronous pass:
 * `"meta":[{…},…],"agents":[…],…` (the members of the `tables` object, without its braces).
 * Rows come from a cursor, never all at once; a `json` column's text is written as it is
 * stored (it is JSON already), so no row is parsed or copied twice.
 */
export function writeSnapshotTables(storage: DurableObjectStorage, emit: (text: string) => void): void {
  TABLES.forEach((t, i) => {
    emit(`${i ? "," : ""}${JSON.stringify(t.name)}:[`);
    const cursor = storage.sql.exec<Record<string, Cell>>(`SELECT * FROM ${t.name} ORDER BY ${t.key}`);
    const columns = cursor.columnNames;
    let first = true;
    for (const row of cursor.raw()) {
      const cells = columns.map((c, j) => `${JSON.stringify(c)}:${c === JSON_COLUMN && typeof row[j] === "string" ? row[j] : JSON.stringify(row[j])}`);
      emit(`${first ? "" : ","}{${cells.join(",")}}`);
      first = false;
    }
    emit("]");
  });
}

/** Whether the master holds any state but its counters: an agent, framework, task, update, command or setting. */
export function hasState(storage: DurableObjectStorage): boolean {
  return TABLES.some((t) => t.name !== "meta" && storage.sql.exec(`SELECT 1 FROM ${t.name} LIMIT 1`).toArray().length > 0);
}

/** Why a row could not be written: which table and row, and SQLite's or the check's words. */
export interface RowFault {
  table: string;
  index: number;
  message: string;
}

/** Thrown inside the transaction to roll it back; caught below and returned as a value. */
class Rollback extends Error {
  constructor(readonly fault: RowFault | { check: unknown }) {
    super("rollback");
  }
}

/**
 * Replaces every table with `tables`, a backup taken at schema `version` (≤ `SCHEMA_VERSION`):
 * in one transaction, the tables are dropped and created again as they were at `version`
 * (the first `version` migrations), the rows written, the later migrations applied and the
 * schema-version row set. `check` runs last, inside the transaction (the shell loads the
 * master from the new rows there): should it throw, everything rolls back and the thrown value
 * comes back as `{ check }`. A row SQLite refuses rolls back as well and comes back as a
 * `RowFault`. Undefined when the tables were replaced.
 */
export function replaceTables(
  storage: DurableObjectStorage,
  version: number,
  tables: SnapshotTables,
  check: () => void,
): RowFault | { check: unknown } | undefined {
  if (!Number.isInteger(version) || version < 1 || version > SCHEMA_VERSION) throw new RangeError(`schema version ${version} is not in 1..${SCHEMA_VERSION}`);
  const sql = storage.sql;
  try {
    storage.transactionSync(() => {
      for (const t of TABLES) if (t.name !== "meta") sql.exec(`DROP TABLE IF EXISTS ${t.name}`);
      sql.exec("DELETE FROM meta");
      for (let v = 0; v < version; v++) sql.exec(MIGRATIONS[v]!);
      for (const [table, rows] of Object.entries(tables)) {
        if (!SNAPSHOT_TABLE_NAMES.includes(table))
          throw new Rollback({ table, index: -1, message: `no such table (the tables are ${SNAPSHOT_TABLE_NAMES.join(", ")})` });
        rows.forEach((row, index) => {
          const columns = Object.keys(row);
          const odd = columns.find((c) => !IDENTIFIER.test(c));
          if (odd !== undefined || columns.length === 0) throw new Rollback({ table, index, message: `not a column name: ${JSON.stringify(odd ?? "")}` });
          const values = columns.map((c) => cellOf(row[c]));
          try {
            sql.exec(`INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(",")})`, ...values);
          } catch (err) {
            throw new Rollback({ table, index, message: err instanceof Error ? err.message : String(err) });
          }
        });
      }
      for (let v = version; v < SCHEMA_VERSION; v++) sql.exec(MIGRATIONS[v]!);
      sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", String(SCHEMA_VERSION));
      try {
        check();
      } catch (err) {
        throw new Rollback({ check: err });
      }
    });
  } catch (err) {
    if (err instanceof Rollback) return err.fault;
    throw err;
  }
  return undefined;
}

/** A column name as the migrations spell them; anything else never reaches the SQL text. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A row value as a SQLite cell: a JSON document (a `json` column's) goes back to its text. */
const cellOf = (v: unknown): string | number | null => (v === null || typeof v === "string" || typeof v === "number" ? v : JSON.stringify(v));
