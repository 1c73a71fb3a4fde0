/**
 * The agents' side of the core: (re-)registration, polls and their receipts, status updates,
 * and an agent marked gone. Each checks the caller (its own token, a DOWN machine, a gone
 * agent), asks the deciders (decide/agent-calls.ts), commits their effects and keeps liveness.
 */
import type { PollRequest, PollResponse, RegisterRequest, RegisterResponse, StatusRequest, StatusResponse } from "../../../schemas/index.ts";
import { decidePollReceipts, decideRegister, decideStatus } from "../decide/agent-calls.ts";
import { refuseIfDown } from "../decide/maintenance.ts";
import { decideAgentGone, goneRejection, isReachable } from "../decide/partitions.ts";
import { digestsEqual } from "../model/digests.ts";
import { type Rejection, reject } from "../model/rejection.ts";
import type { MasterState } from "./master-state.ts";

/** The token an agent is issued at registration, and the hash of the one it presented. */
export interface RegisterAuth {
  presented?: string;
  issued: { token: string; hash: string };
}

/**
 * (Re-)registration. `auth.presented` is the hash of the token the agent presented (needed to
 * re-register under an id); `auth.issued` the fresh token (and its hash) it gets now.
 */
export function register(state: MasterState, req: RegisterRequest, now: number, auth: RegisterAuth): RegisterResponse | Rejection {
  if (req.agent_id && !state.agents.has(req.agent_id.value)) {
    // Adopting an id this master never issued would restart its command numbering under an
    // agent that remembers a higher seq: tell it to register afresh instead.
    return reject("not_found", "agent_id", `unknown agent '${req.agent_id.value}'; register without an id`);
  }
  const refused =
    (req.agent_id ? checkAgentToken(state, req.agent_id.value, auth.presented) : undefined) ??
    refuseIfDown(state, { hostname: req.hostname, ...(req.ip ? { ip: req.ip } : {}) });
  if (refused) return refused;
  if (req.agent_id && state.agents.get(req.agent_id.value)?.goneAt !== undefined) return goneRejection(req.agent_id.value);
  const agentId = req.agent_id?.value ?? `${state.entropy.uuid()}-S0`;
  state.apply(decideRegister(state, req, agentId, auth.issued.hash, state.ctx(now)), now);
  // Not alive until it polls: a registration whose answer was lost must not be offered.
  state.liveness.registered(agentId, now);
  return { agent_id: { value: agentId }, agent_token: auth.issued.token, master_info: state.masterInfo, poll_hold_seconds: state.config.pollHoldMs / 1000 };
}

/**
 * The join token is shared by every agent; only the agent's own token shows that a call
 * about an agent id comes from that agent. Agents registered before tokens have none.
 */
export function checkAgentToken(state: MasterState, agentId: string, presentedHash: string | undefined): Rejection | undefined {
  const expected = state.agents.get(agentId)?.tokenHash;
  if (expected === undefined) return undefined;
  if (presentedHash !== undefined && digestsEqual(presentedHash, expected)) return undefined;
  return reject("unauthenticated", "agent_token", `missing or not the token issued to agent '${agentId}'; register again`);
}

/** Takes a poll's receipts; answers at once when there is something to say, else null. */
export function poll(state: MasterState, req: PollRequest, now: number, presentedHash: string | undefined): PollResponse | null | Rejection {
  const agentId = req.agent_id.value;
  if (!state.agents.has(agentId)) return { commands: [], acks: [], reregister: true };
  const refused = checkAgentToken(state, agentId, presentedHash) ?? refuseIfDown(state, state.agents.get(agentId)!);
  if (refused) return refused;
  const record = state.agents.get(agentId)!;
  if (record.goneAt !== undefined) return goneAgentPoll(state, req, now);
  // Unreachable: it must register again (with its id) so the master learns what it runs.
  if (record.unreachableAt !== undefined) return { commands: [], acks: [], reregister: true, master_id: state.masterInfo.id };
  const wasConnected = state.agentConnected(agentId);
  state.liveness.heard(agentId, now);
  if (req.master_id === undefined || req.master_id === state.masterInfo.id) state.liveness.caughtUp.add(agentId);
  if (!wasConnected) state.requestAllocation(now);
  if (req.usage) state.oversubscription.report(state, agentId, req.usage, now);
  if (req.usage) state.statistics.record(agentId, req.usage, now);
  state.apply(decidePollReceipts(state, req), now);
  const answer = pending(state, agentId, req.ack_seq);
  // An agent that last heard from another instance must learn of this one at once.
  const newMaster = req.master_id !== undefined && req.master_id !== state.masterInfo.id;
  return answer.commands.length || answer.acks.length || newMaster ? answer : null;
}

/** A gone agent polls: it gets the commands still queued for it (shutdowns), then `gone` refusals. */
function goneAgentPoll(state: MasterState, req: PollRequest, now: number): PollResponse | Rejection {
  state.apply(decidePollReceipts(state, req), now);
  const commands = (state.commands.get(req.agent_id.value) ?? []).filter((c) => c.seq > req.ack_seq).map((c) => c.command);
  if (commands.length === 0) return goneRejection(req.agent_id.value);
  return { commands, acks: [], master_id: state.masterInfo.id };
}

/** What is waiting for an agent: commands after `ackSeq` and framework acknowledgements. */
export function pending(state: MasterState, agentId: string, ackSeq: number): PollResponse {
  const commands = (state.commands.get(agentId) ?? []).filter((c) => c.seq > ackSeq).map((c) => c.command);
  const acks = [...state.updates.ackedFor(agentId)].map((u) => ({ task_id: { value: u.taskId }, uuid: u.uuid }));
  return { commands, acks, master_id: state.masterInfo.id };
}

/** Marks a long-poll start/end so an agent inside a held poll counts as alive. */
export function pollHeld(state: MasterState, agentId: string, delta: 1 | -1, now: number): void {
  state.liveness.pollHeld(agentId, delta);
  const a = state.agents.get(agentId);
  if (a && isReachable(a)) state.liveness.heard(agentId, now);
}

/** An agent's status updates: forwarded to their frameworks; answers which the agent may forget. */
export function status(state: MasterState, req: StatusRequest, now: number, presentedHash: string | undefined): StatusResponse | Rejection {
  if (!state.agents.has(req.agent_id.value)) return reject("invalid", "agent_id", `unknown agent '${req.agent_id.value}'; register first`);
  const refused = checkAgentToken(state, req.agent_id.value, presentedHash);
  if (refused) return refused;
  const agent = state.agents.get(req.agent_id.value)!;
  // Gone: nobody wants its updates any more. Unreachable: they wait for its re-registration.
  if (agent.goneAt !== undefined) return { acknowledged: req.updates.map((u) => u.status.uuid) };
  if (agent.unreachableAt !== undefined) return { acknowledged: [] };
  state.liveness.heard(req.agent_id.value, now);
  const { effects, acknowledged } = decideStatus(state, req, now);
  state.apply(effects, now);
  return { acknowledged };
}

/** MARK_AGENT_GONE: applies `decideAgentGone` and stops tracking the agent as alive. */
export function markAgentGone(state: MasterState, agentId: string, now: number): void {
  state.apply(decideAgentGone(state, agentId, state.ctx(now)), now);
  state.liveness.drop(agentId);
}
