/** The operator floor's entry: the v1 operator API's dispatch (dispatch.ts) and its handler types (types.ts). */
export { OPERATOR_HANDLERS, operatorCall } from "./dispatch.ts";
export type { OperatorContext, OperatorHandler, OperatorHandlers } from "./types.ts";
