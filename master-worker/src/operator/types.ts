/**
 * The shape of an operator call handler: each area of the master (reads, quota, weights,
 * maintenance, reservations, agents…) exports a table of handlers by call type, and
 * `operator/index.ts` joins the tables. A handler reads the core, or decides effects with a pure
 * decider and applies them with `core.apply`; it returns the JSON answer, or undefined for an
 * empty `200 OK` (as Mesos answers the calls that change something).
 */
import type { MasterCore } from "../core/master-core.ts";

/** Who called, and when. */
export interface OperatorContext { principal?: string; now: number }

/** One operator call type's handler; `call` was validated by the Worker against its schema. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OperatorHandler = (core: MasterCore, call: any, ctx: OperatorContext) => object | undefined;

/** Handlers by call type (`GET_STATE`, `UPDATE_QUOTA`, …). */
export type OperatorHandlers = Record<string, OperatorHandler>;
