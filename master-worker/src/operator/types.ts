/**
 * The shape of an operator call handler: each area of the master (reads, quota, weights,
 * maintenance, reservations, agents…) exports a table of handlers by call type, and
 * `operator/dispatch.ts` joins the tables. A handler reads the core, or decides effects with a pure
 * decider and applies them with `core.apply`; it returns the JSON answer, undefined for an
 * empty `200 OK` (as Mesos answers the calls that change something), or a `Rejection`.
 */
import type { MasterCore } from "../core/master-core.ts";
import type { Effect } from "../decide/effects.ts";
import { isRejection, type Rejection } from "../model/rejection.ts";

/** Who called, and when. */
export interface OperatorContext {
  principal?: string;
  now: number;
}

/** One operator call type's handler; `call` was validated by the Worker against its schema. */
// biome-ignore lint/suspicious/noExplicitAny: each handler narrows `call` to its own call type; one table holds them all.
export type OperatorHandler = (core: MasterCore, call: any, ctx: OperatorContext) => object | undefined | Rejection;

/** Handlers by call type (`GET_STATE`, `UPDATE_QUOTA`, …). */
export type OperatorHandlers = Record<string, OperatorHandler>;

/** Commits a decider's effects (an empty answer), or passes its refusal on. */
export function applied(core: MasterCore, decided: Effect[] | Rejection, now: number): Rejection | undefined {
  if (isRejection(decided)) return decided;
  core.apply(decided, now);
  return undefined;
}
