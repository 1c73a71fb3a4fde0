import { STRATA_VERSION } from "../../../sdk/src/version.ts";

/** The agent's version, sent when registering and printed by `--version`. */
export const AGENT_VERSION = STRATA_VERSION;
