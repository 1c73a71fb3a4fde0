/**
 * Where the example frameworks find the master and their credentials: command-line flags,
 * then STRATA_* environment variables, then `.strata/local/cluster.env` (written by the
 * local-cluster starter), then the local default.
 */
import { existsSync, readFileSync } from "node:fs";
import { type Credentials, DEFAULT_MASTER_URL } from "../../sdk/src/index.ts";

/** Written by the local-cluster starter, relative to the repository root (the working directory). */
export const CLUSTER_ENV_FILE = ".strata/local/cluster.env";

/** The command-line flags every example accepts for reaching the cluster. */
export interface ClusterFlags {
  master?: string;
  principal?: string;
  secret?: string;
  token?: string;
}

/** The resolved master URL and credentials. */
export interface ClusterConfig {
  master: string;
  credentials?: Credentials;
  /** Where the credentials came from, for the banner ("flags", "environment", the file, "none"). */
  credentialsFrom: string;
}

/** KEY=VALUE lines (blank lines, `#` comments, `export ` prefixes and quotes allowed). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, "");
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!)) value = value.slice(1, -1);
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}

function credentialsOf(source: { principal?: string; secret?: string; token?: string }, where: string): Credentials | undefined {
  if (source.token) return { token: source.token };
  if (source.principal || source.secret) {
    if (!source.principal || !source.secret) throw new Error(`${where}: a principal needs a secret (and a secret a principal)`);
    return { principal: source.principal, secret: source.secret };
  }
  return undefined;
}

/** Resolves the master URL and credentials (flags > environment > cluster.env > defaults). */
export function resolveCluster(flags: ClusterFlags, env: Record<string, string | undefined> = process.env, file = CLUSTER_ENV_FILE): ClusterConfig {
  const fromFile = existsSync(file) ? parseEnvFile(readFileSync(file, "utf8")) : {};
  const master = flags.master ?? env.STRATA_MASTER ?? fromFile.STRATA_MASTER ?? DEFAULT_MASTER_URL;
  const layers: Array<[string, { principal?: string; secret?: string; token?: string }]> = [
    ["flags", flags],
    ["environment", { principal: env.STRATA_PRINCIPAL, secret: env.STRATA_SECRET, token: env.STRATA_TOKEN }],
    [file, { principal: fromFile.STRATA_PRINCIPAL, secret: fromFile.STRATA_SECRET, token: fromFile.STRATA_TOKEN }],
  ];
  for (const [where, layer] of layers) {
    const credentials = credentialsOf(layer, where);
    if (credentials) return { master, credentials, credentialsFrom: where };
  }
  return { master, credentialsFrom: "none" };
}
