/**
 * Which agents are alive, as the master hears them: memory only, because liveness is chatter,
 * not state (design rule 4). Two clocks per agent — the ping timeout (offers are withdrawn) and
 * the unreachable timeout (its tasks are given up, partitions.ts) — plus the held polls that
 * keep an agent alive while it waits, and which agents have caught up with this instance.
 */

/** The agents' liveness; see the file comment. */
export class Liveness {
  /**
   * When each live agent was last heard from, least recent first (`heard` re-inserts), so the
   * next ping deadline is the first entry's.
   */
  private readonly seen = new Map<string, number>();
  /**
   * When each reachable agent was last heard from, least recent first: the clock of the
   * unreachable timeout. Unlike `seen` an agent stays here after its ping timeout; after a
   * master start every reachable agent counts as heard from at the start.
   */
  private readonly heardAt = new Map<string, number>();
  /** Held long-polls per agent: an agent inside one counts as alive. */
  private readonly polling = new Map<string, number>();
  /**
   * Agents whose pending status updates this instance has surely seen: they polled it knowing
   * its id (or sending none). A restart forgets the updates agents sent (they are memory only)
   * until each agent learns of the new instance and sends them again, so until then a drain
   * must not count the agent's tasks as acknowledged (agent-drain.ts).
   */
  readonly caughtUp = new Set<string>();

  /** The agent was heard from now (moves it to the end of both clocks). */
  heard(agentId: string, now: number): void {
    this.seen.delete(agentId);
    this.seen.set(agentId, now);
    this.heardAt.delete(agentId);
    this.heardAt.set(agentId, now);
  }

  /** A (re-)registration: not alive until it polls, but its unreachable clock starts now. */
  registered(agentId: string, now: number): void {
    this.seen.delete(agentId);
    this.heardAt.delete(agentId);
    this.heardAt.set(agentId, now);
  }

  /** The agent is unreachable or gone: it is no longer tracked as alive. */
  drop(agentId: string): void {
    this.seen.delete(agentId);
    this.heardAt.delete(agentId);
  }

  /** Counts a long-poll start (+1) or end (-1). */
  pollHeld(agentId: string, delta: 1 | -1): void {
    this.polling.set(agentId, Math.max(0, (this.polling.get(agentId) ?? 0) + delta));
  }

  /** Heard from within the ping timeout, or inside a held poll. */
  alive(agentId: string): boolean {
    return this.seen.has(agentId) || this.inPoll(agentId);
  }

  private inPoll(agentId: string): boolean {
    return (this.polling.get(agentId) ?? 0) > 0;
  }

  /** Agents whose ping timeout has passed at `now` and that hold no poll; they are no longer alive. */
  pingTimedOut(now: number, timeoutMs: number): string[] {
    const out: string[] = [];
    for (const [id, seen] of this.seen) {
      if (seen + timeoutMs > now) break; // the rest were heard from later
      if (this.inPoll(id)) continue;
      this.seen.delete(id);
      out.push(id);
    }
    return out;
  }

  /** Agents not heard from within the unreachable timeout and holding no poll; they are dropped. */
  unreachable(now: number, timeoutMs: number): string[] {
    const out: string[] = [];
    for (const [id, heard] of this.heardAt) {
      if (heard + timeoutMs > now) break; // the rest were heard from later
      if (this.inPoll(id)) continue;
      out.push(id);
    }
    for (const id of out) this.drop(id);
    return out;
  }

  /** The earliest ping and unreachable deadlines (undefined where no agent is tracked). */
  deadlines(pingTimeoutMs: number, unreachableTimeoutMs: number): Array<number | undefined> {
    const oldest = this.seen.values().next();
    const quietest = this.heardAt.values().next();
    return [oldest.done ? undefined : oldest.value + pingTimeoutMs, quietest.done ? undefined : quietest.value + unreachableTimeoutMs];
  }
}
