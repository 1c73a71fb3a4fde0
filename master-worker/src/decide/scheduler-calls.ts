/**
 * Pure decisions for the scheduler calls after SUBSCRIBE: each takes the cluster view and a
 * validated call and returns the effects to commit, or a `Rejection` for a client's mistake.
 */

import { healthCheckProblem } from "../../../schemas/health-check.ts";
import type { Acknowledgement, CallOf, KillPolicy, Resource, TaskInfo } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import { contains, subtract } from "../../../sdk/src/resources.ts";
import { filterRole, withAllocationRole } from "../allocator/index.ts";
import { isRejection, type Rejection, reject } from "../model/rejection.ts";
import { taskKey } from "../store/records.ts";
import { acceptSteps } from "./accept-steps.ts";
import type { DecideContext, Effect } from "./effects.ts";
import { stateFor } from "./partitions.ts";
import { reservationOpOf } from "./reservations.ts";
import { runTaskDenied } from "./scheduler-acls.ts";
import { type MasterView, masterStatus, ofFramework, offersGone, transientUpdate } from "./view.ts";

const refuseUntil = (view: MasterView, ctx: DecideContext, seconds: number | undefined) =>
  ctx.now + (seconds === undefined ? view.config.defaultRefuseMs : seconds * 1000);

/** ACCEPT with LAUNCH operations: validate every task, queue valid ones, report the rest. */
export function decideAccept(view: MasterView, fid: string, call: CallOf<"ACCEPT">, ctx: DecideContext): Effect[] | Rejection {
  const { offer_ids, operations, filters } = call.accept;
  for (const [i, op] of operations.entries()) {
    const rop = op.type !== "LAUNCH" ? reservationOpOf(op, `accept.operations[${i}]`) : undefined;
    if (isRejection(rop)) return rop;
    if (op.type !== "LAUNCH" && !rop) {
      return reject("invalid", `accept.operations[${i}].type`, `${op.type} is not supported yet (only LAUNCH, RESERVE, UNRESERVE, CREATE, DESTROY)`);
    }
    if (op.type === "LAUNCH" && !op.launch) return reject("invalid", `accept.operations[${i}].launch`, "required for a LAUNCH operation");
  }
  const tasks = operations.flatMap((op) => op.launch?.task_infos ?? []);
  const effects: Effect[] = [{ kind: "allocate" }];

  const offers = offer_ids.map((id) => view.offers.get(id.value));
  const invalid = offer_ids.find((_id, i) => {
    const o = offers[i];
    return !o || o.offer.framework_id.value !== fid;
  });
  const duplicate = offer_ids.find((id, i) => offer_ids.findIndex((x) => x.value === id.value) !== i);
  const agentIds = new Set(offers.map((o) => o?.offer.agent_id.value));
  const agentId = [...agentIds][0];
  // As Mesos: one ACCEPT uses offers of one agent and one role (a multi-role framework gets one offer per role).
  const roles = new Set(offers.map((o) => o?.offer.allocation_info?.role));
  // Only this framework's offers are used up: another framework's offer id must not withdraw it.
  for (const o of offers) if (o && o.offer.framework_id.value === fid) effects.push({ kind: "offerGone", offerId: o.offer.id.value, rescind: false });
  if (invalid || duplicate || agentIds.size !== 1 || !agentId || !view.agents.has(agentId) || roles.size > 1) {
    const why = invalid
      ? `Offer ${invalid.value} is no longer valid`
      : duplicate
        ? `Offer ${duplicate.value} appears more than once`
        : roles.size > 1
          ? "Offers must all be allocated to one role"
          : "Offers must all be on one agent";
    for (const t of tasks) {
      effects.push({
        kind: "update",
        frameworkId: fid,
        status: masterStatus(ctx, { taskId: t.task_id.value, agentId: t.agent_id.value }, stateFor(view, fid, "TASK_DROPPED"), "REASON_INVALID_OFFERS", why),
      });
    }
    return effects;
  }

  let remaining: Resource[] = offers.flatMap((o) => o!.offer.resources);
  const seen = new Set<string>();
  const framework = view.frameworks.get(fid)!;
  // Operations apply in order: a LAUNCH may use what an earlier RESERVE or CREATE made.
  const plan = acceptSteps(view, framework, agentId, operations);
  if (isRejection(plan)) return plan;
  for (const step of plan.steps) {
    if (step.kind === "convert") {
      const converted = step.apply(remaining);
      if (isRejection(converted)) return converted;
      remaining = converted;
      continue;
    }
    const { task, index: i } = step;
    const problem = validateTask(view, fid, agentId, task, remaining, seen);
    seen.add(task.task_id.value);
    if (problem) {
      effects.push({
        kind: "update",
        frameworkId: fid,
        status: masterStatus(ctx, { taskId: task.task_id.value, agentId }, "TASK_ERROR", "REASON_TASK_INVALID", `task_infos[${i}]: ${problem}`),
      });
      continue;
    }
    const denied = runTaskDenied(view, framework, task);
    if (denied) {
      effects.push({
        kind: "update",
        frameworkId: fid,
        status: masterStatus(ctx, { taskId: task.task_id.value, agentId }, "TASK_ERROR", "REASON_TASK_UNAUTHORIZED", `task_infos[${i}]: ${denied}`),
      });
      continue;
    }
    remaining = subtract(remaining, task.resources);
    effects.push({
      kind: "task",
      task: {
        frameworkId: fid,
        taskId: task.task_id.value,
        agentId,
        info: withAllocationRole(task, offers[0]!.offer.allocation_info),
        state: "TASK_STAGING",
        updatedAt: ctx.now,
      },
    });
    effects.push({
      kind: "command",
      agentId,
      command: {
        type: "LAUNCH",
        framework_id: { value: fid },
        // Only what the agent uses (LaunchFrameworkInfo), not labels and roles in every row.
        framework_info: {
          user: framework.info.user,
          name: framework.info.name,
          id: { value: fid },
          ...(framework.info.capabilities ? { capabilities: framework.info.capabilities } : {}),
        },
        task,
      },
    });
  }
  effects.push(...plan.effects());
  const until = refuseUntil(view, ctx, filters?.refuse_seconds);
  // As Mesos: no filter for a zero timeout (an already-expired one would force an early allocation).
  if (remaining.length > 0 && until > ctx.now)
    effects.push({ kind: "filter", filter: { frameworkId: fid, role: filterRole(offers[0]!.offer, framework), agentId, until } });
  return effects;
}

function validateTask(view: MasterView, fid: string, agentId: string, task: TaskInfo, remaining: Resource[], seen: Set<string>): string | undefined {
  const id = task.task_id.value;
  if (seen.has(id)) return `task_id '${id}' is used twice in this ACCEPT`;
  const existing = view.tasks.get(taskKey(fid, id));
  if (existing && !isTerminal(existing.state)) return `task_id '${id}' is already in use by an active task`;
  if (existing && view.updates.countForTask(fid, id) > 0) {
    // The agent keeps a finished task until its updates are acknowledged; reusing the id
    // before then would look like a duplicate launch to it.
    return `task_id '${id}' belongs to a finished task whose status updates are not all acknowledged yet`;
  }
  if (task.agent_id.value !== agentId) return `agent_id '${task.agent_id.value}' does not match the offer's agent '${agentId}'`;
  if (!task.command && !task.container) return "a task needs 'command' (or 'container')";
  if (task.command && task.command.shell !== false && !task.command.value) return "command.value: required for a shell command";
  if (task.command?.shell === false && !task.command.value) return "command.value: the executable to run is required";
  const healthProblem = task.health_check && healthCheckProblem(task.health_check);
  if (healthProblem) return healthProblem;
  if (task.resources.length === 0) return "resources: a task must use some resources";
  const bad = task.resources.find((r) => r.type === "SCALAR" && !r.scalar);
  if (bad) return `resources: '${bad.name}' is SCALAR but has no scalar value`;
  if (!contains(remaining, task.resources)) return "resources: the task's resources do not fit in the offered resources left";
  return undefined;
}

/** DECLINE: the offers' resources go back, with a refuse filter per agent. */
export function decideDecline(view: MasterView, fid: string, call: CallOf<"DECLINE">, ctx: DecideContext): Effect[] {
  const effects: Effect[] = [{ kind: "allocate" }];
  for (const id of call.decline.offer_ids) {
    const o = view.offers.get(id.value);
    if (!o || o.offer.framework_id.value !== fid) continue; // Mesos ignores unknown offers here
    effects.push({ kind: "offerGone", offerId: id.value, rescind: false });
    const until = refuseUntil(view, ctx, call.decline.filters?.refuse_seconds);
    if (until > ctx.now)
      effects.push({
        kind: "filter",
        filter: { frameworkId: fid, role: filterRole(o.offer, view.frameworks.get(fid)), agentId: o.offer.agent_id.value, until },
      });
  }
  return effects;
}

/** KILL: ask the task's agent; an unknown task is answered TASK_LOST, as Mesos does. */
export function decideKill(view: MasterView, fid: string, call: CallOf<"KILL">, ctx: DecideContext): Effect[] {
  const task = view.tasks.get(taskKey(fid, call.kill.task_id.value));
  if (!task) {
    return [
      transientUpdate(
        fid,
        masterStatus(
          ctx,
          { taskId: call.kill.task_id.value, agentId: call.kill.agent_id?.value },
          "TASK_LOST",
          "REASON_RECONCILIATION",
          "Attempted to kill an unknown task",
        ),
      ),
    ];
  }
  if (isTerminal(task.state)) {
    // Already over: say so, as Mesos answers a kill of a completed task.
    return [transientUpdate(fid, masterStatus(ctx, task, task.state, "REASON_RECONCILIATION", "Task has already terminated"))];
  }
  const kill_policy: KillPolicy | undefined = call.kill.kill_policy ?? task.info.kill_policy;
  return [
    {
      kind: "command",
      agentId: task.agentId,
      command: {
        type: "KILL",
        framework_id: { value: fid },
        task_id: { value: task.taskId },
        ...(kill_policy ? { kill_policy } : {}),
      },
    },
  ];
}

/**
 * ACKNOWLEDGE: the update may be forgotten by the master (and, once told, by the agent).
 * `field` names the acknowledgement in error messages.
 */
export function decideAcknowledge(view: MasterView, fid: string, ack: Acknowledgement, field = "acknowledge"): Effect[] | Rejection {
  const u = view.updates.get(ack.uuid);
  if (!u || u.frameworkId !== fid || u.acked) return [];
  if (u.taskId !== ack.task_id.value) return reject("invalid", `${field}.task_id`, `update ${ack.uuid} is for task '${u.taskId}'`);
  return [ackOrForget(view, u)];
}

/**
 * An acknowledged update: kept until its agent learns so (`ack`), or forgotten at once when no
 * agent waits for it (a master-made update, or an agent marked gone, which never hears again).
 */
export function ackOrForget(view: MasterView, u: { uuid: string; agentId?: string }): Effect {
  const waiting = u.agentId !== undefined && view.agents.get(u.agentId)?.goneAt === undefined;
  return waiting ? { kind: "ack", uuid: u.uuid } : { kind: "forget", uuid: u.uuid };
}

/** ACKNOWLEDGE_BATCH (Strata extension): every acknowledgement, or none when one is wrong. */
export function decideAcknowledgeBatch(view: MasterView, fid: string, call: CallOf<"ACKNOWLEDGE_BATCH">): Effect[] | Rejection {
  const effects: Effect[] = [];
  for (const [i, ack] of call.acknowledge_batch.acknowledgements.entries()) {
    const decided = decideAcknowledge(view, fid, ack, `acknowledge_batch.acknowledgements[${i}]`);
    if (isRejection(decided)) return decided;
    effects.push(...decided);
  }
  return effects;
}

/** TEARDOWN: the framework is removed, its tasks killed and its offers withdrawn. */
export function decideTeardown(view: MasterView, fid: string, ctx: DecideContext): Effect[] {
  const framework = view.frameworks.get(fid)!;
  const effects: Effect[] = [{ kind: "framework", framework: { ...framework, removed: true } }, { kind: "allocate" }];
  const agents = new Set<string>();
  for (const t of view.tasks.values()) {
    if (t.frameworkId !== fid || isTerminal(t.state)) continue;
    agents.add(t.agentId);
    const status = masterStatus(ctx, t, "TASK_KILLED", "REASON_FRAMEWORK_REMOVED", "Framework was torn down");
    effects.push({ kind: "task", task: { ...t, state: "TASK_KILLED", status, updatedAt: ctx.now } });
  }
  for (const agentId of agents) effects.push({ kind: "command", agentId, command: { type: "SHUTDOWN_FRAMEWORK", framework_id: { value: fid } } });
  for (const u of view.updates.values()) if (u.frameworkId === fid && !u.acked) effects.push(ackOrForget(view, u));
  effects.push(...offersGone(view, ofFramework(fid), false));
  return effects;
}
