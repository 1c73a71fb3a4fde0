import { describe, expect, it } from "vitest";
import { type BackoffEvent, type BackoffStrategy, delayAfterFailure, launchAllowedAt, launchDelay } from "../../frameworks/shared/launch-backoff.ts";

const S = 1000;
const strategy: BackoffStrategy = { backoffSeconds: 1, backoffFactor: 2, maxLaunchDelaySeconds: 10 };
const failures = (...atSeconds: number[]): BackoffEvent[] => atSeconds.map((s) => ({ atMs: s * S, kind: "failure" }));

describe("launch backoff", () => {
  it("no failure: no delay, launch now", () => {
    expect(launchDelay([], strategy, 5 * S)).toBeUndefined();
    expect(launchAllowedAt([], strategy, 5 * S)).toBe(5 * S);
  });

  it("each failure multiplies the delay by the factor, up to maxLaunchDelaySeconds", () => {
    // Failures one second apart: delays 1, 2, 4, 8, then 10 (capped), 10.
    const seen: number[] = [];
    const history: BackoffEvent[] = [];
    for (let i = 0; i < 6; i++) {
      history.push({ atMs: i * S, kind: "failure" });
      seen.push(launchDelay(history, strategy, i * S)!.delayMs / S);
    }
    expect(seen).toEqual([1, 2, 4, 8, 10, 10]);
  });

  it("the launch waits until the last failure plus the delay", () => {
    const h = failures(0, 1, 2); // delays 1, 2, 4 → the last set at t=2 for 4 s
    expect(launchAllowedAt(h, strategy, 3 * S)).toBe(6 * S);
    expect(launchAllowedAt(h, strategy, 7 * S)).toBe(7 * S);
  });

  it("Marathon's default factor 1.15 from 1 s", () => {
    const s: BackoffStrategy = { backoffSeconds: 1, backoffFactor: 1.15, maxLaunchDelaySeconds: 3600 };
    const d = launchDelay(failures(0, 1, 2, 3), s, 3 * S)!;
    expect(d.delayMs).toBeCloseTo(1000 * 1.15 ** 3, 6);
  });

  it("backoffSeconds above the maximum starts at the maximum", () => {
    expect(delayAfterFailure(undefined, { backoffSeconds: 60, backoffFactor: 2, maxLaunchDelaySeconds: 10 }, 0).delayMs).toBe(10 * S);
  });

  it("forgotten once maxLaunchDelaySeconds passed since the last failure: the next failure starts again at backoffSeconds", () => {
    const h = failures(0, 1, 2); // 4 s delay set at t=2
    expect(launchDelay(h, strategy, 12 * S)?.delayMs).toBe(4 * S); // 10 s after: still in force
    expect(launchDelay(h, strategy, 12 * S + 1)).toBeUndefined(); // just past
    expect(launchDelay([...h, { atMs: 13 * S, kind: "failure" }], strategy, 13 * S)?.delayMs).toBe(1 * S);
    expect(launchDelay([...h, { atMs: 11 * S, kind: "failure" }], strategy, 11 * S)?.delayMs).toBe(8 * S);
  });

  it("a reset (restart, upgrade, DELETE /v2/queue/{app}/delay) forgets the delay", () => {
    const h: BackoffEvent[] = [...failures(0, 1, 2), { atMs: 3 * S, kind: "reset" }];
    expect(launchDelay(h, strategy, 3 * S)).toBeUndefined();
    expect(launchDelay([...h, { atMs: 4 * S, kind: "failure" }], strategy, 4 * S)?.delayMs).toBe(1 * S);
  });

  it("events after now are not counted", () => {
    expect(launchDelay(failures(0, 50), strategy, 1 * S)?.delayMs).toBe(1 * S);
  });
});
