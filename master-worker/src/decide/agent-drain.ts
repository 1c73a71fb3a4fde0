/**
 * Taking one agent out of service (Mesos docs/maintenance.md, "Automatic/Manual Node
 * Draining"): DEACTIVATE_AGENT stops offers from it (its outstanding offers are rescinded, its
 * tasks keep running); DRAIN_AGENT also kills every task on it, and its drain goes from
 * DRAINING to DRAINED once no task is left and every task's updates are acknowledged;
 * REACTIVATE_AGENT makes it offerable again and ends a drain. Kept on the agent record, so it
 * survives master restarts and the agent's re-registration. Pure: view in, effects out.
 *
 * With `mark_gone` the agent is marked gone (as MARK_AGENT_GONE, partitions.ts) once DRAINED:
 * nothing runs there any more, so that only stops it from ever coming back.
 */

import { isTerminal } from "../../../schemas/index.ts";
import type { DrainAgentCall } from "../../../schemas/maintenance.ts";
import type { KillPolicy } from "../../../schemas/mesos.ts";
import { isRejection, type Rejection, reject } from "../model/rejection.ts";
import type { AgentDrainInfo, AgentRecord } from "../store/records.ts";
import type { Effect } from "./effects.ts";
import { agentMachineMode } from "./maintenance.ts";
import { type MasterView, offersGone, onAgent } from "./view.ts";

/** Mesos' default kill grace period (the agent's `--executor_shutdown_grace_period` default). */
const DEFAULT_GRACE_NS = 3e9;

/** What an agent's re-registration keeps of its record: its deactivation and drain are the operator's. */
export function keptAcrossRegistration(before: AgentRecord | undefined): Pick<AgentRecord, "deactivated" | "drain"> {
  if (!before) return {};
  return { ...(before.deactivated ? { deactivated: true } : {}), ...(before.drain ? { drain: before.drain } : {}) };
}

/**
 * The agent's deactivation and drain as Mesos' GET_AGENTS shows them (`deactivated`,
 * `drain_info`), for the read calls to add to each agent.
 */
export function agentDrainInfo(agent: AgentRecord): { deactivated: boolean; drain_info?: AgentDrainInfo } {
  return { deactivated: agent.deactivated === true, ...(agent.drain ? { drain_info: agent.drain } : {}) };
}

/**
 * Whether allocation may offer the agent's resources, connection aside: not deactivated (or
 * draining) and not on a DOWN machine. `MasterCore.agentActive` adds the connection.
 */
export function agentOfferable(view: Pick<MasterView, "agents" | "settings">, agentId: string): boolean {
  const agent = view.agents.get(agentId);
  return agent !== undefined && agent.deactivated !== true && agentMachineMode(view, agent) !== "DOWN";
}

function knownAgent(view: MasterView, agentId: string, field: string): AgentRecord | Rejection {
  return view.agents.get(agentId) ?? reject("invalid", field, `unknown agent '${agentId}'`);
}

/** DEACTIVATE_AGENT: no more offers from the agent; those outstanding are rescinded. */
export function decideDeactivate(view: MasterView, agentId: string): Effect[] | Rejection {
  const agent = knownAgent(view, agentId, "deactivate_agent.agent_id");
  if (isRejection(agent)) return agent;
  const effects: Effect[] = offersGone(view, onAgent(agentId), true);
  if (!agent.deactivated) effects.unshift({ kind: "agent", agent: { ...agent, deactivated: true } });
  return effects;
}

/** REACTIVATE_AGENT: offers from the agent again, and any drain is over (nothing to do when active). */
export function decideReactivate(view: MasterView, agentId: string): Effect[] | Rejection {
  const agent = knownAgent(view, agentId, "reactivate_agent.agent_id");
  if (isRejection(agent)) return agent;
  if (!agent.deactivated && !agent.drain) return [];
  const { deactivated: _d, drain: _drain, ...rest } = agent;
  return [{ kind: "agent", agent: rest }, { kind: "allocate" }];
}

/** The kill policy a drained task gets: its own grace period, capped by `max_grace_period`. */
export function drainKillPolicy(own: KillPolicy | undefined, maxNs: number | undefined): KillPolicy | undefined {
  if (maxNs === undefined) return own;
  const grace = own?.grace_period?.nanoseconds ?? DEFAULT_GRACE_NS;
  return { ...own, grace_period: { nanoseconds: Math.min(grace, maxNs) } };
}

/** DRAIN_AGENT: deactivate the agent and kill every task on it; DRAINED when none is left. */
export function decideDrain(view: MasterView, call: DrainAgentCall["drain_agent"], now: number): Effect[] | Rejection {
  const agentId = call.agent_id.value;
  const agent = knownAgent(view, agentId, "drain_agent.agent_id");
  if (isRejection(agent)) return agent;
  const maxNs = call.max_grace_period?.nanoseconds;
  if (maxNs !== undefined && maxNs < 0) return reject("invalid", "drain_agent.max_grace_period", "must not be negative");
  const config: AgentDrainInfo["config"] = {
    ...(maxNs !== undefined ? { max_grace_period: { nanoseconds: maxNs } } : {}),
    ...(call.mark_gone !== undefined ? { mark_gone: call.mark_gone } : {}),
  };
  const effects: Effect[] = [];
  for (const t of view.tasks.values()) {
    if (t.agentId !== agentId || isTerminal(t.state)) continue;
    const kill_policy = drainKillPolicy(t.info.kill_policy, maxNs);
    effects.push({
      kind: "command",
      agentId,
      command: {
        type: "KILL",
        framework_id: { value: t.frameworkId },
        task_id: { value: t.taskId },
        ...(kill_policy ? { kill_policy } : {}),
      },
    });
  }
  const state = drained(view, agentId) ? "DRAINED" : "DRAINING";
  // DRAINED at once: mark_gone applies now (drainProgress only sees DRAINING agents).
  const gone = state === "DRAINED" && call.mark_gone === true ? { goneAt: agent.goneAt ?? now } : {};
  effects.unshift({ kind: "agent", agent: { ...agent, deactivated: true, drain: { state, config }, ...gone } });
  effects.push(...offersGone(view, onAgent(agentId), true));
  return effects;
}

/** No task of the agent is running and none of their updates waits for an acknowledgement. */
function drained(view: MasterView, agentId: string): boolean {
  for (const t of view.tasks.values()) {
    if (t.agentId !== agentId) continue;
    if (!isTerminal(t.state) || view.updates.countForTask(t.frameworkId, t.taskId) > 0) return false;
  }
  return true;
}

/**
 * DRAINING agents that have become DRAINED (checked on every tick; a task ending asks for an
 * allocation, so a tick follows soon, and a framework's acknowledgement is seen at the latest
 * with the next heartbeat tick).
 */
export function drainProgress(view: MasterView, now: number): Effect[] {
  const draining = new Map<string, AgentRecord>();
  for (const agent of view.agents.values()) if (agent.drain?.state === "DRAINING") draining.set(agent.id, agent);
  if (draining.size === 0) return [];
  for (const t of view.tasks.values()) {
    if (!draining.has(t.agentId)) continue;
    if (!isTerminal(t.state) || view.updates.countForTask(t.frameworkId, t.taskId) > 0) draining.delete(t.agentId);
  }
  return [...draining.values()].map(
    (agent): Effect => ({
      kind: "agent",
      agent: {
        ...agent,
        drain: { ...agent.drain!, state: "DRAINED" },
        ...(agent.drain!.config.mark_gone ? { goneAt: agent.goneAt ?? now } : {}),
      },
    }),
  );
}
