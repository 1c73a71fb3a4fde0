/**
 * Operator API calls that take one agent out of service and back (Mesos `master.proto`):
 * DRAIN_AGENT, DEACTIVATE_AGENT, REACTIVATE_AGENT. ACLs `drain_agents`, `deactivate_agents`,
 * `reactivate_agents`, whose object is the agent id. The deciding is in agent-drain.ts.
 */
import type { DeactivateAgentCall, DrainAgentCall, ReactivateAgentCall } from "../../../schemas/maintenance.ts";
import { decideDeactivate, decideDrain, decideReactivate } from "../decide/agent-drain.ts";
import { checkAuthorized } from "../model/authorizer.ts";
import { applied, type OperatorHandlers } from "./types.ts";

/** The drain calls; each answers an empty 200. */
export const drainCalls: OperatorHandlers = {
  DRAIN_AGENT: (core, call: DrainAgentCall, ctx) => {
    const agentId = call.drain_agent.agent_id.value;
    const refused =
      checkAuthorized(core.authorizer, "drain_agents", ctx.principal, agentId, "drain_agent.agent_id") ??
      applied(core, decideDrain(core, call.drain_agent, ctx.now), ctx.now);
    if (refused) return refused;
    if (core.agents.get(agentId)?.goneAt !== undefined) core.dropLiveness(agentId);
    return undefined;
  },
  DEACTIVATE_AGENT: (core, call: DeactivateAgentCall, ctx) => {
    const agentId = call.deactivate_agent.agent_id.value;
    return (
      checkAuthorized(core.authorizer, "deactivate_agents", ctx.principal, agentId, "deactivate_agent.agent_id") ??
      applied(core, decideDeactivate(core, agentId), ctx.now)
    );
  },
  REACTIVATE_AGENT: (core, call: ReactivateAgentCall, ctx) => {
    const agentId = call.reactivate_agent.agent_id.value;
    return (
      checkAuthorized(core.authorizer, "reactivate_agents", ctx.principal, agentId, "reactivate_agent.agent_id") ??
      applied(core, decideReactivate(core, agentId), ctx.now)
    );
  },
};
