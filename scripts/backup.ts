/**
 * The operator's backup command (docs/backup.md), run with bun:
 *
 *   npm run backup -- export  [--master URL] [--out FILE]
 *   npm run backup -- restore [--master URL] FILE
 *   npm run backup -- bookmark [--master URL] [--time MS|ISO]
 *   npm run backup -- bookmark-restore [--master URL] BOOKMARK
 *
 * The master and the credentials come as for the examples: --master/--principal/--secret/--token,
 * else STRATA_MASTER/STRATA_PRINCIPAL/…, else .strata/local/cluster.env (examples/lib/cluster-config.ts).
 */
import { createWriteStream, existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { resolveCluster } from "../examples/lib/cluster-config.ts";
import { authorizationHeader } from "../sdk/src/auth.ts";

const USAGE = `usage: npm run backup -- <command> [options]
  export [--out FILE]           write a snapshot of the master's state to FILE (default: stdout)
  restore FILE                  restore a snapshot into a new, empty master
  bookmark [--time MS|ISO]      the master's point-in-time bookmark, now or at a time (Cloudflare only)
  bookmark-restore BOOKMARK     restore the master to a bookmark; it restarts (Cloudflare only)
options: --master URL, --principal P --secret S | --token T
  (defaults: STRATA_MASTER, STRATA_PRINCIPAL, STRATA_SECRET, STRATA_TOKEN, then .strata/local/cluster.env)`;

/** A usage mistake: the message and the usage, exit status 2. */
class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    console.error(`backup: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
  const { command, values, positionals } = parsed;
  const cluster = resolveCluster(values);
  const base = cluster.master.replace(/\/+$/, "");
  const auth = authorizationHeader(cluster.credentials);
  const headers: Record<string, string> = auth ? { authorization: auth } : {};
  const call = async (method: string, path: string, body?: string) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
      ...(body === undefined ? {} : { body }),
    }).catch((err: unknown) => {
      throw new Error(`cannot reach the master at ${base}: ${err instanceof Error ? err.message : String(err)}`);
    });
    if (!res.ok) {
      console.error(`backup: ${method} ${path} answered ${res.status}: ${(await res.text()).trim()}`);
      process.exit(1);
    }
    return res;
  };

  switch (command) {
    case "export": {
      const res = await call("GET", "/master/backup");
      if (!values.out) {
        for await (const chunk of chunksOf(res)) process.stdout.write(chunk);
        return;
      }
      // Written beside the target and renamed once complete: a failed export leaves no partial file.
      const partial = `${values.out}.partial`;
      const out = createWriteStream(partial);
      try {
        for await (const chunk of chunksOf(res)) if (!out.write(chunk)) await new Promise((r) => out.once("drain", r));
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        renameSync(partial, values.out);
      } catch (err) {
        rmSync(partial, { force: true });
        throw err;
      }
      console.error(`backup: wrote ${values.out} from ${base}`);
      return;
    }
    case "restore": {
      const file = positionals[0]!;
      const res = await call("POST", "/master/restore", readFileSync(file, "utf8"));
      console.log(JSON.stringify(await res.json()));
      return;
    }
    case "bookmark": {
      const query = values.time ? `?time=${encodeURIComponent(values.time)}` : "";
      console.log(JSON.stringify(await (await call("GET", `/master/bookmark${query}`)).json()));
      return;
    }
    case "bookmark-restore": {
      const res = await call("POST", "/master/bookmark/restore", JSON.stringify({ bookmark: positionals[0] }));
      console.log(JSON.stringify(await res.json()));
      return;
    }
  }
}

/** A response's body, chunk by chunk (never held whole). */
async function* chunksOf(res: Response): AsyncGenerator<Uint8Array> {
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** The command, its options and its operands, or a `UsageError` naming what is wrong. */
function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      master: { type: "string" },
      principal: { type: "string" },
      secret: { type: "string" },
      token: { type: "string" },
      out: { type: "string" },
      time: { type: "string" },
    },
  });
  const [command, ...rest] = positionals;
  const operands: Record<string, number> = { export: 0, restore: 1, bookmark: 0, "bookmark-restore": 1 };
  if (command === undefined) throw new UsageError("a command is required");
  if (!(command in operands)) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  if (rest.length !== operands[command]) throw new UsageError(`${command} takes ${operands[command] ? "one operand" : "no operand"}, got ${rest.length}`);
  if (values.out !== undefined && command !== "export") throw new UsageError("--out is for export");
  if (values.time !== undefined && command !== "bookmark") throw new UsageError("--time is for bookmark");
  if (command === "restore" && !existsSync(rest[0]!)) throw new UsageError(`restore: no such file ${rest[0]}`);
  return { command, values, positionals: rest };
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`backup: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
