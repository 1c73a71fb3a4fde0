import { describe, expect, it } from "vitest";
import { planRestartStep, type RestartInstance, restartStrategy } from "../../frameworks/services/rolling-restart.ts";

/**
 * Simulates a restart: instances are `o<n>` (old) and `n<n>` (new). Each round plans a step and
 * applies it: kills mark instances killing, starts add new instances (not yet healthy). Then
 * `world` moves: killing instances become terminal (removed) and new instances become healthy.
 * Records each round's step and checks the invariants on every state seen.
 */
function simulate(instances: number, minimumHealthCapacity: number, maximumOverCapacity: number, resident = false) {
  let current: RestartInstance[] = Array.from({ length: instances }, (_, i) => ({ id: `o${i}`, isNew: false, killing: false, healthy: true }));
  const strategy = restartStrategy(instances, { minimumHealthCapacity, maximumOverCapacity }, current.length, resident);
  const rounds: Array<{ kill: number; start: number; healthy: number; exist: number }> = [];
  let next = 0;
  for (let round = 0; round < 50; round++) {
    const step = planRestartStep(instances, strategy, current, round === 0);
    if (step.done) return { strategy, rounds, current };
    current = current.map((i) => (step.kill.includes(i.id) ? { ...i, killing: true } : i));
    for (let s = 0; s < step.start; s++) current.push({ id: `n${next++}`, isNew: true, killing: false, healthy: false });
    const healthy = current.filter((i) => i.healthy && !i.killing).length;
    rounds.push({ kill: step.kill.length, start: step.start, healthy, exist: current.length });
    // The world moves: kills complete, started instances become healthy.
    current = current.filter((i) => !i.killing).map((i) => ({ ...i, healthy: true }));
  }
  throw new Error(`no progress: ${JSON.stringify(rounds.slice(-3))}`);
}

describe("restartStrategy: Marathon's numbers", () => {
  it.each<[string, number, number, number, boolean, ReturnType<typeof restartStrategy>]>([
    ["min 1, over 1", 4, 1, 1, false, { minHealthy: 4, maxCapacity: 8, killImmediately: 0, healthyFloor: 4 }],
    ["min 0.5, over 0", 4, 0.5, 0, false, { minHealthy: 2, maxCapacity: 4, killImmediately: 2, healthyFloor: 2 }],
    ["min 0.5 rounds up: 3 × 0.5 → 2", 3, 0.5, 0, false, { minHealthy: 2, maxCapacity: 3, killImmediately: 1, healthyFloor: 2 }],
    ["over capacity rounds down: 3 × 1.5 → 4", 3, 1, 0.5, false, { minHealthy: 3, maxCapacity: 4, killImmediately: 0, healthyFloor: 3 }],
    ["min 0, over 0", 3, 0, 0, false, { minHealthy: 0, maxCapacity: 3, killImmediately: 3, healthyFloor: 0 }],
    ["min 1, over 0: one instance over capacity", 3, 1, 0, false, { minHealthy: 3, maxCapacity: 4, killImmediately: 0, healthyFloor: 3 }],
    ["min 1, over 0, resident: one below minHealthy instead", 3, 1, 0, true, { minHealthy: 3, maxCapacity: 3, killImmediately: 1, healthyFloor: 2 }],
  ])("%s", (_name, n, min, over, resident, want) => {
    expect(restartStrategy(n, { minimumHealthCapacity: min, maximumOverCapacity: over }, n, resident)).toEqual(want);
  });
});

describe("rolling restart sequences (kill, start, healthy afterwards, instances existing)", () => {
  it("min 1, over 1: all new ones start at once, each old one goes once the new are healthy; never below 4 healthy", () => {
    const { rounds } = simulate(4, 1, 1);
    expect(rounds).toEqual([
      { kill: 0, start: 4, healthy: 4, exist: 8 },
      { kill: 4, start: 0, healthy: 4, exist: 8 },
    ]);
  });

  it("min 0.5, over 0: half go at once, then the rest as the first new ones are healthy", () => {
    const { rounds } = simulate(4, 0.5, 0);
    expect(rounds).toEqual([
      { kill: 2, start: 0, healthy: 2, exist: 4 }, // the killed ones still count toward capacity
      { kill: 0, start: 2, healthy: 2, exist: 4 },
      { kill: 2, start: 0, healthy: 2, exist: 4 },
      { kill: 0, start: 2, healthy: 2, exist: 4 },
    ]);
  });

  it("min 0, over 0: everything goes at once, then everything starts", () => {
    const { rounds } = simulate(3, 0, 0);
    expect(rounds).toEqual([
      { kill: 3, start: 0, healthy: 0, exist: 3 },
      { kill: 0, start: 3, healthy: 0, exist: 3 },
    ]);
  });

  it("min 1, over 0: one instance over capacity at a time, never below 3 healthy", () => {
    const { rounds } = simulate(3, 1, 0);
    expect(rounds).toEqual([
      { kill: 0, start: 1, healthy: 3, exist: 4 },
      { kill: 1, start: 0, healthy: 3, exist: 4 },
      { kill: 0, start: 1, healthy: 3, exist: 4 },
      { kill: 1, start: 0, healthy: 3, exist: 4 },
      { kill: 0, start: 1, healthy: 3, exist: 4 },
      { kill: 1, start: 0, healthy: 3, exist: 4 },
    ]);
  });

  it("min 1, over 0, resident: never over capacity, one below minHealthy", () => {
    const { rounds } = simulate(3, 1, 0, true);
    expect(rounds).toEqual([
      { kill: 1, start: 0, healthy: 2, exist: 3 },
      { kill: 0, start: 1, healthy: 2, exist: 3 },
      { kill: 1, start: 0, healthy: 2, exist: 3 },
      { kill: 0, start: 1, healthy: 2, exist: 3 },
      { kill: 1, start: 0, healthy: 2, exist: 3 },
      { kill: 0, start: 1, healthy: 2, exist: 3 },
    ]);
  });

  it.each([
    [5, 1, 1],
    [5, 0.5, 0],
    [5, 0.8, 0.2],
    [7, 0.3, 0.5],
    [1, 1, 0],
    [2, 0, 1],
  ])("%i instances, min %f, over %f: never below minHealthy healthy, never over capacity, ends with only new ones", (n, min, over) => {
    const { strategy, rounds, current } = simulate(n, min, over);
    for (const r of rounds) {
      expect(r.healthy).toBeGreaterThanOrEqual(strategy.healthyFloor);
      expect(r.exist).toBeLessThanOrEqual(strategy.maxCapacity);
    }
    expect(current.every((i) => i.isNew && i.healthy)).toBe(true);
    expect(current).toHaveLength(n);
  });
});

describe("planRestartStep details", () => {
  const strategy = restartStrategy(2, { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 }, 2); // minHealthy 2, maxCapacity 3
  it("kills unhealthy old instances first, and whenever asked (they hold up no healthy floor)", () => {
    const current: RestartInstance[] = [
      { id: "o0", isNew: false, killing: false, healthy: true },
      { id: "o1", isNew: false, killing: false, healthy: false },
      { id: "n0", isNew: true, killing: false, healthy: true },
    ];
    expect(planRestartStep(2, strategy, current, false)).toEqual({ kill: ["o1"], start: 0, done: false });
  });

  it("a new instance that is not healthy does not let an old one go", () => {
    const current: RestartInstance[] = [
      { id: "o0", isNew: false, killing: false, healthy: true },
      { id: "o1", isNew: false, killing: false, healthy: true },
      { id: "n0", isNew: true, killing: false, healthy: false },
    ];
    expect(planRestartStep(2, strategy, current, false)).toEqual({ kill: [], start: 0, done: false });
  });

  it("a failed new instance (gone from the list) is started again", () => {
    const current: RestartInstance[] = [
      { id: "o0", isNew: false, killing: false, healthy: true },
      { id: "n0", isNew: true, killing: false, healthy: true },
    ];
    expect(planRestartStep(2, strategy, current, false)).toEqual({ kill: [], start: 1, done: false });
  });

  it("an old instance being killed holds its capacity until it is terminal", () => {
    const current: RestartInstance[] = [
      { id: "o0", isNew: false, killing: true, healthy: true },
      { id: "o1", isNew: false, killing: false, healthy: true },
      { id: "n0", isNew: true, killing: false, healthy: true },
    ];
    expect(planRestartStep(2, strategy, current, false)).toEqual({ kill: [], start: 0, done: false });
    expect(planRestartStep(2, strategy, current.slice(1), false)).toEqual({ kill: [], start: 1, done: false });
  });

  it("done only when no old instance is left, not even one being killed", () => {
    const newOnes: RestartInstance[] = [
      { id: "n0", isNew: true, killing: false, healthy: true },
      { id: "n1", isNew: true, killing: false, healthy: true },
    ];
    expect(planRestartStep(2, strategy, [...newOnes, { id: "o0", isNew: false, killing: true, healthy: true }], false).done).toBe(false);
    expect(planRestartStep(2, strategy, newOnes, false)).toEqual({ kill: [], start: 0, done: true });
  });
});
