import { describe, expect, it } from "vitest";
import { proposeScaling, type ScalingInstance } from "../../frameworks/services/scaling-proposition.ts";
import type { Constraint } from "../../frameworks/shared/constraints.ts";
import { groupByKills, type PlacedInstance } from "../../frameworks/shared/group-by-kills.ts";

const on = (id: string, rack: string, zone?: string): PlacedInstance => ({
  id,
  placement: { hostname: `h-${id}`, attributes: [{ name: "rack", type: "TEXT", text: { value: rack } }], ...(zone ? { zone } : {}) },
});
const byRack: Constraint[] = [{ field: "rack", operator: "GROUP_BY" }];

describe("groupByKills (Marathon's selectInstancesToKill)", () => {
  it.each<[string, Constraint[], PlacedInstance[], number, string[]]>([
    ["kills from the largest group until even", byRack, [on("a", "r1"), on("b", "r1"), on("c", "r1"), on("d", "r2")], 2, ["a", "b"]],
    ["even groups: one from each in turn", byRack, [on("a", "r1"), on("b", "r1"), on("c", "r2"), on("d", "r2")], 2, ["a", "c"]],
    ["no GROUP_BY constraint: none picked", [{ field: "rack", operator: "UNIQUE" }], [on("a", "r1"), on("b", "r1")], 1, []],
    ["asked for all: all", byRack, [on("a", "r1"), on("b", "r2")], 2, ["a", "b"]],
    [
      "two GROUP_BY constraints are kept even together",
      [...byRack, { field: "@zone", operator: "GROUP_BY" }],
      [on("a", "r1", "z1"), on("b", "r1", "z2"), on("c", "r1", "z1"), on("d", "r2", "z2")],
      1,
      ["a"],
    ],
    [
      "a kill that evens one constraint but unbalances another is passed over",
      [...byRack, { field: "@zone", operator: "GROUP_BY" }],
      [on("a", "r1", "z1"), on("b", "r1", "z2"), on("c", "r1", "z2"), on("d", "r2", "z2")],
      1,
      ["b"],
    ],
  ])("%s", (_name, constraints, running, count, want) => {
    expect(groupByKills(constraints, running, count)).toEqual(want);
  });
});

describe("proposeScaling with GROUP_BY", () => {
  const inst = (p: PlacedInstance, sinceMs: number): ScalingInstance => ({
    id: p.id,
    condition: "Running",
    goalRunning: true,
    sinceMs,
    placement: p.placement,
  });
  // Three on r1 (oldest first), one on r2 (the youngest).
  const instances = [inst(on("a", "r1"), 100), inst(on("b", "r1"), 200), inst(on("c", "r1"), 300), inst(on("d", "r2"), 400)];

  it("without constraints YOUNGEST_FIRST would leave both on r1", () => {
    expect(proposeScaling(instances, [], 2, "YOUNGEST_FIRST")).toEqual({ toKill: ["d", "c"], toStart: 0 });
  });

  it("with GROUP_BY rack it keeps one per rack", () => {
    expect(proposeScaling(instances, [], 2, "YOUNGEST_FIRST", byRack)).toEqual({ toKill: ["a", "b"], toStart: 0 });
  });

  it("instances asked to be killed still go first", () => {
    expect(proposeScaling(instances, ["d"], 2, "YOUNGEST_FIRST", byRack)).toEqual({ toKill: ["d", "a"], toStart: 0 });
  });
});
