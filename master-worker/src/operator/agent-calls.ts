/**
 * Operator calls about the life of agents and frameworks:
 * - MARK_AGENT_GONE (`mark_agent_gone.agent_id`, ACL `mark_agents_gone` on the agent id): see
 *   partitions.ts. Marking an agent already gone again changes nothing (200).
 * - TEARDOWN (`teardown.framework_id`, ACL `teardown_frameworks` on the framework's principal):
 *   the framework is removed as by its own TEARDOWN; its stream, if open, ends with an ERROR.
 */
import type { MarkAgentGoneCall, OperatorTeardownCall } from "../../../schemas/lifecycle.ts";
import type { MasterCore } from "../core/master-core.ts";
import { decideTeardown } from "../decide/scheduler-calls.ts";
import { checkAuthorized } from "../model/authorizer.ts";
import { type Rejection, reject } from "../model/rejection.ts";
import type { OperatorContext, OperatorHandlers } from "./types.ts";

function markAgentGone(core: MasterCore, call: MarkAgentGoneCall, ctx: OperatorContext): Rejection | undefined {
  const id = call.mark_agent_gone.agent_id.value;
  const refused = checkAuthorized(core.authorizer, "mark_agents_gone", ctx.principal, id, "mark_agent_gone.agent_id");
  if (refused) return refused;
  if (!core.agents.has(id)) return reject("not_found", "mark_agent_gone.agent_id", `unknown agent '${id}'`);
  core.markAgentGone(id, ctx.now);
  return undefined;
}

function teardown(core: MasterCore, call: OperatorTeardownCall, ctx: OperatorContext): Rejection | undefined {
  const fid = call.teardown.framework_id.value;
  const framework = core.frameworks.get(fid);
  if (!framework || framework.removed) return reject("invalid", "teardown.framework_id", `no framework '${fid}' to tear down`);
  const refused = checkAuthorized(
    core.authorizer,
    "teardown_frameworks",
    ctx.principal,
    framework.principal ?? framework.info.principal,
    "teardown.framework_id",
  );
  if (refused) return refused;
  core.apply(decideTeardown(core, fid, core.ctx(ctx.now, ctx.principal)), ctx.now);
  if (core.streams.delete(fid)) core.outbox.close(fid, { type: "ERROR", error: { message: "Framework was torn down by an operator" } });
  return undefined;
}

/** The handlers of this area, joined in operator/dispatch.ts. */
export const agentCalls: OperatorHandlers = {
  MARK_AGENT_GONE: markAgentGone,
  TEARDOWN: teardown,
};
