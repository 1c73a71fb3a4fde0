/**
 * The local master: the Worker of wrangler.toml, bundled with Bun.build and served by Miniflare
 * on workerd (the open-source Workers runtime, the same one `wrangler dev` embeds), with the
 * ClusterMaster Durable Object's SQLite state in a folder. `npm start`, the end-to-end tests and
 * the benchmarks run the master this way; `npm run dev:master` (wrangler dev, reloading on
 * edits) stays the tool for working on the master itself.
 *
 *   bun scripts/master-server.ts [--port 8787] [--ip 127.0.0.1] [--persist-to DIR]
 *                                [--env-file FILE] [--var NAME:VALUE]... [--inspector-port PORT]
 *
 * `--inspector-port` (off by default; or STRATA_INSPECTOR_PORT) opens workerd's V8 inspector
 * (Chrome DevTools protocol) on loopback: for profiling, and for the soak benchmark, which reads
 * the master isolate's heap through it.
 *
 * Why not `wrangler dev`: measured in the launch benchmark, wrangler's Node process spent 70–100 %
 * of a core on every request (request logging and its proxy in front of workerd) and added a hop,
 * on a 2-core machine where the master, the agents and the framework share the CPU. State is kept
 * where `wrangler dev --persist-to DIR` keeps it (DIR/v3/do), so either can open it.
 */
/// <reference types="bun-types" />
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Log, LogLevel, Miniflare } from "miniflare";
import { parseEnvFile } from "../examples/lib/cluster-config.ts";
import { ROOT } from "./cluster-processes.ts";

interface WranglerToml {
  name: string;
  main: string;
  compatibility_date: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
  durable_objects?: { bindings?: Array<{ name: string; class_name: string }> };
  migrations?: Array<{ new_sqlite_classes?: string[] }>;
}

function usage(message: string): never {
  console.error(`master-server: ${message}`);
  process.exit(2);
}

/** `--name value` flags; `--var` may repeat. */
function parseArgs(argv: string[]) {
  const out = {
    port: 8787,
    ip: "127.0.0.1",
    persistTo: join(ROOT, ".strata", "master"),
    envFile: undefined as string | undefined,
    inspectorPort: process.env.STRATA_INSPECTOR_PORT ? Number(process.env.STRATA_INSPECTOR_PORT) : undefined,
    vars: {} as Record<string, string>,
  };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) usage(`${name}: a value is required`);
    i++;
    switch (name) {
      case "--port":
        out.port = Number(value);
        if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) usage(`--port: '${value}' is not a port`);
        break;
      case "--inspector-port":
        out.inspectorPort = Number(value);
        break;
      case "--ip":
        out.ip = value;
        break;
      case "--persist-to":
        out.persistTo = resolve(value);
        break;
      case "--env-file":
        out.envFile = resolve(value);
        break;
      case "--var": {
        const at = value.indexOf(":");
        if (at <= 0) usage(`--var: expected NAME:VALUE, got '${value}'`);
        out.vars[value.slice(0, at)] = value.slice(at + 1);
        break;
      }
      default:
        usage(`unknown flag '${name}'`);
    }
  }
  if (out.inspectorPort !== undefined && (!Number.isInteger(out.inspectorPort) || out.inspectorPort < 1 || out.inspectorPort > 65535))
    usage(`--inspector-port (or STRATA_INSPECTOR_PORT): '${out.inspectorPort}' is not a port`);
  return out;
}

/** The Worker as one ES module; `cloudflare:` imports are the runtime's. */
async function bundle(entry: string): Promise<string> {
  const result = await Bun.build({ entrypoints: [entry], target: "browser", format: "esm", external: ["cloudflare:*"] });
  if (!result.success) throw new Error(`bundling ${entry} failed:\n${result.logs.map(String).join("\n")}`);
  return await result.outputs[0]!.text();
}

const args = parseArgs(process.argv.slice(2));
const config = Bun.TOML.parse(readFileSync(join(ROOT, "wrangler.toml"), "utf8")) as WranglerToml;
const sqliteClasses = new Set((config.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
const bindings: Record<string, string> = {
  ...config.vars,
  ...(args.envFile ? parseEnvFile(readFileSync(args.envFile, "utf8")) : {}),
  ...args.vars,
};

const mf = new Miniflare({
  name: config.name,
  modules: [{ type: "ESModule", path: join(ROOT, "master-worker", "bundle.js"), contents: await bundle(join(ROOT, config.main)) }],
  compatibilityDate: config.compatibility_date,
  compatibilityFlags: config.compatibility_flags ?? [],
  bindings,
  durableObjects: Object.fromEntries(
    (config.durable_objects?.bindings ?? []).map((b) => [b.name, { className: b.class_name, useSQLite: sqliteClasses.has(b.class_name) }]),
  ),
  durableObjectsPersist: join(args.persistTo, "v3", "do"),
  // The Worker listens on the master's port itself; Miniflare's own entry worker (which
  // re-dispatches every request, adding its cf object and logging) stays on a loopback port
  // nobody uses. Measured: 3,000 hollow agents registered ~2x faster without that hop.
  unsafeDirectSockets: [{ host: args.ip, port: args.port }],
  host: "127.0.0.1",
  port: 0,
  cf: false,
  logRequests: false,
  log: new Log(LogLevel.WARN),
  // For profiling the master and reading its heap (Chrome DevTools protocol); loopback only.
  ...(args.inspectorPort !== undefined ? { inspectorPort: args.inspectorPort } : {}),
});
await mf.ready;
const url = await mf.unsafeGetDirectURL();
console.log(`strata master listening on ${url.origin} (state in ${args.persistTo})`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await mf.dispose().catch(() => undefined);
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
