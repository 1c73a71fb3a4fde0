/**
 * The master's persistent state read inside its Durable Object (for tests in workerd): every
 * SQLite table of the object, row by row, and what else may change it besides a request.
 */
import { env, runInDurableObject } from "cloudflare:test";

/** The one master object, the one the Worker routes to (edge/worker.ts names it "master"). */
const master = () => env.MASTER.get(env.MASTER.idFromName("master"));

/** Each table's rows (every column, in rowid order), by table name. */
export type Tables = Record<string, unknown[]>;

/**
 * Every table of the master's SQLite database, read with `ctx.storage.sql` inside the object.
 * Only workerd's own `_cf_*` tables are left out: the SQL API refuses to read them (they hold
 * the key-value API, which the master does not use, and the alarm, which it sets after every
 * request by design), and SQLite's `sqlite_*` catalogue, which only changes with a migration.
 */
export function readTables(): Promise<Tables> {
  return runInDurableObject(master(), (_instance, state) => {
    const sql = state.storage.sql;
    const names = sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
      )
      .toArray()
      .map((r) => r.name);
    return Object.fromEntries(names.map((name) => [name, sql.exec(`SELECT * FROM "${name}" ORDER BY rowid`).toArray()]));
  });
}

/** How often the master changed state on its own: its alarm ran, or a framework's stream broke. */
export interface BackgroundWork {
  count: number;
}

/**
 * Counts the master's own state changes (`alarm`, a broken event stream): the two ways its
 * state changes without a request, which a before/after comparison around one request must
 * tell apart. The object's methods are wrapped, not replaced: each still runs as before.
 */
export function countBackgroundWork(): Promise<BackgroundWork> {
  const work: BackgroundWork = { count: 0 };
  return runInDurableObject(master(), (instance) => {
    const shell = instance as unknown as Record<"alarm" | "broken", (...args: unknown[]) => unknown>;
    for (const method of ["alarm", "broken"] as const) {
      const original = shell[method]!.bind(instance);
      shell[method] = (...args: unknown[]) => {
        work.count++;
        return original(...args);
      };
    }
    return work;
  });
}

/** The rows that differ between two reads of the tables, by table: before and after. */
export function changedRows(before: Tables, after: Tables): Record<string, { before: unknown[]; after: unknown[] }> {
  const out: Record<string, { before: unknown[]; after: unknown[] }> = {};
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = (before[name] ?? []).map((r) => JSON.stringify(r));
    const is = (after[name] ?? []).map((r) => JSON.stringify(r));
    const gone = was.filter((r) => !is.includes(r));
    const added = is.filter((r) => !was.includes(r));
    if (gone.length > 0 || added.length > 0) out[name] = { before: gone.map((r) => JSON.parse(r)), after: added.map((r) => JSON.parse(r)) };
  }
  return out;
}
