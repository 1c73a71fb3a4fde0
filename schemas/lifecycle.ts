/**
 * Operator API calls about the life of agents and frameworks (Mesos v1 `master.proto`):
 * MARK_AGENT_GONE and TEARDOWN. Their handlers are in `master-worker/src/operator/agent-calls.ts`.
 */
import { z } from "zod";
import { AgentID, FrameworkID } from "./mesos.ts";

/** Marks an agent gone for good: its tasks are over and it may never rejoin. */
export const MarkAgentGoneCall = z.object({
  type: z.literal("MARK_AGENT_GONE"),
  mark_agent_gone: z.object({ agent_id: AgentID }),
});
export type MarkAgentGoneCall = z.infer<typeof MarkAgentGoneCall>;

/** Removes a framework: its tasks are killed and it may not subscribe again with its id. */
export const OperatorTeardownCall = z.object({
  type: z.literal("TEARDOWN"),
  teardown: z.object({ framework_id: FrameworkID }),
});
export type OperatorTeardownCall = z.infer<typeof OperatorTeardownCall>;

/** This area's entries of `OPERATOR_CALL_SCHEMAS`. */
export const LIFECYCLE_CALL_SCHEMAS = { MARK_AGENT_GONE: MarkAgentGoneCall, TEARDOWN: OperatorTeardownCall };
