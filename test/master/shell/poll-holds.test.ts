/**
 * PollHolds: held long-polls timed by one interval (workerd caps active timeouts per isolate).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { POLL_SWEEP_MS, PollHolds } from "../../../master-worker/src/shell/poll-holds.ts";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("PollHolds", () => {
  it("ends a hold at its deadline (within one sweep), with one timer however many polls are held", async () => {
    const holds = new PollHolds(() => Date.now());
    const ended: string[] = [];
    for (let i = 0; i < 20_000; i++) void holds.hold(`a${i}`, i < 10 ? 1_000 : 25_000).then(() => ended.push(`a${i}`));
    expect(holds.size).toBe(20_000);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000 - 1);
    expect(ended).toEqual([]);
    await vi.advanceTimersByTimeAsync(POLL_SWEEP_MS);
    expect(ended.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `a${i}`).sort());
    await vi.advanceTimersByTimeAsync(24_000 + POLL_SWEEP_MS);
    expect(ended).toHaveLength(20_000);
    expect(holds.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0); // no timer while nothing is held
  });

  it("wake ends every hold of that agent at once and no other", async () => {
    const holds = new PollHolds(() => Date.now());
    const ended: string[] = [];
    void holds.hold("a", 25_000).then(() => ended.push("a1"));
    void holds.hold("a", 25_000).then(() => ended.push("a2"));
    void holds.hold("b", 25_000).then(() => ended.push("b"));
    holds.wake("a");
    holds.wake("nobody");
    await vi.advanceTimersByTimeAsync(0);
    expect(ended).toEqual(["a1", "a2"]);
    expect(holds.size).toBe(1);
    await vi.advanceTimersByTimeAsync(25_000 + POLL_SWEEP_MS);
    expect(ended).toEqual(["a1", "a2", "b"]);
  });
});
