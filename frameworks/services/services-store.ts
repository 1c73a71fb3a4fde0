/**
 * The services framework's SQLite state (its own Durable Object's storage): append-only
 * migrations with a schema-version row, as the master's store (master-worker/src/store/): `meta`
 * (schema version, framework id, the master's origin), `apps` (the current definition and its
 * version times, as JSON), `app_versions` (every definition stored, by app and version),
 * `instances` (one row per task), `deployments` (one row per deployment in progress), `groups`
 * (the groups made through `/v2/groups`) and `group_versions` (their stored versions, the last
 * `GROUP_VERSIONS_KEPT` of each). A commit is one synchronous transaction.
 * `app_versions` is read only when a request asks for an app's versions (`AppVersionReader`): the
 * state in memory holds each app's current version alone. Deleting an app deletes its versions
 * (Marathon's AppHelpers.scala: "we deleted all old versions when dropping an app").
 */
import type { AppVersionReader } from "./api-types.ts";
import { storedDeployment } from "./deployments.ts";
import {
  type AppRecord,
  type DeploymentRecord,
  type GroupRecord,
  type GroupSnapshot,
  InstanceMap,
  type InstanceRecord,
  type ServicesState,
} from "./service-records.ts";

/** How many versions of a group are kept (Marathon's `--max_versions` default). */
export const GROUP_VERSIONS_KEPT = 50;

/** Append-only: never edit a shipped step, add a new one. Step i takes the schema from version i to i + 1. */
export const SERVICES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE apps (id TEXT PRIMARY KEY, json TEXT NOT NULL);
   CREATE TABLE app_versions (app_id TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (app_id, version));
   CREATE TABLE instances (task_id TEXT PRIMARY KEY, app_id TEXT NOT NULL, json TEXT NOT NULL);
   CREATE INDEX instances_app ON instances(app_id);`,
  `CREATE TABLE deployments (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, json TEXT NOT NULL);`,
  `CREATE TABLE groups (id TEXT PRIMARY KEY, json TEXT NOT NULL);
   CREATE TABLE group_versions (group_id TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (group_id, version));`,
  // A version's times (versionInfo); rows stored before have none and read as the version itself.
  `ALTER TABLE app_versions ADD COLUMN last_scaling_at INTEGER;
   ALTER TABLE app_versions ADD COLUMN last_config_change_at INTEGER;`,
];

/**
 * How many versions of an app are kept (Marathon's `--zk_max_versions`, default 50, which
 * `/v2/info` reports): storing a newer one forgets the oldest.
 */
export const MAX_APP_VERSIONS = 50;

/** The schema version this code writes: the number of migrations. */
export const SERVICES_SCHEMA_VERSION = SERVICES_MIGRATIONS.length;

/** One batch of changes, written in one transaction. */
export interface ServicesChanges {
  apps?: readonly AppRecord[];
  /** Also written to `app_versions` (a new definition or scale, not a delay or failure). */
  newVersions?: readonly AppRecord[];
  removedApps?: readonly string[];
  instances?: readonly InstanceRecord[];
  removedInstances?: readonly string[];
  deployments?: readonly DeploymentRecord[];
  removedDeployments?: readonly string[];
  groups?: readonly GroupRecord[];
  removedGroups?: readonly string[];
  /** New versions of groups (`/v2/groups/{id}/versions`). */
  groupVersions?: readonly GroupSnapshot[];
  /** Meta rows to set; `framework_id` set to "" forgets the framework id. */
  meta?: Readonly<Record<string, string>>;
}

/** The services framework's rows in a Durable Object's SQLite storage. */
export class ServicesStore implements AppVersionReader {
  constructor(private readonly storage: DurableObjectStorage) {
    const sql = storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0];
    let version = row ? Number(row.value) : 0;
    storage.transactionSync(() => {
      for (; version < SERVICES_MIGRATIONS.length; version++) sql.exec(SERVICES_MIGRATIONS[version]!);
      sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", String(version));
    });
  }

  /** Everything stored, as the framework's state. */
  load(): ServicesState {
    const sql = this.storage.sql;
    const meta = new Map(
      sql
        .exec<{ key: string; value: string }>("SELECT key, value FROM meta")
        .toArray()
        .map((r) => [r.key, r.value]),
    );
    const apps = sql
      .exec<{ json: string }>("SELECT json FROM apps")
      .toArray()
      .map((r) => JSON.parse(r.json, shareValue) as AppRecord);
    const instances = sql
      .exec<{ json: string }>("SELECT json FROM instances")
      .toArray()
      .map((r) => JSON.parse(r.json, shareValue) as InstanceRecord);
    const deployments = sql
      .exec<{ json: string }>("SELECT json FROM deployments")
      .toArray()
      .map((r) => storedDeployment(JSON.parse(r.json)));
    const groups = sql
      .exec<{ json: string }>("SELECT json FROM groups")
      .toArray()
      .map((r) => JSON.parse(r.json) as GroupRecord);
    const groupVersions = new Map<string, GroupSnapshot[]>();
    for (const r of sql.exec<{ json: string }>("SELECT json FROM group_versions ORDER BY group_id, version").toArray()) {
      const g = JSON.parse(r.json) as GroupSnapshot;
      groupVersions.set(g.id, [...(groupVersions.get(g.id) ?? []), g]);
    }
    const frameworkId = meta.get("framework_id");
    const masterOrigin = meta.get("master_origin");
    return {
      apps: new Map(apps.map((a) => [a.app.id, a])),
      instances: InstanceMap.of(instances),
      deployments: new Map(deployments.map((d) => [d.id, d])),
      groups: new Map(groups.map((g) => [g.id, g])),
      groupVersions,
      ...(frameworkId ? { frameworkId } : {}),
      ...(masterOrigin ? { masterOrigin } : {}),
    };
  }

  /** The versions stored for `appId`, newest first. */
  versions(appId: string): number[] {
    return this.storage.sql
      .exec<{ version: number }>("SELECT version FROM app_versions WHERE app_id = ? ORDER BY version DESC", appId)
      .toArray()
      .map((r) => Number(r.version));
  }

  /** `appId` as stored at `version`, with its version times. */
  at(appId: string, version: number): AppRecord | undefined {
    const row = this.storage.sql
      .exec<{ json: string; last_scaling_at: number | null; last_config_change_at: number | null }>(
        "SELECT json, last_scaling_at, last_config_change_at FROM app_versions WHERE app_id = ? AND version = ?",
        appId,
        version,
      )
      .toArray()[0];
    if (!row) return undefined;
    return {
      app: JSON.parse(row.json) as AppRecord["app"],
      version,
      lastScalingAt: row.last_scaling_at ?? version,
      lastConfigChangeAt: row.last_config_change_at ?? version,
    };
  }

  /**
   * Writes `changes` in one transaction; answers them with their apps and instances as their rows
   * read back (`storedCopies`), each written and read once, for the state in memory to hold.
   */
  commit(changes: ServicesChanges): ServicesChanges {
    const sql = this.storage.sql;
    const apps = rowsOf(changes.apps);
    const instances = rowsOf(changes.instances);
    this.storage.transactionSync(() => {
      for (const { record: a, text } of apps) sql.exec("INSERT OR REPLACE INTO apps (id, json) VALUES (?, ?)", a.app.id, text);
      for (const id of changes.removedApps ?? []) {
        sql.exec("DELETE FROM apps WHERE id = ?", id);
        sql.exec("DELETE FROM app_versions WHERE app_id = ?", id);
      }
      for (const a of changes.newVersions ?? []) {
        sql.exec(
          "INSERT OR REPLACE INTO app_versions (app_id, version, json, last_scaling_at, last_config_change_at) VALUES (?, ?, ?, ?, ?)",
          a.app.id,
          a.version,
          JSON.stringify(a.app),
          a.lastScalingAt,
          a.lastConfigChangeAt,
        );
        sql.exec(
          "DELETE FROM app_versions WHERE app_id = ? AND version NOT IN (SELECT version FROM app_versions WHERE app_id = ? ORDER BY version DESC LIMIT ?)",
          a.app.id,
          a.app.id,
          MAX_APP_VERSIONS,
        );
      }
      for (const { record: i, text } of instances)
        sql.exec("INSERT OR REPLACE INTO instances (task_id, app_id, json) VALUES (?, ?, ?)", i.taskId, i.appId, text);
      for (const id of changes.removedInstances ?? []) sql.exec("DELETE FROM instances WHERE task_id = ?", id);
      for (const d of changes.deployments ?? [])
        sql.exec("INSERT OR REPLACE INTO deployments (id, app_id, json) VALUES (?, ?, ?)", d.id, Object.keys(d.original)[0] ?? "", JSON.stringify(d));
      for (const id of changes.removedDeployments ?? []) sql.exec("DELETE FROM deployments WHERE id = ?", id);
      for (const g of changes.groups ?? []) sql.exec("INSERT OR REPLACE INTO groups (id, json) VALUES (?, ?)", g.id, JSON.stringify(g));
      for (const id of changes.removedGroups ?? []) sql.exec("DELETE FROM groups WHERE id = ?", id);
      for (const g of changes.groupVersions ?? []) {
        sql.exec("INSERT OR REPLACE INTO group_versions (group_id, version, json) VALUES (?, ?, ?)", g.id, g.version, JSON.stringify(g));
        sql.exec(
          "DELETE FROM group_versions WHERE group_id = ? AND version NOT IN (SELECT version FROM group_versions WHERE group_id = ? ORDER BY version DESC LIMIT ?)",
          g.id,
          g.id,
          GROUP_VERSIONS_KEPT,
        );
      }
      for (const [k, v] of Object.entries(changes.meta ?? {})) sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", k, v);
    });
    return withCopies(changes, apps, instances);
  }
}

/**
 * Records as the object holds them: as their stored rows read back (JSON text parsed), so that
 * the state built while running is the state a restarted object loads. Records built by spreading
 * (`{ ...instance, state }`) keep each spread's own object shape and strings concatenated piece
 * by piece; read back, every instance has one shape and flat strings: 42 MB instead of 116 MB for
 * 10,000 apps × 10 instances (BENCHMARKS.md, "Services").
 */
function rowsOf<T>(records: readonly T[] | undefined): Array<{ record: T; text: string; copy: T }> {
  return (records ?? []).map((record) => {
    const text = JSON.stringify(record);
    return { record, text, copy: JSON.parse(text, shareValue) as T };
  });
}

function withCopies(changes: ServicesChanges, apps: ReadonlyArray<{ copy: AppRecord }>, instances: ReadonlyArray<{ copy: InstanceRecord }>): ServicesChanges {
  return {
    ...changes,
    ...(changes.apps ? { apps: apps.map((r) => r.copy) } : {}),
    ...(changes.instances ? { instances: instances.map((r) => r.copy) } : {}),
  };
}

/** `changes` with their apps and instances as their rows read back, as `ServicesStore.commit` answers them (for a state kept without the store). */
export const storedCopies = (changes: ServicesChanges): ServicesChanges => withCopies(changes, rowsOf(changes.apps), rowsOf(changes.instances));

/** Values many records repeat (an agent's id and host, an app's id, a state), kept once: one string for every instance on an agent or of an app. */
const SHARED_FIELDS: ReadonlySet<string> = new Set(["appId", "agentId", "host", "state", "goal", "role"]);
const shared = new Map<string, string>();
/** The JSON reviver of rows: the shared fields' values taken from (or put into) `shared`. */
export function shareValue(key: string, value: unknown): unknown {
  if (typeof value !== "string" || !SHARED_FIELDS.has(key)) return value;
  const known = shared.get(value);
  if (known !== undefined) return known;
  if (shared.size >= MAX_SHARED) shared.clear(); // bounded: values of long-gone agents and apps do not pile up
  shared.set(value, value);
  return value;
}
const MAX_SHARED = 100_000;

/** `state` with `changes` applied (the in-memory mirror follows each commit). */
export function applyChanges(state: ServicesState, changes: ServicesChanges): void {
  for (const a of changes.apps ?? []) state.apps.set(a.app.id, a);
  for (const id of changes.removedApps ?? []) state.apps.delete(id);
  for (const i of changes.instances ?? []) state.instances.set(i.taskId, i);
  for (const id of changes.removedInstances ?? []) state.instances.delete(id);
  for (const d of changes.deployments ?? []) state.deployments.set(d.id, d);
  for (const id of changes.removedDeployments ?? []) state.deployments.delete(id);
  if (changes.groups?.length || changes.removedGroups?.length) {
    const groups: Map<string, GroupRecord> = (state.groups ??= new Map());
    for (const g of changes.groups ?? []) groups.set(g.id, g);
    for (const id of changes.removedGroups ?? []) groups.delete(id);
  }
  for (const g of changes.groupVersions ?? []) {
    const versions: Map<string, GroupSnapshot[]> = (state.groupVersions ??= new Map());
    const kept = [...(versions.get(g.id) ?? []).filter((v) => v.version !== g.version), g].sort((a, b) => a.version - b.version);
    versions.set(g.id, kept.slice(-GROUP_VERSIONS_KEPT));
  }
  if (changes.meta?.framework_id !== undefined) {
    if (changes.meta.framework_id) state.frameworkId = changes.meta.framework_id;
    else delete state.frameworkId;
  }
  if (changes.meta?.master_origin) state.masterOrigin = changes.meta.master_origin;
}
