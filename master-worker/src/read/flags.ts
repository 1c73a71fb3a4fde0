/**
 * GET_FLAGS and `/flags`: the settings the master runs with, as Mesos' `{ name, value }` pairs
 * with string values. Names are the `MasterConfig` fields in snake_case (every field, so a
 * setting another area adds shows up without a change here); secrets are never shown — a field
 * whose name says token, credential, secret or password reads `(redacted)` — and the ACLs read
 * `permissive` or `acls set`.
 */
import type { MasterConfig } from "../model/config.ts";

const SECRET = /token|credential|secret|password/i;

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function flagValue(name: string, value: unknown): string {
  if (SECRET.test(name)) return value === undefined || (value instanceof Map && value.size === 0) ? "" : "(redacted)";
  if (value && typeof value === "object" && "permissive" in value && typeof (value as { allows?: unknown }).allows === "function") {
    return (value as { permissive: boolean }).permissive ? "permissive" : "acls set";
  }
  if (value instanceof Map) return `${value.size} entries`;
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

/** `Response.GetFlags.flags`, sorted by name. */
export function flagsJson(config: MasterConfig): Array<{ name: string; value: string }> {
  return Object.entries(config)
    .filter(([, v]) => typeof v !== "function")
    .map(([k, v]) => ({ name: snake(k), value: flagValue(k, v) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}
