import { describe, expect, it } from "vitest";
import { attributeValueString } from "../../frameworks/shared/attribute-value.ts";
import { type Constraint, meetsConstraint, unmetConstraints } from "../../frameworks/shared/constraints.ts";
import type { Placement } from "../../frameworks/shared/placement.ts";
import type { Attribute } from "../../schemas/mesos.ts";

const text = (name: string, value: string): Attribute => ({ name, type: "TEXT", text: { value } });
const agent = (hostname: string, attrs: Record<string, string> = {}, domain: { region?: string; zone?: string } = {}): Placement => ({
  hostname,
  attributes: Object.entries(attrs).map(([k, v]) => text(k, v)),
  ...domain,
});
const c = (field: string, operator: Constraint["operator"], value?: string): Constraint => ({ field, operator, ...(value !== undefined ? { value } : {}) });

describe("attribute values as Marathon formats them", () => {
  it.each<[Attribute, string]>([
    [text("rack", "r1"), "r1"],
    [{ name: "n", type: "SCALAR", scalar: { value: 2 } }, "2"],
    [{ name: "n", type: "SCALAR", scalar: { value: 0.5 } }, "0.5"],
    [{ name: "n", type: "SCALAR", scalar: { value: 1234.5678 } }, "1,234.568"],
    [{ name: "n", type: "SCALAR", scalar: { value: 0.0125 } }, "0.012"], // half-even, as Java's NumberFormat
    [
      {
        name: "p",
        type: "RANGES",
        ranges: {
          range: [
            { begin: 300, end: 400 },
            { begin: 100, end: 200 },
          ],
        },
      },
      "[100-200,300-400]",
    ],
    [{ name: "s", type: "SET", set: { item: ["c", "a", "b"] } }, "{a,b,c}"],
  ])("%j → %s", (attribute, want) => {
    expect(attributeValueString(attribute)).toBe(want);
  });

  it("a scalar attribute is compared as its formatted string", () => {
    const gen: Placement = { hostname: "h", attributes: [{ name: "gen", type: "SCALAR", scalar: { value: 3 } }] };
    expect(meetsConstraint(c("gen", "IS", "3"), gen, [])).toBe(true);
    expect(meetsConstraint(c("gen", "IS", "3.0"), gen, [])).toBe(false);
    expect(meetsConstraint(c("gen", "LIKE", "[2-4]"), gen, [])).toBe(true);
  });
});

// Each row: constraint, the offer's agent, the agents of instances already placed, expected.
const h1 = agent("h1", { rack: "r1" }, { region: "eu", zone: "a" });
const h2 = agent("h2", { rack: "r2" }, { region: "eu", zone: "b" });
const h3 = agent("h3", { rack: "r1" }, { region: "us", zone: "a" });
const bare = agent("h4"); // no attributes, no domain

describe.each<[string, Constraint, Placement, Placement[], boolean]>([
  // UNIQUE
  ["UNIQUE hostname, host free", c("hostname", "UNIQUE"), h1, [h2], true],
  ["UNIQUE hostname, host taken", c("hostname", "UNIQUE"), h1, [h2, h1], false],
  ["UNIQUE @hostname alias", c("@hostname", "UNIQUE"), h1, [h1], false],
  ["UNIQUE attribute, value taken", c("rack", "UNIQUE"), h3, [h1], false],
  ["UNIQUE attribute, value free", c("rack", "UNIQUE"), h2, [h1], true],
  ["UNIQUE attribute missing on the offer", c("rack", "UNIQUE"), bare, [], false],
  // CLUSTER
  ["CLUSTER value matches", c("rack", "CLUSTER", "r1"), h1, [], true],
  ["CLUSTER value differs", c("rack", "CLUSTER", "r1"), h2, [], false],
  ["CLUSTER no value, first instance anywhere", c("rack", "CLUSTER"), h2, [], true],
  ["CLUSTER no value, follows the placed", c("rack", "CLUSTER"), h3, [h1], true],
  ["CLUSTER no value, elsewhere refused", c("rack", "CLUSTER"), h2, [h1], false],
  ["CLUSTER hostname value", c("hostname", "CLUSTER", "h1"), h1, [], true],
  ["CLUSTER attribute missing", c("rack", "CLUSTER"), bare, [], false],
  // GROUP_BY
  ["GROUP_BY new value", c("rack", "GROUP_BY"), h2, [h1], true],
  ["GROUP_BY bigger group refused", c("rack", "GROUP_BY"), h3, [h1, h1, h2], false],
  ["GROUP_BY smallest group", c("rack", "GROUP_BY"), h2, [h1, h1, h2], true],
  ["GROUP_BY even groups", c("rack", "GROUP_BY"), h1, [h1, h2], true],
  ["GROUP_BY 3: too few groups seen, existing value refused", c("rack", "GROUP_BY", "3"), h1, [h1, h2], false],
  ["GROUP_BY 3: a third value welcome", c("rack", "GROUP_BY", "3"), agent("h5", { rack: "r3" }), [h1, h2], true],
  ["GROUP_BY @zone", c("@zone", "GROUP_BY"), h3, [h1, h1, h2], false],
  ["GROUP_BY @zone other zone", c("@zone", "GROUP_BY"), h2, [h1, h1, h2], true],
  ["GROUP_BY attribute missing", c("rack", "GROUP_BY"), bare, [], false],
  // LIKE / UNLIKE: whole-value regex
  ["LIKE matches", c("rack", "LIKE", "r[1-3]"), h1, [], true],
  ["LIKE is a full match", c("rack", "LIKE", "r"), h1, [], false],
  ["LIKE hostname", c("hostname", "LIKE", "h[12]"), h3, [], false],
  ["LIKE without value", c("rack", "LIKE"), h1, [], false],
  ["LIKE attribute missing", c("rack", "LIKE", ".*"), bare, [], false],
  ["UNLIKE matches → refused", c("rack", "UNLIKE", "r1"), h1, [], false],
  ["UNLIKE other value", c("rack", "UNLIKE", "r1"), h2, [], true],
  ["UNLIKE is a full match", c("rack", "UNLIKE", "r"), h1, [], true],
  ["UNLIKE attribute missing → accepted", c("rack", "UNLIKE", "r1"), bare, [], true],
  ["UNLIKE @region missing → accepted", c("@region", "UNLIKE", "eu"), bare, [], true],
  // MAX_PER
  ["MAX_PER under the limit", c("rack", "MAX_PER", "2"), h3, [h1], true],
  ["MAX_PER at the limit", c("rack", "MAX_PER", "2"), h3, [h1, h1], false],
  ["MAX_PER counts per value", c("rack", "MAX_PER", "1"), h2, [h1], true],
  ["MAX_PER hostname", c("hostname", "MAX_PER", "1"), h1, [h1], false],
  ["MAX_PER attribute missing", c("rack", "MAX_PER", "5"), bare, [], false],
  // IS
  ["IS equal", c("rack", "IS", "r2"), h2, [], true],
  ["IS is not a regex", c("rack", "IS", "r.*"), h2, [], false],
  ["IS @region", c("@region", "IS", "us"), h3, [], true],
  ["IS @region other", c("@region", "IS", "us"), h1, [], false],
  ["IS @zone missing", c("@zone", "IS", "a"), bare, [], false],
  ["IS attribute missing", c("rack", "IS", "r1"), bare, [], false],
])("%s", (_name, constraint, offer, placed, want) => {
  it(`is ${want ? "met" : "not met"}`, () => {
    expect(meetsConstraint(constraint, offer, placed)).toBe(want);
  });
});

describe("unmetConstraints", () => {
  it("lists exactly the constraints the offer fails", () => {
    const cs = [c("hostname", "UNIQUE"), c("rack", "IS", "r2"), c("@region", "LIKE", "e.")];
    expect(unmetConstraints(cs, h1, [h1])).toEqual([cs[0], cs[1]]);
    expect(unmetConstraints(cs, h2, [h1])).toEqual([]);
  });
});
