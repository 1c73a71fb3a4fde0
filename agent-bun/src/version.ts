/** The agent's version, sent when registering and printed by `--version`. */
export const AGENT_VERSION = "0.1.0";
