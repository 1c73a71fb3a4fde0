/**
 * The agents' held long-polls, all timed by one timer. workerd lets an isolate have at most
 * 10,000 active timeouts: with a timeout per held poll, a cluster of 10,000 agents made the
 * master fail polls with QuotaExceededError (found by the scale benchmark). Here one interval
 * sweeps the holds every `SWEEP_MS` and runs only while some poll is held; a hold may thus
 * last up to `SWEEP_MS` longer than asked, which a long-poll does not mind.
 */

/** How often held polls are checked for their deadline. */
export const POLL_SWEEP_MS = 250;

interface Hold {
  agentId: string;
  deadline: number;
  release: () => void;
}

export class PollHolds {
  private readonly byAgent = new Map<string, Set<Hold>>();
  private readonly all = new Set<Hold>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sweepMs = POLL_SWEEP_MS,
  ) {}

  /** Polls held right now. */
  get size(): number {
    return this.all.size;
  }

  /** Resolves after `ms`, or earlier when `wake(agentId)` is called. */
  hold(agentId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const hold: Hold = {
        agentId,
        deadline: this.now() + ms,
        release: () => {
          this.remove(hold);
          resolve();
        },
      };
      this.all.add(hold);
      let set = this.byAgent.get(agentId);
      if (!set) this.byAgent.set(agentId, (set = new Set()));
      set.add(hold);
      this.timer ??= setInterval(() => this.sweep(), this.sweepMs);
    });
  }

  /** Ends every poll `agentId` has held now (it has something to hear, or polled again). */
  wake(agentId: string): void {
    for (const h of [...(this.byAgent.get(agentId) ?? [])]) h.release();
  }

  /** Ends the holds whose time is up. */
  sweep(): void {
    const now = this.now();
    for (const h of [...this.all]) if (h.deadline <= now) h.release();
  }

  private remove(hold: Hold): void {
    this.all.delete(hold);
    const set = this.byAgent.get(hold.agentId);
    set?.delete(hold);
    if (set?.size === 0) this.byAgent.delete(hold.agentId);
    if (this.all.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
