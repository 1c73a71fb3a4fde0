/**
 * Operator API maintenance calls (Mesos `master.proto`): UPDATE_MAINTENANCE_SCHEDULE,
 * GET_MAINTENANCE_SCHEDULE, GET_MAINTENANCE_STATUS, START_MAINTENANCE, STOP_MAINTENANCE.
 * The deciding is in maintenance-decisions.ts; these apply the effects or shape the answer.
 */
import type { StartMaintenanceCall, StopMaintenanceCall, UpdateMaintenanceScheduleCall } from "../../../schemas/maintenance.ts";
import {
  decideStartMaintenance,
  decideStopMaintenance,
  decideUpdateSchedule,
  maintenanceScheduleFor,
  maintenanceStatusFor,
} from "../decide/maintenance-decisions.ts";
import { applied, type OperatorHandlers } from "./types.ts";

/** The maintenance calls; the mutating ones answer an empty 200. */
export const maintenanceCalls: OperatorHandlers = {
  GET_MAINTENANCE_SCHEDULE: (core, _call, ctx) => ({
    type: "GET_MAINTENANCE_SCHEDULE",
    get_maintenance_schedule: { schedule: maintenanceScheduleFor(core, ctx.principal) },
  }),
  GET_MAINTENANCE_STATUS: (core, _call, ctx) => ({
    type: "GET_MAINTENANCE_STATUS",
    get_maintenance_status: { status: maintenanceStatusFor(core, ctx.principal) },
  }),
  UPDATE_MAINTENANCE_SCHEDULE: (core, call: UpdateMaintenanceScheduleCall, ctx) =>
    applied(core, decideUpdateSchedule(core, call.update_maintenance_schedule.schedule, ctx.principal), ctx.now),
  START_MAINTENANCE: (core, call: StartMaintenanceCall, ctx) =>
    applied(core, decideStartMaintenance(core, call.start_maintenance.machines, ctx.principal, core.ctx(ctx.now, ctx.principal)), ctx.now),
  STOP_MAINTENANCE: (core, call: StopMaintenanceCall, ctx) =>
    applied(core, decideStopMaintenance(core, call.stop_maintenance.machines, ctx.principal), ctx.now),
};
