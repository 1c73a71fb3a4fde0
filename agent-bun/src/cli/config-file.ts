/**
 * The agent's config file (`--config <file>`, env `STRATA_CONFIG`): one `KEY=value` per line,
 * where KEY is a flag's name (`master`, `join-token`) or its environment variable
 * (`STRATA_MASTER`). It exists so a machine's settings can live in one file, and the file can be
 * the very `EnvironmentFile` of the systemd unit (packaging/strata-agent.service): the format is
 * the simple part of systemd's. Rules:
 * - blank lines and lines whose first non-blank character is `#` are ignored;
 * - spaces around the key and the value are dropped; a value wrapped in one pair of matching
 *   `"` or `'` loses them (nothing inside is unescaped), otherwise it is taken as written
 *   (a `#` after the value is part of it);
 * - an empty value means "not set", as an empty environment variable does;
 * - an unknown key, a line without `=`, a key given twice (under either name) and `config`
 *   itself are errors naming the file and line.
 * Flags and environment variables win over the file (flags.ts).
 */
import { readFileSync } from "node:fs";

/** The flag naming the config file; a config file cannot set it. */
export const CONFIG_FLAG = "config";

/** A bad config file: the message starts with `<file>:<line>:` where a line is at fault. */
export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigFileError";
  }
}

/** One value from the file, with the line it came from (to name it in later errors). */
export interface ConfigEntry {
  value: string;
  line: number;
}

/** A parsed config file: its path and its non-empty values by flag name. */
export interface ConfigFile {
  path: string;
  entries: Map<string, ConfigEntry>;
}

/** What the parser needs to know of each flag: its name and environment variable. */
export interface ConfigKey {
  name: string;
  env: string;
}

/** Parses the text of config file `path`, accepting the flags in `keys`. */
export function parseConfigText(text: string, path: string, keys: readonly ConfigKey[]): ConfigFile {
  const byKey = new Map<string, string>();
  for (const k of keys) {
    byKey.set(k.name, k.name);
    byKey.set(k.env, k.name);
  }
  const entries = new Map<string, ConfigEntry>();
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const trimmed = lines[i]!.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const eq = trimmed.indexOf("=");
    if (eq < 0) throw new ConfigFileError(`${path}:${line}: expected KEY=value, got '${trimmed}'`);
    const key = trimmed.slice(0, eq).trim();
    const name = byKey.get(key);
    if (name === undefined) {
      throw new ConfigFileError(`${path}:${line}: unknown key '${key}' (expected a flag name like 'master' or its variable like 'STRATA_MASTER'; see --help)`);
    }
    if (name === CONFIG_FLAG) throw new ConfigFileError(`${path}:${line}: '${key}' cannot be set in a config file`);
    const first = seen.get(name);
    if (first !== undefined) throw new ConfigFileError(`${path}:${line}: '${key}' is already set on line ${first}`);
    seen.set(name, line);
    const value = unquote(trimmed.slice(eq + 1).trim());
    if (value !== "") entries.set(name, { value, line });
  }
  return { path, entries };
}

/** Reads and parses config file `path` (see `parseConfigText`). */
export function readConfigFile(path: string, keys: readonly ConfigKey[]): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigFileError(`cannot read '${path}': ${(e as Error).message}`);
  }
  return parseConfigText(text, path, keys);
}

/** Where flag `name`'s value in `file` was set, e.g. `/etc/strata/agent.env:3`, for error messages. */
export function configEntryWhere(file: ConfigFile, name: string): string | undefined {
  const entry = file.entries.get(name);
  return entry ? `${file.path}:${entry.line}` : undefined;
}

function unquote(value: string): string {
  const q = value[0];
  return value.length >= 2 && (q === '"' || q === "'") && value.endsWith(q) ? value.slice(1, -1) : value;
}
