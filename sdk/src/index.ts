/** The Strata SDK: everything a framework (or the master, for RecordIO) imports. */

/** The schema types frameworks handle most, so one import of the SDK is enough. */
export type {
  AgentID,
  FrameworkID,
  FrameworkInfo,
  Offer,
  OfferID,
  Resource,
  TaskID,
  TaskInfo,
  TaskState,
  TaskStatus,
} from "../../schemas/mesos.ts";
export { isTerminal, TERMINAL_STATES } from "../../schemas/mesos.ts";
export * from "./auth.ts";
export * from "./backoff.ts";
export * from "./base64.ts";
export * from "./defaults.ts";
export * from "./ids.ts";
export * from "./offer-fit.ts";
export * from "./recordio.ts";
export * from "./resources.ts";
export * from "./scheduler-calls.ts";
export * from "./scheduler-client.ts";
export * from "./scheduler-errors.ts";
export * from "./scheduler-event-parse.ts";
export * from "./scheduler-types.ts";
export * from "./task-helpers.ts";
export * from "./units.ts";
export * from "./version.ts";
