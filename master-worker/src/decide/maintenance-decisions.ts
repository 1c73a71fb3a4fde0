/**
 * Pure decisions for the maintenance operator calls (Mesos docs/maintenance.md and
 * master/http.cpp): UPDATE_MAINTENANCE_SCHEDULE, START_MAINTENANCE, STOP_MAINTENANCE, and the
 * answers of GET_MAINTENANCE_SCHEDULE / GET_MAINTENANCE_STATUS. Each checks the ACL of every
 * machine it touches (`machineAclObject`): a change is refused (forbidden) when one is not allowed,
 * a read leaves out the machines the principal may not see.
 */
import { isTerminal } from "../../../schemas/index.ts";
import type { MaintenanceSchedule, MaintenanceStatus, MaintenanceWindow } from "../../../schemas/maintenance.ts";
import type { MachineID } from "../../../schemas/mesos.ts";
import { type AclAction, checkAuthorized } from "../model/authorizer.ts";
import { hasCapability } from "../model/capabilities.ts";
import { type Rejection, reject } from "../model/rejection.ts";
import type { DecideContext, Effect } from "./effects.ts";
import {
  type MaintenanceState,
  machineAclObject,
  machineKey,
  machineName,
  maintenanceOf,
  maintenanceSetting,
  normalMachine,
  sameUnavailability,
  scheduledMachine,
  scheduledMachineOf,
  validateMachines,
  validateSchedule,
} from "./maintenance.ts";
import { type MasterView, masterStatus, offersGone, onAgent } from "./view.ts";

function authorizeEach(
  view: MasterView,
  action: AclAction,
  principal: string | undefined,
  machines: Iterable<MachineID>,
  field: string,
): Rejection | undefined {
  for (const m of machines) {
    const refused = checkAuthorized(view.authorizer, action, principal, machineAclObject(m), field);
    if (refused) return refused;
  }
  return undefined;
}

const unavailabilityIn = (state: MaintenanceState, agent: Parameters<typeof scheduledMachineOf>[1]) => {
  const m = scheduledMachineOf(state, agent);
  return m && !m.down ? m.window.unavailability : undefined;
};

/**
 * UPDATE_MAINTENANCE_SCHEDULE: replaces the schedule (machines in it become DRAINING, machines
 * left out UP, DOWN ones must stay). Offers from agents whose unavailability changes are
 * rescinded, to be made again with the new one; inverse offers follow at the next tick.
 */
export function decideUpdateSchedule(view: MasterView, schedule: MaintenanceSchedule, principal: string | undefined): Effect[] | Rejection {
  const field = "update_maintenance_schedule.schedule";
  const before = maintenanceOf(view);
  const invalid = validateSchedule(schedule, before, field);
  if (invalid) return invalid;
  const windows: MaintenanceWindow[] = schedule.windows.map((w) => ({ machine_ids: w.machine_ids.map(normalMachine), unavailability: w.unavailability }));
  const inNew = new Set(windows.flatMap((w) => w.machine_ids.map(machineKey)));
  const removed = before.windows.flatMap((w) => w.machine_ids).filter((m) => !inNew.has(machineKey(m)));
  const refused = authorizeEach(view, "update_maintenance_schedules", principal, [...windows.flatMap((w) => w.machine_ids), ...removed], field);
  if (refused) return refused;
  const next: MaintenanceState = { windows, down: before.down };
  const effects: Effect[] = [maintenanceSetting(next), { kind: "allocate" }];
  for (const agent of view.agents.values()) {
    if (!sameUnavailability(unavailabilityIn(before, agent), unavailabilityIn(next, agent))) effects.push(...offersGone(view, onAgent(agent.id), true));
  }
  return effects;
}

/**
 * START_MAINTENANCE: DRAINING machines go DOWN. As in Mesos, the agents on them are taken out:
 * their offers are rescinded, their tasks reported TASK_LOST (TASK_GONE to PARTITION_AWARE
 * frameworks) with REASON_AGENT_REMOVED, and they may not register or poll until
 * STOP_MAINTENANCE. A KILL is queued for each task, for the agent to carry out if it comes back.
 */
export function decideStartMaintenance(
  view: MasterView,
  machines: readonly MachineID[],
  principal: string | undefined,
  ctx: DecideContext,
): Effect[] | Rejection {
  const field = "start_maintenance.machines";
  const invalid = validateMachines(machines, field);
  if (invalid) return invalid;
  const state = maintenanceOf(view);
  const down: MachineID[] = [];
  for (const [i, m] of machines.entries()) {
    const scheduled = scheduledMachine(state, m);
    if (!scheduled) return reject("invalid", `${field}[${i}]`, `machine '${machineName(m)}' is not in the maintenance schedule`);
    if (scheduled.down) return reject("invalid", `${field}[${i}]`, `machine '${machineName(m)}' is not in DRAINING mode and cannot be brought down`);
    down.push(scheduled.id);
  }
  const refused = authorizeEach(view, "start_maintenances", principal, down, field);
  if (refused) return refused;
  const next: MaintenanceState = { windows: state.windows, down: [...state.down, ...down] };
  const effects: Effect[] = [maintenanceSetting(next), { kind: "allocate" }];
  const goingDown = new Set(down.map(machineKey));
  const agents = new Set<string>();
  for (const agent of view.agents.values()) {
    const m = scheduledMachineOf(next, agent);
    if (m && goingDown.has(machineKey(m.id))) agents.add(agent.id);
  }
  for (const agentId of agents) effects.push(...offersGone(view, onAgent(agentId), true));
  for (const t of view.tasks.values()) {
    if (!agents.has(t.agentId) || isTerminal(t.state)) continue;
    const framework = view.frameworks.get(t.frameworkId);
    const state = framework && hasCapability(framework.info, "PARTITION_AWARE") ? "TASK_GONE" : "TASK_LOST";
    const status = masterStatus(ctx, t, state, "REASON_AGENT_REMOVED", "The agent's machine went DOWN for maintenance");
    effects.push({ kind: "task", task: { ...t, state, status, updatedAt: ctx.now } });
    // no agent on the update: the task record is set above, and the agent (refused while DOWN) has no copy to confirm
    effects.push({ kind: "update", frameworkId: t.frameworkId, status });
    effects.push({ kind: "command", agentId: t.agentId, command: { type: "KILL", framework_id: { value: t.frameworkId }, task_id: { value: t.taskId } } });
  }
  return effects;
}

/** STOP_MAINTENANCE: DOWN machines come UP: they leave the schedule and their agents may come back. */
export function decideStopMaintenance(view: MasterView, machines: readonly MachineID[], principal: string | undefined): Effect[] | Rejection {
  const field = "stop_maintenance.machines";
  const invalid = validateMachines(machines, field);
  if (invalid) return invalid;
  const state = maintenanceOf(view);
  const up = new Set<string>();
  for (const [i, m] of machines.entries()) {
    const scheduled = scheduledMachine(state, m);
    if (!scheduled) return reject("invalid", `${field}[${i}]`, `machine '${machineName(m)}' is not in the maintenance schedule`);
    if (!scheduled.down) return reject("invalid", `${field}[${i}]`, `machine '${machineName(m)}' is not in DOWN mode and cannot be brought up`);
    up.add(machineKey(m));
  }
  const refused = authorizeEach(view, "stop_maintenances", principal, machines, field);
  if (refused) return refused;
  const windows = state.windows
    .map((w) => ({ ...w, machine_ids: w.machine_ids.filter((m) => !up.has(machineKey(m))) }))
    .filter((w) => w.machine_ids.length > 0);
  return [maintenanceSetting({ windows, down: state.down.filter((m) => !up.has(machineKey(m))) }), { kind: "allocate" }];
}

/** GET_MAINTENANCE_SCHEDULE: the schedule, without the machines the principal may not see. */
export function maintenanceScheduleFor(view: MasterView, principal: string | undefined): MaintenanceSchedule {
  const allowed = (m: MachineID) => view.authorizer.allows("get_maintenance_schedules", principal, machineAclObject(m));
  const windows = maintenanceOf(view)
    .windows.map((w) => ({ ...w, machine_ids: w.machine_ids.filter(allowed) }))
    .filter((w) => w.machine_ids.length > 0);
  return { windows };
}

/** GET_MAINTENANCE_STATUS: DRAINING machines with the frameworks' answers, and DOWN machines. */
export function maintenanceStatusFor(view: MasterView, principal: string | undefined): MaintenanceStatus {
  const allowed = (m: MachineID) => view.authorizer.allows("get_maintenance_statuses", principal, machineAclObject(m));
  const state = maintenanceOf(view);
  const down = new Set(state.down.map(machineKey));
  const draining_machines = state.windows
    .flatMap((w) => w.machine_ids)
    .filter((m) => !down.has(machineKey(m)) && allowed(m))
    .map((id) => ({ id, statuses: [...(view.inverseOffers.statuses.get(machineKey(id))?.byFramework.values() ?? [])] }));
  return { draining_machines, down_machines: state.down.filter(allowed) };
}
