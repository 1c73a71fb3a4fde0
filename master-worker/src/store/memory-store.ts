/**
 * A `Store` kept in plain maps: the test harness's stand-in for SQLite. `load()` returns
 * deep copies, so a "restarted" master sees only what was committed.
 */
import { type Change, changeKey, type PersistedState, type Store } from "./records.ts";

/** `Store` in memory, for the harness; `load()` sees only committed changes. */
export class MemoryStore implements Store {
  private readonly tables: Record<Exclude<Change["table"], "meta" | "settings">, Map<string | number, unknown>> & {
    meta: Map<string, number>;
    settings: Map<string, unknown>;
  } = {
    agents: new Map(),
    frameworks: new Map(),
    tasks: new Map(),
    updates: new Map(),
    commands: new Map(),
    meta: new Map(),
    settings: new Map(),
  };
  /** Number of commits made: lets tests check that chatter writes nothing. */
  commits = 0;

  load(): PersistedState {
    const all = <T>(m: Map<unknown, unknown>) => [...m.values()].map((v) => structuredClone(v) as T);
    return {
      agents: all(this.tables.agents),
      frameworks: all(this.tables.frameworks),
      tasks: all(this.tables.tasks),
      updates: all(this.tables.updates),
      commands: all(this.tables.commands),
      meta: Object.fromEntries(this.tables.meta),
      settings: Object.fromEntries([...this.tables.settings].map(([k, v]) => [k, structuredClone(v)])),
    };
  }

  commit(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    this.commits++;
    for (const c of changes) {
      if (c.table === "meta") {
        this.tables.meta.set(c.key, c.value);
        continue;
      }
      if (c.table === "settings") {
        if (c.value === null || c.value === undefined) this.tables.settings.delete(c.key);
        else this.tables.settings.set(c.key, structuredClone(c.value));
        continue;
      }
      if ("delete" in c) this.tables[c.table].delete(changeKey(c));
      else this.tables[c.table].set(changeKey(c), structuredClone(c.put));
    }
  }
}
