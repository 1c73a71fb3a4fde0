/**
 * Maintenance and agent draining, as Mesos spells them: the maintenance schedule
 * (`include/mesos/v1/maintenance/maintenance.proto`), inverse offers and their statuses
 * (`mesos.proto`, `allocator/allocator.proto`), and the operator calls that change them
 * (`master/master.proto`: UPDATE_MAINTENANCE_SCHEDULE, START/STOP_MAINTENANCE, DRAIN_AGENT,
 * DEACTIVATE_AGENT, REACTIVATE_AGENT). Semantic checks (one window per machine, …) are the
 * master's (master-worker/src/decide/maintenance.ts); these check shapes only.
 */
import { z } from "zod";
import { agentList, list, withinBytes } from "./bounded.ts";
import { MAX_MESSAGE_BYTES } from "./field-limits.ts";
import { AgentID, DurationInfo, FrameworkID, MachineID, OfferID, Resource, TimeInfo, Unavailability, URL_ } from "./mesos.ts";

/** Machines down together for one unavailability (Mesos `maintenance.Window`). */
export const MaintenanceWindow = z.object({
  machine_ids: list(MachineID).min(1, "a window needs at least one machine"),
  unavailability: Unavailability,
});
export type MaintenanceWindow = z.infer<typeof MaintenanceWindow>;

/** The cluster's one maintenance schedule (Mesos `maintenance.Schedule`). */
export const MaintenanceSchedule = withinBytes(z.object({ windows: list(MaintenanceWindow).default([]) }), "a maintenance schedule", MAX_MESSAGE_BYTES);
export type MaintenanceSchedule = z.infer<typeof MaintenanceSchedule>;

/** A framework's latest answer to the inverse offers for one machine (Mesos `InverseOfferStatus`). */
export const InverseOfferStatus = z.object({
  status: z.enum(["UNKNOWN", "ACCEPT", "DECLINE"]),
  framework_id: FrameworkID,
  timestamp: TimeInfo,
});
export type InverseOfferStatus = z.infer<typeof InverseOfferStatus>;

/** The master asking a framework to give an agent's resources back (Mesos `InverseOffer`). */
export const InverseOffer = z.object({
  id: OfferID,
  url: URL_.optional(),
  framework_id: FrameworkID,
  agent_id: AgentID.optional(),
  unavailability: Unavailability,
  /** Empty: every resource the framework holds on the agent. */
  resources: list(Resource).default([]),
});
export type InverseOffer = z.infer<typeof InverseOffer>;

/** GET_MAINTENANCE_STATUS's answer (Mesos `maintenance.ClusterStatus`). */
export const MaintenanceStatus = z.object({
  draining_machines: agentList(z.object({ id: MachineID, statuses: list(InverseOfferStatus).default([]) })).default([]),
  down_machines: agentList(MachineID).default([]),
});
export type MaintenanceStatus = z.infer<typeof MaintenanceStatus>;

const machineList = z.object({ machines: list(MachineID).min(1, "the list of machines must not be empty") });
const agentOnly = z.object({ agent_id: AgentID });

/** The operator calls of maintenance and draining, by type (joined into `OPERATOR_CALL_SCHEMAS`). */
export const MAINTENANCE_CALL_SCHEMAS = {
  UPDATE_MAINTENANCE_SCHEDULE: z.object({
    type: z.literal("UPDATE_MAINTENANCE_SCHEDULE"),
    update_maintenance_schedule: z.object({ schedule: MaintenanceSchedule }),
  }),
  START_MAINTENANCE: z.object({ type: z.literal("START_MAINTENANCE"), start_maintenance: machineList }),
  STOP_MAINTENANCE: z.object({ type: z.literal("STOP_MAINTENANCE"), stop_maintenance: machineList }),
  DRAIN_AGENT: z.object({
    type: z.literal("DRAIN_AGENT"),
    drain_agent: z.object({ agent_id: AgentID, max_grace_period: DurationInfo.optional(), mark_gone: z.boolean().optional() }),
  }),
  DEACTIVATE_AGENT: z.object({ type: z.literal("DEACTIVATE_AGENT"), deactivate_agent: agentOnly }),
  REACTIVATE_AGENT: z.object({ type: z.literal("REACTIVATE_AGENT"), reactivate_agent: agentOnly }),
} as const;

export type UpdateMaintenanceScheduleCall = z.infer<typeof MAINTENANCE_CALL_SCHEMAS.UPDATE_MAINTENANCE_SCHEDULE>;
export type StartMaintenanceCall = z.infer<typeof MAINTENANCE_CALL_SCHEMAS.START_MAINTENANCE>;
export type StopMaintenanceCall = z.infer<typeof MAINTENANCE_CALL_SCHEMAS.STOP_MAINTENANCE>;
export type DrainAgentCall = z.infer<typeof MAINTENANCE_CALL_SCHEMAS.DRAIN_AGENT>;
export type DeactivateAgentCall = z.infer<typeof MAINTENANCE_CALL_SCHEMAS.DEACTIVATE_AGENT>;
export type ReactivateAgentCall = z.infer<typeof MAINTENANCE_CALL_SCHEMAS.REACTIVATE_AGENT>;
