/**
 * Oversubscription as its own pass of the master's tick, after regular allocation: keeps the
 * agents' usage reports and an index of revocable tasks and offers (memory only), and when a
 * pass is due asks `decideOversubscription` (oversubscription.ts) what to correct and offer.
 *
 * A pass runs when usage reports arrived (at most once per allocation interval: reports are
 * batched like allocation requests) or when a regular allocation ran this tick (something
 * changed: a task ended, an offer was declined, a framework came or went, a filter expired).
 * It looks only at agents with a usage report or a revocable task or offer (only the latter
 * while no connected framework accepts revocable resources), and costs next to nothing while
 * no agent reports usage, no revocable task or offer exists and no framework wants them, or
 * `STRATA_OVERSUBSCRIPTION_FACTOR` is 0 (then it is off: no revocable offers, no evictions).
 */
import type { UsageReport } from "../../../schemas/index.ts";
import { isTerminal } from "../../../schemas/index.ts";
import { refusedPairs } from "../allocator/index.ts";
import { allocationCacheFor } from "../decide/allocation-step.ts";
import type { Effect } from "../decide/effects.ts";
import { decideOversubscription, revocableCapacity, revocableClients, type SlackAgent, wantsRevocable } from "../decide/oversubscription.ts";
import { RevocableIndex } from "../decide/revocable-index.ts";
import { UsageReports } from "../decide/usage-reports.ts";
import type { MasterView } from "../decide/view.ts";
import { type TaskRecord, taskKey } from "../store/records.ts";

/** The master's oversubscription state and pass; see the file comment. */
export class OversubscriptionPass {
  readonly reports = new UsageReports();
  private readonly index = new RevocableIndex();
  /** Keys of revocable tasks a preempting KILL was queued for (they no longer count as held). */
  private readonly evicting = new Set<string>();
  /** The index has caught up with the view at least once. */
  private synced = false;
  /** The last pass made offers, which the index learns of at its next sync. */
  private offersUnseen = false;
  /** When a pass is due for reports received (undefined: none waiting). */
  dueAt: number | undefined;

  /** An agent's usage report: kept, and a pass asked for within `view.config.allocationIntervalMs`. */
  report(view: MasterView, agentId: string, report: UsageReport, now: number): void {
    if (view.config.oversubscriptionFactor <= 0) return;
    this.reports.record(agentId, report);
    const at = now + view.config.allocationIntervalMs;
    if (this.dueAt === undefined || at < this.dueAt) this.dueAt = at;
  }

  /**
   * Runs a pass when one is due at `now` or `allocated` says a regular allocation just ran;
   * returns the effects to commit (none when there is nothing to do).
   */
  run(view: MasterView, now: number, allocated: boolean, nextOfferId: () => string): Effect[] {
    if (!allocated && (this.dueAt === undefined || this.dueAt > now)) return [];
    this.dueAt = undefined;
    const factor = view.config.oversubscriptionFactor;
    if (factor <= 0 || this.reports.size === 0) return [];
    // With no framework to offer to, only agents holding revocable things need looking at; and
    // once the index has caught up (a restarted master's view may hold revocable tasks), none
    // can appear without an offer from a pass that had a framework to make it to (and which the
    // index has yet to see when that pass was the last).
    const anyClient = [...view.frameworks.values()].some((f) => wantsRevocable(view, f));
    if (!anyClient && this.synced && !this.offersUnseen && this.index.empty) return [];
    this.index.sync(view);
    this.synced = true;
    for (const key of this.evicting) {
      const t = view.tasks.get(key);
      if (!t || isTerminal(t.state)) this.evicting.delete(key);
    }
    const agents: SlackAgent[] = [];
    const ids = anyClient ? new Set([...this.reports.agents(), ...this.index.agents()]) : this.index.agents();
    for (const id of ids) {
      const record = view.agents.get(id);
      const usage = this.reports.of(id);
      if (!record) {
        this.reports.forget(id);
        continue;
      }
      // Without a report nothing is known of the slack there: no offers, no evictions.
      if (!usage) continue;
      agents.push({
        record,
        connected: view.agentActive(id), // deactivated, draining or DOWN: no offers
        capacity: revocableCapacity(view, id, usage, factor),
        tasks: this.heldTasksOn(id),
        offers: [...this.index.offersOn(id).values()],
      });
    }
    const holding = [...this.index.agents()];
    // The tie-break counts regular allocation keeps: one count per framework and role, as Mesos'.
    const counts = allocationCacheFor(view).counts;
    const clients = revocableClients(
      view,
      holding.flatMap((id) => this.heldTasksOn(id)),
      holding.flatMap((id) => [...this.index.offersOn(id).values()]),
      counts,
    );
    const decision = decideOversubscription(view, agents, clients, refusedPairs(view.filters, now), nextOfferId);
    for (const e of decision.effects) {
      if (e.kind === "offers") counts.record(e.offers.map((o) => ({ frameworkId: o.framework_id.value, role: o.allocation_info?.role ?? "*" })));
    }
    for (const t of decision.evicted) this.evicting.add(taskKey(t.frameworkId, t.taskId));
    this.offersUnseen = decision.effects.some((e) => e.kind === "offers");
    return decision.effects;
  }

  /** The agent's live revocable tasks not being evicted, oldest first. */
  private heldTasksOn(agentId: string): TaskRecord[] {
    const out: TaskRecord[] = [];
    for (const [key, t] of this.index.tasksOn(agentId)) if (!this.evicting.has(key)) out.push(t);
    return out;
  }
}
