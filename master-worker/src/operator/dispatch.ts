/**
 * Mesos v1 Operator API (`POST /api/v1`): one table of handlers joined from each area's table.
 * A call type no table handles is refused by name. `operator/index.ts` re-exports it.
 */
import type { MasterCore } from "../core/master-core.ts";
import { type Rejection, reject } from "../model/rejection.ts";
import { agentCalls } from "./agent-calls.ts";
import { containersCalls } from "./containers-calls.ts";
import { drainCalls } from "./drain-calls.ts";
import { maintenanceCalls } from "./maintenance-calls.ts";
import { quotaCalls } from "./quota-calls.ts";
import { readCalls } from "./read-calls.ts";
import { reservationCalls } from "./reservation-calls.ts";
import type { OperatorContext, OperatorHandlers } from "./types.ts";
import { weightsCalls } from "./weights-calls.ts";

/** Every operator call the master handles (an area adds its table here). */
export const OPERATOR_HANDLERS: OperatorHandlers = {
  ...readCalls,
  ...maintenanceCalls,
  ...drainCalls,
  ...agentCalls,
  ...reservationCalls,
  ...quotaCalls,
  ...weightsCalls,
  ...containersCalls,
};

/** Answers one operator call (or refuses it); `body` was validated by the Worker (`type` at least). */
export function operatorCall(core: MasterCore, body: unknown, ctx: OperatorContext): object | undefined | Rejection {
  const type = (body as { type: string }).type;
  const handler = Object.hasOwn(OPERATOR_HANDLERS, type) ? OPERATOR_HANDLERS[type] : undefined;
  if (!handler) return reject("invalid", "type", `operator call '${type}' is not supported`);
  return handler(core, body, ctx);
}
