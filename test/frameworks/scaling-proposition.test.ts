import { describe, expect, it } from "vitest";
import { proposeScaling, type ScalingInstance } from "../../frameworks/services/scaling-proposition.ts";

const running = (id: string, sinceMs?: number): ScalingInstance => ({
  id,
  condition: "Running",
  goalRunning: true,
  ...(sinceMs !== undefined ? { sinceMs } : {}),
});
// Started at t=100 (a), 300 (b), 200 (c).
const abc = [running("a", 100), running("b", 300), running("c", 200)];

describe("proposeScaling", () => {
  it.each<[string, ScalingInstance[], string[], number, "YOUNGEST_FIRST" | "OLDEST_FIRST", { toKill: string[]; toStart: number }]>([
    ["scale up starts the difference", abc, [], 5, "YOUNGEST_FIRST", { toKill: [], toStart: 2 }],
    ["YOUNGEST_FIRST kills the most recently started", abc, [], 1, "YOUNGEST_FIRST", { toKill: ["b", "c"], toStart: 0 }],
    ["OLDEST_FIRST kills the earliest started", abc, [], 1, "OLDEST_FIRST", { toKill: ["a", "c"], toStart: 0 }],
    ["scale to 0 kills all", abc, [], 0, "OLDEST_FIRST", { toKill: ["a", "c", "b"], toStart: 0 }],
    ["no change", abc, [], 3, "YOUNGEST_FIRST", { toKill: [], toStart: 0 }],
    ["instances asked to be killed go first, and are replaced", abc, ["a"], 3, "YOUNGEST_FIRST", { toKill: ["a"], toStart: 1 }],
    ["asked kills count toward a scale down", abc, ["a"], 2, "YOUNGEST_FIRST", { toKill: ["a"], toStart: 0 }],
    ["asked kills and more", abc, ["a"], 1, "YOUNGEST_FIRST", { toKill: ["a", "b"], toStart: 0 }],
    [
      "condition before age: unreachable, staging, starting, running",
      [
        running("r", 1),
        { id: "st", condition: "Starting", goalRunning: true, sinceMs: 2 },
        { id: "sg", condition: "Staging", goalRunning: true, sinceMs: 3 },
        { id: "u", condition: "Unreachable", goalRunning: true, sinceMs: 4 },
      ],
      [],
      0,
      "OLDEST_FIRST",
      { toKill: ["u", "sg", "st", "r"], toStart: 0 },
    ],
    ["a running instance without a start time goes first", [running("a", 100), running("x")], [], 1, "OLDEST_FIRST", { toKill: ["x"], toStart: 0 }],
    [
      "instances no longer meant to run, and unreachable ones given up, are not counted",
      [
        ...abc,
        { id: "gone", condition: "Running", goalRunning: false, sinceMs: 1 },
        { id: "lost", condition: "UnreachableInactive", goalRunning: true, sinceMs: 1 },
      ],
      [],
      3,
      "YOUNGEST_FIRST",
      { toKill: [], toStart: 0 },
    ],
    [
      "an UnreachableInactive instance is replaced",
      [running("a", 1), { id: "lost", condition: "UnreachableInactive", goalRunning: true }],
      [],
      2,
      "YOUNGEST_FIRST",
      { toKill: [], toStart: 1 },
    ],
  ])("%s", (_name, instances, toKill, scaleTo, selection, want) => {
    expect(proposeScaling(instances, toKill, scaleTo, selection)).toEqual(want);
  });
});
