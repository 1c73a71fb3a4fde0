/**
 * Carries out a decision: turns effects into row changes committed in one transaction, then
 * updates the in-memory mirror, then sends events and wakes agents. If the commit throws,
 * nothing in memory has changed and nothing was sent.
 */
import type { Offer, SchedulerEvent } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import { applySuppression, frameworkRoles, sameFilterTarget, withoutFrameworkFilters } from "../allocator/index.ts";
import type { Effect, RefuseFilter } from "../decide/effects.ts";
import type { InverseOfferBook } from "../decide/inverse-offer-book.ts";
import { commitInverseOfferChange } from "../decide/inverse-offer-book.ts";
import type { MasterView, OfferRecord } from "../decide/view.ts";
import { offerFor } from "../model/reservation-format.ts";
import type { AgentRecord, Change, CommandRecord, FrameworkRecord, Store, TaskRecord, UpdateRecord } from "../store/records.ts";
import { taskKey } from "../store/records.ts";
import type { UpdateIndex } from "../store/update-index.ts";
import type { Interner } from "./interner.ts";
import type { Outbox } from "./outbox.ts";

/** Told of each committed batch, with memory as it was before the batch (the operator event stream); must not throw. */
export type CommitObserver = (view: MasterView, effects: readonly Effect[], now: number) => void;

/**
 * What a commit changes and whom it tells: the master's state (master-state.ts) as seen by the
 * commit, mutable where the view is read-only.
 */
export interface CommitTarget extends MasterView {
  readonly agents: Map<string, AgentRecord>;
  readonly frameworks: Map<string, FrameworkRecord>;
  readonly tasks: Map<string, TaskRecord>;
  readonly updates: UpdateIndex;
  readonly commands: Map<string, CommandRecord[]>;
  readonly offers: Map<string, OfferRecord>;
  filters: RefuseFilter[];
  readonly suppressed: Set<string>;
  readonly suppressedRoles: Map<string, ReadonlySet<string>>;
  readonly settings: Map<string, unknown>;
  readonly inverseOffers: InverseOfferBook;
  readonly store: Store;
  readonly interner: Interner;
  readonly outbox: Outbox;
  readonly observer: CommitObserver | undefined;
  nextCommandSeq: number;
  nextUpdateSeq: number;
  /** Set when tasks, frameworks or updates change (the retention pass, tick.ts, may have work). */
  retentionDue: boolean;
  queueOf(agentId: string): CommandRecord[];
  requestAllocation(now: number): void;
}

/** Applies `effects` to `core`: store, then memory, then events and wake-ups. */
export function commitEffects(core: CommitTarget, effects: readonly Effect[], now: number): void {
  if (effects.length === 0) return;
  const changes: Change[] = [];
  const after: Array<() => void> = [];
  const events: Array<[string, SchedulerEvent]> = [];
  const wake = new Set<string>();
  let seq = core.nextCommandSeq;
  let updateSeq = core.nextUpdateSeq;
  const updates = new Map<string, UpdateRecord>(); // updates touched in this batch
  const updateOf = (uuid: string) => updates.get(uuid) ?? core.updates.get(uuid);
  const tasks = new Map<string, TaskRecord>(); // tasks touched in this batch
  const taskOf = (key: string) => tasks.get(key) ?? core.tasks.get(key);

  for (const e of effects) {
    switch (e.kind) {
      case "agent":
        changes.push({ table: "agents", put: e.agent });
        after.push(() => core.agents.set(e.agent.id, core.interner.agent(e.agent)));
        break;
      case "framework":
        changes.push({ table: "frameworks", put: e.framework });
        after.push(() => core.frameworks.set(e.framework.id, e.framework));
        break;
      case "task": {
        const key = taskKey(e.task.frameworkId, e.task.taskId);
        tasks.set(key, e.task);
        changes.push({ table: "tasks", put: e.task });
        after.push(() => core.tasks.set(key, core.interner.task(e.task)));
        break;
      }
      case "forgetTask": {
        const key = taskKey(e.frameworkId, e.taskId);
        changes.push({ table: "tasks", delete: key });
        after.push(() => core.tasks.delete(key));
        break;
      }
      case "forgetFramework":
        changes.push({ table: "frameworks", delete: e.frameworkId });
        after.push(() => {
          core.frameworks.delete(e.frameworkId);
          core.suppressed.delete(e.frameworkId);
          core.suppressedRoles.delete(e.frameworkId);
        });
        break;
      case "update": {
        const u: UpdateRecord = {
          uuid: e.status.uuid,
          seq: updateSeq++,
          frameworkId: e.frameworkId,
          taskId: e.status.task_id.value,
          ...(e.agentId ? { agentId: e.agentId } : {}),
          status: e.status,
          acked: false,
          ...(e.fromAgent ? { fromAgent: true } : {}),
        };
        updates.set(u.uuid, u);
        if (!u.fromAgent) changes.push({ table: "updates", put: u });
        const key = taskKey(e.frameworkId, u.taskId);
        const task = taskOf(key);
        // Only an update about the task on its own agent changes it (a master-made update
        // rejecting a launch has no agent, and must not touch an existing task of that id).
        // The latest state wins, except that a terminal state is never overwritten.
        if (task && task.agentId === e.agentId && !(isTerminal(task.state) && !isTerminal(e.status.state))) {
          const next = { ...task, state: e.status.state, status: e.status, updatedAt: now };
          tasks.set(key, next);
          changes.push({ table: "tasks", put: next });
          after.push(() => core.tasks.set(key, core.interner.task(next)));
        }
        after.push(() => {
          core.updates.set(u.uuid, u);
          core.updates.markForwarded(u.uuid, now);
        });
        events.push([e.frameworkId, { type: "UPDATE", update: { status: e.status } }]);
        break;
      }
      case "ack": {
        // A master-made update's row goes now; that the agent has yet to learn of the
        // acknowledgement is kept in memory only. A master restarted meanwhile has forgotten
        // it: the agent's retry then reaches the framework once more (at-least-once, as in
        // Mesos, whose master keeps no updates at all).
        const u = updateOf(e.uuid);
        if (!u || u.acked) break;
        const next = { ...u, acked: true };
        updates.set(u.uuid, next);
        if (!u.fromAgent) changes.push({ table: "updates", delete: u.uuid });
        after.push(() => core.updates.set(u.uuid, next));
        if (u.agentId) wake.add(u.agentId);
        break;
      }
      case "forget": {
        const u = updateOf(e.uuid);
        if (u && !u.acked && !u.fromAgent) changes.push({ table: "updates", delete: e.uuid }); // only these have a row
        after.push(() => core.updates.delete(e.uuid));
        break;
      }
      case "command": {
        const rec = { seq: seq++, agentId: e.agentId, command: { ...e.command, seq: 0 } } as CommandRecord;
        rec.command.seq = rec.seq;
        changes.push({ table: "commands", put: rec });
        after.push(() => core.queueOf(e.agentId).push(rec));
        wake.add(e.agentId);
        break;
      }
      case "commandsTaken": {
        const q = core.commands.get(e.agentId) ?? [];
        for (const c of q) if (c.seq <= e.upToSeq) changes.push({ table: "commands", delete: c.seq });
        after.push(() =>
          core.commands.set(
            e.agentId,
            (core.commands.get(e.agentId) ?? []).filter((c) => c.seq > e.upToSeq),
          ),
        );
        break;
      }
      case "offers": {
        after.push(() => {
          for (const o of e.offers) core.offers.set(o.id.value, { offer: o, createdAt: now });
        });
        const byFramework = new Map<string, Offer[]>();
        for (const o of e.offers) byFramework.set(o.framework_id.value, [...(byFramework.get(o.framework_id.value) ?? []), o]);
        for (const [fid, offers] of byFramework) {
          // Each framework reads reservations in the format it understands (reservation-format.ts).
          const info = core.frameworks.get(fid)?.info;
          events.push([fid, { type: "OFFERS", offers: { offers: offers.map((o) => offerFor(info, o)) } }]);
        }
        break;
      }
      case "offerGone": {
        const o = core.offers.get(e.offerId);
        after.push(() => core.offers.delete(e.offerId));
        if (o && e.rescind) events.push([o.offer.framework_id.value, { type: "RESCIND", rescind: { offer_id: { value: e.offerId } } }]);
        break;
      }
      case "releaseOffers": {
        const owned = e.offerIds.filter((id) => core.offers.get(id)?.offer.framework_id.value === e.frameworkId);
        after.push(() => {
          for (const id of owned) core.offers.delete(id);
          core.requestAllocation(now);
        });
        break;
      }
      case "filter":
        after.push(() => {
          core.filters = [...core.filters.filter((f) => !sameFilterTarget(f, e.filter)), e.filter];
        });
        break;
      case "clearFilters":
        after.push(() => {
          core.filters = withoutFrameworkFilters(core.filters, e.frameworkId, e.roles);
        });
        break;
      case "suppress":
        after.push(() => applySuppression(core, e, frameworkRoles(core.frameworks.get(e.frameworkId)?.info ?? {})));
        break;
      case "event": {
        events.push([e.frameworkId, e.event]);
        const uuid = e.event.type === "UPDATE" ? e.event.update.status.uuid : undefined;
        if (uuid) after.push(() => core.updates.markForwarded(uuid, now));
        break;
      }
      case "allocate":
        after.push(() => core.requestAllocation(now));
        break;
      case "setting": {
        changes.push({ table: "settings", key: e.key, value: e.value ?? null });
        after.push(() => {
          if (e.value === null || e.value === undefined) core.settings.delete(e.key);
          else core.settings.set(e.key, e.value);
        });
        break;
      }
      case "inverseOffer":
        commitInverseOfferChange(core.inverseOffers, e.change, now, after, events);
        break;
    }
  }
  if (seq !== core.nextCommandSeq) changes.push({ table: "meta", key: "next_command_seq", value: seq });
  core.store.commit(changes);
  core.observer?.(core, effects, now); // sees memory as it was before this batch
  core.nextCommandSeq = seq;
  core.nextUpdateSeq = updateSeq;
  for (const f of after) f();
  // A task, framework or update changed: the retention pass (tick.ts) may find something to forget.
  if (effects.some((e) => e.kind === "task" || e.kind === "update" || e.kind === "framework" || e.kind === "forget")) core.retentionDue = true;
  for (const [fid, event] of events) core.outbox.send(fid, event);
  for (const agentId of wake) core.outbox.wakeAgent(agentId);
}
