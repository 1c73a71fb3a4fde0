/**
 * Command line of examples/distributed-shell.ts: flags, defaults and validation.
 */
import { parseArgs } from "node:util";
import { DEFAULT_MASTER_URL } from "../../sdk/src/index.ts";
import { type ClusterConfig, resolveCluster } from "./cluster-config.ts";

/** Usage text, printed by --help and after a bad flag. */
export const HELP = `Usage: bun examples/distributed-shell.ts [options] [--] [command…]

Runs a shell command on N agents of a Strata cluster and prints each task's output.

  -c, --command CMD          shell command to run (default: "uname -a")
  -n, --instances N          number of tasks (default: 1)
      --cpus X               cpus per task (default: 0.1)
      --mem MB               memory per task in MB (default: 32)
      --spread / --no-spread prefer distinct agents (default) or pack tasks onto few agents
      --timeout-seconds S    give up after S seconds (default: 120)
      --master URL           master URL (default: $STRATA_MASTER, .strata/local/cluster.env,
                             or ${DEFAULT_MASTER_URL})
      --principal P --secret S   Basic credentials (default: $STRATA_PRINCIPAL/$STRATA_SECRET)
      --token T              Bearer token (default: $STRATA_TOKEN)
  -h, --help                 this help`;

/** What the user asked for. */
export interface Options {
  command: string;
  instances: number;
  cpus: number;
  mem: number;
  spread: boolean;
  timeoutSeconds: number;
  cluster: ClusterConfig;
}

/** Parses argv (without the runtime and script); throws a message naming the bad flag. */
export function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      command: { type: "string", short: "c" },
      instances: { type: "string", short: "n", default: "1" },
      cpus: { type: "string", default: "0.1" },
      mem: { type: "string", default: "32" },
      spread: { type: "boolean" },
      "no-spread": { type: "boolean" },
      "timeout-seconds": { type: "string", default: "120" },
      master: { type: "string" },
      principal: { type: "string" },
      secret: { type: "string" },
      token: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const number = (name: string, text: string, min: number, integer = false) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new Error(`--${name} must be ${integer ? "an integer" : "a number"} ≥ ${min}, got '${text}'`);
    }
    return n;
  };
  return {
    command: values.command ?? (positionals.length ? positionals.join(" ") : "uname -a"),
    instances: number("instances", values.instances, 1, true),
    cpus: number("cpus", values.cpus, 0.001),
    mem: number("mem", values.mem, 1),
    spread: !values["no-spread"],
    timeoutSeconds: number("timeout-seconds", values["timeout-seconds"], 1),
    cluster: resolveCluster(values),
  };
}
