/** Parsing agent flags in tests: the flags of a run, or the FlagError a bad command line gives. */
import { type AgentFlags, FlagError } from "../../../agent-bun/src/cli/agent-flags.ts";
import { parseFlags } from "../../../agent-bun/src/cli/flags.ts";

/** The flags `argv` and `env` give; throws when they ask for help or the version instead. */
export const runFlags = (argv: string[], env: Record<string, string> = {}): AgentFlags => {
  const parsed = parseFlags(argv, env);
  if (parsed.kind !== "run") throw new Error(`expected run, got ${parsed.kind}`);
  return parsed.flags;
};

/** The FlagError `argv` and `env` give; throws when they parse. */
export const flagErrorOf = (argv: string[], env: Record<string, string> = {}): FlagError => {
  try {
    parseFlags(argv, env);
  } catch (e) {
    if (e instanceof FlagError) return e;
    throw e;
  }
  throw new Error("expected a FlagError");
};
