/**
 * The master's status updates by uuid, with the two lookups hot paths need without scanning
 * every update: how many a task still has (can its id be reused?) and which acknowledged ones
 * an agent has not yet been told about (every poll answer carries them). It also remembers, in
 * memory only, when each update was last written to its framework's stream, so that an agent's
 * retry does not send the framework the same update again while the first copy is surely still
 * on its way (see `UPDATE_RESEND_INTERVAL_MS`).
 */
import type { UpdateRecord } from "./records.ts";
import { taskKey } from "./records.ts";

/**
 * A retried update already forwarded on the framework's stream less than this long ago is not
 * forwarded again. An event stream loses nothing while it stays up, and a new SUBSCRIBE re-sends
 * every unacknowledged update, so a quick re-send only makes the framework acknowledge twice: under
 * load (acknowledgements slower than the agent's first retry) that doubled the work per task.
 */
export const UPDATE_RESEND_INTERVAL_MS = 10_000;

export class UpdateIndex extends Map<string, UpdateRecord> {
  private readonly perTask = new Map<string, number>();
  private readonly forwarded = new Map<string, number>();
  private readonly ackedByAgent = new Map<string, Map<string, UpdateRecord>>();

  override set(uuid: string, u: UpdateRecord): this {
    const before = super.get(uuid);
    if (before) this.unindex(before);
    super.set(uuid, u);
    const key = taskKey(u.frameworkId, u.taskId);
    this.perTask.set(key, (this.perTask.get(key) ?? 0) + 1);
    if (u.acked && u.agentId) {
      let m = this.ackedByAgent.get(u.agentId);
      if (!m) this.ackedByAgent.set(u.agentId, (m = new Map()));
      m.set(uuid, u);
    }
    return this;
  }

  override delete(uuid: string): boolean {
    const before = super.get(uuid);
    if (before) this.unindex(before);
    this.forwarded.delete(uuid);
    return super.delete(uuid);
  }

  override clear(): void {
    super.clear();
    this.perTask.clear();
    this.ackedByAgent.clear();
    this.forwarded.clear();
  }

  /** The update was written to its framework's stream at `now`. */
  markForwarded(uuid: string, now: number): void {
    if (super.has(uuid)) this.forwarded.set(uuid, now);
  }

  /** Whether a retry of the update should be forwarded to the framework again at `now`. */
  dueForResend(uuid: string, now: number): boolean {
    const at = this.forwarded.get(uuid);
    return at === undefined || now - at >= UPDATE_RESEND_INTERVAL_MS;
  }

  /** Updates kept for a task (acknowledged or not, until the agent has learnt so). */
  countForTask(frameworkId: string, taskId: string): number {
    return this.perTask.get(taskKey(frameworkId, taskId)) ?? 0;
  }

  /** Acknowledged updates of `agentId` the agent has not confirmed yet. */
  ackedFor(agentId: string): Iterable<UpdateRecord> {
    return this.ackedByAgent.get(agentId)?.values() ?? [];
  }

  private unindex(u: UpdateRecord): void {
    const key = taskKey(u.frameworkId, u.taskId);
    const n = (this.perTask.get(key) ?? 1) - 1;
    if (n > 0) this.perTask.set(key, n);
    else this.perTask.delete(key);
    if (u.acked && u.agentId) {
      const m = this.ackedByAgent.get(u.agentId);
      m?.delete(u.uuid);
      if (m?.size === 0) this.ackedByAgent.delete(u.agentId);
    }
  }
}
