/**
 * Maintenance primitives (Mesos docs/maintenance.md): the cluster's maintenance schedule and
 * the mode of each machine in it, UP (not in the schedule), DRAINING (in the schedule) or DOWN
 * (START_MAINTENANCE until STOP_MAINTENANCE). Pure: reads the view, returns effects.
 *
 * Both are kept in one setting, `maintenance` (`{ windows, down }`), replaced on every change.
 *
 * Which agents are on a machine: Mesos asks both `hostname` and `ip` to equal the agent's (an
 * omitted one is ""), which never matches an agent that announced no IP, as ours mostly do
 * (they may sit behind NAT). Here a machine matches an agent when every part the machine gives
 * matches: `{hostname}` matches every agent of that hostname (not case-sensitive), `{ip}` every
 * agent announcing that IP, `{hostname, ip}` only agents announcing both.
 */

import type { MaintenanceSchedule, MaintenanceWindow } from "../../../schemas/maintenance.ts";
import type { MachineID, Offer, Unavailability } from "../../../schemas/mesos.ts";
import { type Rejection, reject } from "../model/rejection.ts";
import type { AgentRecord } from "../store/records.ts";
import type { Effect } from "./effects.ts";
import type { MasterView } from "./view.ts";

/** The setting key the schedule and the DOWN machines are kept under. */
export const MAINTENANCE_SETTING = "maintenance";

/** The persisted maintenance state: the schedule's windows and the machines that are DOWN. */
export interface MaintenanceState {
  windows: MaintenanceWindow[];
  down: MachineID[];
}

/** A machine's mode (Mesos `MachineInfo.Mode`). */
export type MachineMode = "UP" | "DRAINING" | "DOWN";

const EMPTY: MaintenanceState = Object.freeze({ windows: [], down: [] }) as unknown as MaintenanceState;

/** The maintenance state in `view` (empty when none was ever set). */
export function maintenanceOf(view: Pick<MasterView, "settings">): MaintenanceState {
  return (view.settings.get(MAINTENANCE_SETTING) as MaintenanceState | undefined) ?? EMPTY;
}

/** The same machine written one way: hostname lower-cased, empty parts left out. */
export function normalMachine(m: MachineID): MachineID {
  return { ...(m.hostname ? { hostname: m.hostname.toLowerCase() } : {}), ...(m.ip ? { ip: m.ip } : {}) };
}

/** A string naming a machine exactly (hostname and ip), for maps and messages. */
export const machineKey = (m: MachineID) => `${m.hostname?.toLowerCase() ?? ""}/${m.ip ?? ""}`;

/** A readable name for messages: `host (10.0.0.1)`. */
export const machineName = (m: MachineID) => (m.hostname && m.ip ? `${m.hostname} (${m.ip})` : (m.hostname ?? m.ip ?? ""));

/** The ACL object of a machine (Mesos' `machines` entity): its hostname, or its IP without one. */
export const machineAclObject = (m: MachineID) => m.hostname?.toLowerCase() ?? m.ip;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]+$/;
const wellFormedIp = (ip: string) => IPV4.test(ip) || (ip.includes(":") && IPV6.test(ip));

/** Mesos' checks of a list of machines: each named by a hostname or a well-formed IP, none twice. */
export function validateMachines(machines: readonly MachineID[], field: string): Rejection | undefined {
  const seen = new Set<string>();
  for (const [i, m] of machines.entries()) {
    if (!m.hostname && !m.ip) return reject("invalid", `${field}[${i}]`, "a machine needs a hostname or an ip");
    if (m.ip && !wellFormedIp(m.ip)) return reject("invalid", `${field}[${i}].ip`, `'${m.ip}' is not a valid IP address`);
    const key = machineKey(m);
    if (seen.has(key)) return reject("invalid", `${field}[${i}]`, `machine '${machineName(m)}' appears more than once`);
    seen.add(key);
  }
  return undefined;
}

/**
 * Mesos' checks of a new schedule: windows valid, every machine in at most one window, and
 * every DOWN machine still in it (this call cannot bring a machine UP: STOP_MAINTENANCE does).
 */
export function validateSchedule(schedule: MaintenanceSchedule, state: MaintenanceState, field: string): Rejection | undefined {
  const seen = new Set<string>();
  for (const [i, w] of schedule.windows.entries()) {
    const at = `${field}.windows[${i}]`;
    const refused = validateMachines(w.machine_ids, `${at}.machine_ids`);
    if (refused) return refused;
    if (w.unavailability.duration && w.unavailability.duration.nanoseconds < 0) {
      return reject("invalid", `${at}.unavailability.duration`, "must not be negative");
    }
    for (const m of w.machine_ids) {
      if (seen.has(machineKey(m))) return reject("invalid", `${at}.machine_ids`, `machine '${machineName(m)}' is in more than one window`);
      seen.add(machineKey(m));
    }
  }
  const gone = state.down.find((m) => !seen.has(machineKey(m)));
  return gone ? reject("invalid", field, `machine '${machineName(gone)}' is DOWN and must stay in the schedule (use STOP_MAINTENANCE)`) : undefined;
}

/** Where a machine of the schedule is: its id, its window, and whether it is DOWN. */
export interface ScheduledMachine {
  id: MachineID;
  window: MaintenanceWindow;
  down: boolean;
}

/** Lookups of the scheduled machines by what an agent announces. */
interface MachineIndex {
  both: Map<string, ScheduledMachine>;
  host: Map<string, ScheduledMachine>;
  ip: Map<string, ScheduledMachine>;
}
const indexes = new WeakMap<MaintenanceState, MachineIndex>();

function indexOf(state: MaintenanceState): MachineIndex {
  let index = indexes.get(state);
  if (index) return index;
  index = { both: new Map(), host: new Map(), ip: new Map() };
  const down = new Set(state.down.map(machineKey));
  for (const window of state.windows) {
    for (const id of window.machine_ids) {
      const entry = { id, window, down: down.has(machineKey(id)) };
      if (id.hostname && id.ip) index.both.set(machineKey(id), entry);
      else if (id.hostname) index.host.set(id.hostname.toLowerCase(), entry);
      else if (id.ip) index.ip.set(id.ip, entry);
    }
  }
  indexes.set(state, index);
  return index;
}

/** The scheduled machine an agent (or a registering agent: hostname and ip) is on, if any. */
export function scheduledMachineOf(state: MaintenanceState, agent: Pick<AgentRecord, "hostname" | "ip">): ScheduledMachine | undefined {
  if (state.windows.length === 0) return undefined;
  const index = indexOf(state);
  const host = agent.hostname.toLowerCase();
  return (
    (agent.ip !== undefined ? index.both.get(`${host}/${agent.ip}`) : undefined) ??
    index.host.get(host) ??
    (agent.ip !== undefined ? index.ip.get(agent.ip) : undefined)
  );
}

/** The mode of the machine an agent is on. */
export function agentMachineMode(view: Pick<MasterView, "settings">, agent: Pick<AgentRecord, "hostname" | "ip">): MachineMode {
  const m = scheduledMachineOf(maintenanceOf(view), agent);
  return !m ? "UP" : m.down ? "DOWN" : "DRAINING";
}

/** The unavailability offers from this agent carry: set while its machine is DRAINING. */
export function agentUnavailability(view: Pick<MasterView, "settings">, agent: Pick<AgentRecord, "hostname" | "ip">): Unavailability | undefined {
  const m = scheduledMachineOf(maintenanceOf(view), agent);
  return m && !m.down ? m.window.unavailability : undefined;
}

/** The scheduled machine that equals `id` exactly (what START/STOP_MAINTENANCE name). */
export function scheduledMachine(state: MaintenanceState, id: MachineID): ScheduledMachine | undefined {
  const key = machineKey(id);
  for (const window of state.windows) {
    const found = window.machine_ids.find((m) => machineKey(m) === key);
    if (found) return { id: found, window, down: state.down.some((d) => machineKey(d) === key) };
  }
  return undefined;
}

/** The effect storing a new maintenance state. */
export const maintenanceSetting = (state: MaintenanceState): Effect => ({ kind: "setting", key: MAINTENANCE_SETTING, value: state });

/** Unavailabilities are equal (same start and duration). */
export function sameUnavailability(a: Unavailability | undefined, b: Unavailability | undefined): boolean {
  if (!a || !b) return a === b;
  return a.start.nanoseconds === b.start.nanoseconds && a.duration?.nanoseconds === b.duration?.nanoseconds;
}

/**
 * Sets `unavailability` on offers an allocation run has just made, for agents on DRAINING
 * machines (the offers are fresh objects not yet shared with anyone: set in place, so the
 * allocation cache still knows them as its own).
 */
export function addUnavailability(view: Pick<MasterView, "settings" | "agents">, offers: readonly Offer[]): void {
  const state = maintenanceOf(view);
  if (state.windows.length === 0) return;
  for (const offer of offers) {
    const agent = view.agents.get(offer.agent_id.value);
    const m = agent && scheduledMachineOf(state, agent);
    if (m && !m.down) offer.unavailability = m.window.unavailability;
  }
}

/**
 * Refuses a (re-)registration or poll from an agent on a DOWN machine, as Mesos refuses agents
 * of machines in maintenance: it may come back after STOP_MAINTENANCE.
 */
export function refuseIfDown(view: Pick<MasterView, "settings">, agent: Pick<AgentRecord, "hostname" | "ip">): Rejection | undefined {
  const m = scheduledMachineOf(maintenanceOf(view), agent);
  if (!m?.down) return undefined;
  return reject("forbidden", undefined, `machine '${machineName(m.id)}' is DOWN for maintenance: agents on it may not register or poll until STOP_MAINTENANCE`);
}
