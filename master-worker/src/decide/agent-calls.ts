/**
 * Pure decisions for the agent protocol: (re-)registration, status updates, poll receipts.
 */
import type { PollRequest, RegisterRequest, StatusRequest, TaskState, TaskStatus } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import type { AgentRecord } from "../store/records.ts";
import { taskKey } from "../store/records.ts";
import { keptAcrossRegistration } from "./agent-drain.ts";
import type { DecideContext, Effect } from "./effects.ts";
import { decideAgentBack, missingTaskState } from "./partitions.ts";
import { reregisteredTotal } from "./reservations.ts";
import { type MasterView, masterStatus, offersGone, onAgent } from "./view.ts";

/**
 * Registration. On re-registration, a task the master placed on this agent that the agent
 * does not report, and whose LAUNCH is not still queued for it, is lost: say so.
 */
export function decideRegister(view: MasterView, req: RegisterRequest, agentId: string, tokenHash: string, ctx: DecideContext): Effect[] {
  const before = view.agents.get(agentId);
  // Dynamic reservations and volumes outlive re-registration (reservations.ts).
  const resources = reregisteredTotal(req.resources, before?.resources);
  const agent: AgentRecord = {
    id: agentId,
    hostname: req.hostname,
    port: req.port,
    resources,
    attributes: req.attributes,
    ...(resources !== req.resources ? { declared: req.resources } : {}),
    ...(req.version ? { version: req.version } : {}),
    registeredAt: before?.registeredAt ?? ctx.now,
    tokenHash,
    ...(req.ip ? { ip: req.ip } : {}),
    ...keptAcrossRegistration(before),
  };
  const effects: Effect[] = [{ kind: "agent", agent }, { kind: "allocate" }];
  // Tasks the agent runs that the master did not place there (e.g. it comes back under a new
  // id after the master forgot it): nobody accounts for them, so they are killed, as Mesos does.
  for (const t of req.tasks) {
    const known = view.tasks.get(taskKey(t.framework_id.value, t.task_id.value));
    if (!isTerminal(t.state) && known?.agentId !== agentId) {
      effects.push({ kind: "command", agentId, command: { type: "KILL", framework_id: t.framework_id, task_id: t.task_id } });
    }
  }
  if (!before) return effects;
  // Offers made from what it declared before may no longer fit what it declares now.
  effects.push(...offersGone(view, onAgent(agentId), true));
  const reported = new Set(req.tasks.map((t) => taskKey(t.framework_id.value, t.task_id.value)));
  if (before.unreachableAt !== undefined) {
    effects.push(...decideAgentBack(view, agentId, new Map(req.tasks.map((t) => [taskKey(t.framework_id.value, t.task_id.value), t.state])), ctx));
  }
  const queued = new Set(
    (view.commands.get(agentId) ?? []).flatMap((c) =>
      c.command.type === "LAUNCH" ? [taskKey(c.command.framework_id.value, c.command.task.task_id.value)] : [],
    ),
  );
  for (const t of view.tasks.values()) {
    const key = taskKey(t.frameworkId, t.taskId);
    if (t.agentId !== agentId || isTerminal(t.state) || reported.has(key) || queued.has(key)) continue;
    effects.push({
      kind: "update",
      frameworkId: t.frameworkId,
      agentId,
      status: masterStatus(ctx, t, missingTaskState(view, t.frameworkId), "REASON_AGENT_RESTARTED", "The agent re-registered without this task"),
    });
  }
  return effects;
}

/**
 * Status updates from an agent: new ones are kept and forwarded; known ones answered, and
 * forwarded again only when the last copy went out a while ago (`UPDATE_RESEND_INTERVAL_MS`).
 */
export function decideStatus(view: MasterView, req: StatusRequest, now: number): { effects: Effect[]; acknowledged: string[] } {
  const effects: Effect[] = [];
  const acknowledged: string[] = [];
  const agentId = req.agent_id.value;
  // Each task's last update in this request: see `staleAgentUpdate`.
  const last = new Map<string, TaskStatus>();
  for (const { framework_id, status } of req.updates) last.set(taskKey(framework_id.value, status.task_id.value), status);
  for (const { framework_id, status } of req.updates) {
    const fid = framework_id.value;
    const known = view.updates.get(status.uuid);
    const framework = view.frameworks.get(fid);
    const task = view.tasks.get(taskKey(fid, status.task_id.value));
    if (!task || task.agentId !== agentId) {
      // Not a task the master gave this agent: an agent may only report on what runs on it.
      acknowledged.push(status.uuid);
      continue;
    }
    if (known?.acked || !framework || framework.removed) {
      // Acknowledged already, or nobody left to deliver to: the agent may stop retrying.
      acknowledged.push(status.uuid);
      continue;
    }
    if (!known && isTerminal(task.state) && task.status?.source === "SOURCE_MASTER") {
      // The master already told the framework how the task ended (START_MAINTENANCE, an agent
      // re-registering without it): a second terminal report would contradict it. As Mesos
      // drops the updates of an agent it removed, the agent may stop retrying.
      acknowledged.push(status.uuid);
      continue;
    }
    if (!known && staleAgentUpdate(task.status, status) && !replayToLatest(view, task.status, last.get(taskKey(fid, status.task_id.value))!)) {
      // A late copy of an update acknowledged and forgotten (a status call that timed out or
      // was reset, still on its way while the agent retried it): already delivered, and
      // applying it would move the task back. The agent may stop retrying it.
      acknowledged.push(status.uuid);
      continue;
    }
    if (known) {
      // A retry: the framework has not acknowledged yet. Forward again (at-least-once), unless
      // the copy sent moments ago is surely still on its way.
      if (view.updates.dueForResend(status.uuid, now))
        effects.push({ kind: "event", frameworkId: fid, event: { type: "UPDATE", update: { status: known.status } } });
      continue;
    }
    effects.push({ kind: "update", frameworkId: fid, agentId, fromAgent: true, status: { ...status, agent_id: { value: agentId } } });
    if (isTerminal(status.state)) effects.push({ kind: "allocate" });
  }
  return { effects, acknowledged };
}

/** How far along a task is, for the states an agent reports; a terminal state is the end. */
function progress(state: TaskState): number | undefined {
  if (isTerminal(state)) return 4;
  return { TASK_STAGING: 0, TASK_STARTING: 1, TASK_RUNNING: 2, TASK_KILLING: 3 }[state as string];
}

/**
 * Whether an agent's update the master does not hold (`update`) is behind the task's latest
 * status (`current`), so is a late copy of one already applied rather than news: a non-terminal
 * state earlier than the latest (a task never goes back, e.g. RUNNING → STARTING), or the same
 * state with an earlier timestamp (e.g. an older health report). A copy of the latest update
 * itself is not stale: it changes nothing, and the master cannot tell it from the agent's retry
 * after a failover of an update the framework may never have received (it is delivered again).
 * Only a `current` the agent sent counts (same agent clock; a master-made status, e.g.
 * TASK_UNREACHABLE or the RUNNING of a re-registration, never makes an update stale), and an
 * update that moves the task on is never stale, whatever its timestamp.
 *
 * Mesos needs no such check: its agent sends a task's updates one at a time, the next only once
 * the previous one is acknowledged, over one ordered connection, and the master takes the task's
 * state from the update's `latest_state`. Here each call is a separate request, so a copy of an
 * earlier one can arrive after the update was acknowledged and the master forgot its uuid.
 */
export function staleAgentUpdate(current: TaskStatus | undefined, update: TaskStatus): boolean {
  if (!current || current.source === "SOURCE_MASTER") return false;
  if (isTerminal(update.state)) return false;
  const was = progress(current.state);
  const now = progress(update.state);
  if (was === undefined || now === undefined) return false;
  if (now !== was) return now < was;
  return current.timestamp !== undefined && update.timestamp !== undefined && update.timestamp < current.timestamp;
}

/**
 * Whether a request whose last update of a task is `last` brings the task (back) to at least
 * its latest status: the agent re-sending all it holds, oldest first (after a master failover,
 * which forgets agent updates), so its earlier updates are delivered again, in order, and the
 * task ends where `last` says. `last` must be one the master applies (not one it holds).
 */
function replayToLatest(view: MasterView, current: TaskStatus | undefined, last: TaskStatus): boolean {
  return last.uuid !== undefined && !view.updates.get(last.uuid) && !staleAgentUpdate(current, last);
}

/** A poll's receipts: commands the agent took over and acknowledgements it has learnt. */
export function decidePollReceipts(view: MasterView, req: PollRequest): Effect[] {
  const agentId = req.agent_id.value;
  const effects: Effect[] = [];
  const queued = view.commands.get(agentId) ?? [];
  if (queued.some((c) => c.seq <= req.ack_seq)) effects.push({ kind: "commandsTaken", agentId, upToSeq: req.ack_seq });
  for (const uuid of req.acked_uuids) {
    const u = view.updates.get(uuid);
    if (u?.acked && u.agentId === agentId) effects.push({ kind: "forget", uuid });
  }
  return effects;
}
