/**
 * How Mesos names an agent's endpoint in offers, inverse offers and state (`url`, `pid`): one
 * spelling for every place that shows it. Strata agents open no port; these say where a Mesos
 * agent would be, from what the agent declared.
 */
import type { AgentRecord } from "../store/records.ts";

/** The `url` of an offer or inverse offer made from `agent`. */
export const agentUrl = (agent: Pick<AgentRecord, "hostname" | "port">) => ({
  scheme: "http",
  address: { hostname: agent.hostname, port: agent.port },
  path: "/slave(1)",
});

/** The agent's libprocess-style `pid` (`slave(1)@host:port`), as state endpoints show it. */
export const agentPid = (agent: Pick<AgentRecord, "hostname" | "port">) => `slave(1)@${agent.hostname}:${agent.port}`;
