/**
 * A `Store` kept in plain maps: the test harness's stand-in for SQLite. `load()` returns
 * deep copies, so a "restarted" master sees only what was committed.
 */
import { type Change, type PersistedState, type Store, taskKey } from "./records.ts";

/** `Store` in memory, for the harness; `load()` sees only committed changes. */
export class MemoryStore implements Store {
  private readonly tables = {
    agents: new Map<string, unknown>(), frameworks: new Map<string, unknown>(), tasks: new Map<string, unknown>(),
    updates: new Map<string, unknown>(), commands: new Map<number, unknown>(), meta: new Map<string, number>(),
  };
  /** Number of commits made: lets tests check that chatter writes nothing. */
  commits = 0;

  load(): PersistedState {
    const all = <T>(m: Map<unknown, unknown>) => [...m.values()].map((v) => structuredClone(v) as T);
    return {
      agents: all(this.tables.agents), frameworks: all(this.tables.frameworks), tasks: all(this.tables.tasks),
      updates: all(this.tables.updates), commands: all(this.tables.commands),
      meta: Object.fromEntries(this.tables.meta),
    };
  }

  commit(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    this.commits++;
    for (const c of changes) {
      if (c.table === "meta") { this.tables.meta.set(c.key, c.value); continue; }
      if ("delete" in c) {
        if (c.table === "updates") this.tables.updates.delete(c.delete);
        else this.tables.commands.delete(c.delete);
        continue;
      }
      const row = structuredClone(c.put);
      switch (c.table) {
        case "agents": this.tables.agents.set(c.put.id, row); break;
        case "frameworks": this.tables.frameworks.set(c.put.id, row); break;
        case "tasks": this.tables.tasks.set(taskKey(c.put.frameworkId, c.put.taskId), row); break;
        case "updates": this.tables.updates.set(c.put.uuid, row); break;
        case "commands": this.tables.commands.set(c.put.seq, row); break;
      }
    }
  }
}
