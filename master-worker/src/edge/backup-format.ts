/**
 * The backup file (docs/backup.md): a JSON document naming its format and version, when and
 * from which object it was taken, and one section per Durable Object — the master's first —
 * each with its schema version and its tables' rows. Here: the document's opening (the
 * export writes the rows after it) and the checks a restore makes before touching storage,
 * each refusal naming the field.
 */
import { type Rejection, reject } from "../model/rejection.ts";
import type { SnapshotRow, SnapshotTables } from "../store/snapshot-tables.ts";
import { SCHEMA_VERSION } from "../store/sql-store.ts";

/** What `format` says in every backup. */
export const BACKUP_FORMAT = "strata-backup";
/** The version of the document's layout (not of any object's schema); bumped on an incompatible change. */
export const BACKUP_FORMAT_VERSION = 1;
/** The master's section's name; it comes first. Built-in frameworks' objects will add theirs after it. */
export const MASTER_SECTION = "master";

/** Where a backup came from, as its opening says. */
export interface BackupOrigin {
  /** The master object's id (`ctx.id`), the cluster's identity on its platform. */
  objectId: string;
  /** When the snapshot was taken (ms since the epoch). */
  takenAt: number;
}

/**
 * The document up to the master's `tables` object, opened: the export writes its tables'
 * members next, then `BACKUP_CLOSING`.
 */
export function backupOpening(origin: BackupOrigin): string {
  const head = {
    format: BACKUP_FORMAT,
    format_version: BACKUP_FORMAT_VERSION,
    created_at: new Date(origin.takenAt).toISOString(),
    created_at_ms: origin.takenAt,
    master_object_id: origin.objectId,
  };
  return `${JSON.stringify(head).slice(0, -1)},"sections":[{"name":${JSON.stringify(MASTER_SECTION)},"schema_version":${SCHEMA_VERSION},"tables":{`;
}

/** Closes what `backupOpening` opened (the tables, the section, the sections, the document), with a newline. */
export const BACKUP_CLOSING = "}}]}\n";

/** A backup that passed the checks: the master's section, ready for the store. */
export interface ParsedBackup {
  schemaVersion: number;
  tables: SnapshotTables;
  createdAt: string;
  objectId?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks a parsed backup document; the refusal names the first field that is wrong. */
export function parseBackup(doc: unknown): ParsedBackup | Rejection {
  const invalid = (field: string | undefined, message: string) => reject("invalid", field, message);
  if (!isObject(doc)) return invalid("body", "a backup is a JSON object (see docs/backup.md)");
  if (doc.format !== BACKUP_FORMAT) return invalid("format", `expected ${JSON.stringify(BACKUP_FORMAT)}, got ${JSON.stringify(doc.format)}`);
  const fv = doc.format_version;
  if (typeof fv !== "number" || !Number.isInteger(fv) || fv < 1) return invalid("format_version", "expected a positive integer");
  if (fv > BACKUP_FORMAT_VERSION)
    return invalid("format_version", `${fv} is newer than this master reads (${BACKUP_FORMAT_VERSION}): restore with a newer master`);
  if (typeof doc.created_at !== "string") return invalid("created_at", "expected the time the backup was taken (ISO 8601)");
  if (doc.master_object_id !== undefined && typeof doc.master_object_id !== "string") return invalid("master_object_id", "expected a string");
  const sections = doc.sections;
  if (!Array.isArray(sections) || sections.length === 0) return invalid("sections", "expected a list of sections, the master's first");
  if (sections.length > 1) {
    const name = isObject(sections[1]) ? sections[1].name : undefined;
    return invalid("sections[1].name", `no object of this cluster takes the section ${JSON.stringify(name)} (only ${JSON.stringify(MASTER_SECTION)} exists)`);
  }
  const master = sections[0];
  if (!isObject(master)) return invalid("sections[0]", "expected the master's section (an object)");
  if (master.name !== MASTER_SECTION) return invalid("sections[0].name", `the first section is the master's: expected ${JSON.stringify(MASTER_SECTION)}`);
  const sv = master.schema_version;
  if (typeof sv !== "number" || !Number.isInteger(sv) || sv < 1) return invalid("sections[0].schema_version", "expected a positive integer");
  if (sv > SCHEMA_VERSION) {
    return invalid(
      "sections[0].schema_version",
      `${sv} is newer than this master's schema (${SCHEMA_VERSION}): restore with the master version that took it, or a newer one`,
    );
  }
  if (!isObject(master.tables)) return invalid("sections[0].tables", "expected an object of tables (name → rows)");
  const tables: Record<string, SnapshotRow[]> = {};
  for (const [name, rows] of Object.entries(master.tables)) {
    const field = `sections[0].tables.${name}`;
    if (!Array.isArray(rows)) return invalid(field, "expected a list of rows");
    const bad = rows.findIndex((r) => !isObject(r));
    if (bad >= 0) return invalid(`${field}[${bad}]`, "expected a row (an object of column → value)");
    tables[name] = rows as SnapshotRow[];
  }
  const versionRow = tables.meta?.find((r) => r.key === "schema_version");
  if (versionRow && Number(versionRow.value) !== sv) {
    return invalid("sections[0].tables.meta", `its schema_version row (${String(versionRow.value)}) disagrees with the section's schema_version (${sv})`);
  }
  // The schema-version row is the store's to write, as of the code doing the restore.
  if (tables.meta) tables.meta = tables.meta.filter((r) => r.key !== "schema_version");
  return { schemaVersion: sv, tables, createdAt: doc.created_at, ...(typeof doc.master_object_id === "string" ? { objectId: doc.master_object_id } : {}) };
}
