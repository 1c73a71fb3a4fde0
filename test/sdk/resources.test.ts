import { describe, expect, it } from "vitest";
import type { Resource } from "../../schemas/mesos.ts";
import {
  add,
  allocatedTo,
  contains,
  fits,
  formatResources,
  normalize,
  parseRangeList,
  parseResources,
  ranges,
  rangesOf,
  scalar,
  scalarOf,
  subtract,
  unallocated,
} from "../../sdk/src/resources.ts";

const R = parseResources;

describe("parseResources / formatResources", () => {
  it.each([
    ["cpus:4;mem:8192;disk:10000;ports:[31000-32000]", "cpus:4; mem:8192; disk:10000; ports:[31000-32000]"],
    ["cpus:0.5", "cpus:0.5"],
    ["cpus(web):2;cpus:1", "cpus(web):2; cpus:1"],
    ["ports:[1000-1999, 3000-3000, 2000-2100]", "ports:[1000-2100,3000-3000]"],
    ["gpus:{a,c,b}", "gpus:{a,b,c}"],
    ["cpus:1;cpus:2.5", "cpus:3.5"],
    ["cpus:0.1234", "cpus:0.123"],
    ["cpus:0;mem:10", "mem:10"],
    [" cpus:1 ; ; mem:2 ", "cpus:1; mem:2"],
  ])("%s", (text, formatted) => {
    const parsed = R(text);
    expect(formatResources(parsed)).toBe(formatted);
    expect(R(formatResources(parsed))).toEqual(parsed); // round trip
  });

  it.each([
    ["cpus", /cannot parse 'cpus'/],
    ["cpus:abc", /'cpus' needs a non-negative number, got 'abc'/],
    ["cpus:-1", /non-negative/],
    ["ports:[10-x]", /bad range '10-x'/],
    ["ports:[10]", /bad range '10'/],
    ["9cpus:1", /cannot parse/],
    ["cpus : 1", /cannot parse 'cpus : 1'/],
  ])("rejects %s", (text, error) => {
    expect(() => R(text)).toThrow(error);
  });

  it("rejects a bad range with the entry's own prefix", () => {
    expect(() => R("ports:[1-2,x]")).toThrow("resources: bad range 'x' in 'ports:[1-2,x]'");
    expect(() => parseRangeList("1-2, 9", "slots:[1-2, 9]")).toThrow("bad range '9' in 'slots:[1-2, 9]'");
    expect(parseRangeList(" 5-6 ,1 - 2,", "c")).toEqual([
      { begin: 5, end: 6 },
      { begin: 1, end: 2 },
    ]);
  });

  it("parses into typed resources", () => {
    expect(R("cpus:2;ports:[80-80,443-443]")).toEqual([
      { name: "cpus", type: "SCALAR", scalar: { value: 2 } },
      {
        name: "ports",
        type: "RANGES",
        ranges: {
          range: [
            { begin: 80, end: 80 },
            { begin: 443, end: 443 },
          ],
        },
      },
    ]);
  });
});

describe("add", () => {
  it.each([
    ["cpus:1;mem:128", "cpus:0.5;mem:64", "cpus:1.5; mem:192"],
    ["cpus:0.1", "cpus:0.2", "cpus:0.3"], // no 0.30000000000000004
    ["ports:[100-200]", "ports:[201-300]", "ports:[100-300]"],
    ["ports:[100-200]", "ports:[150-250;]".replace(";", ""), "ports:[100-250]"],
    ["ports:[100-110]", "ports:[200-210]", "ports:[100-110,200-210]"],
    ["cpus:1", "mem:32", "cpus:1; mem:32"],
    ["cpus(a):1", "cpus(b):1", "cpus(a):1; cpus(b):1"],
    ["", "cpus:1", "cpus:1"],
  ])("%s + %s = %s", (a, b, sum) => {
    expect(formatResources(add(R(a), R(b)))).toBe(sum);
  });
});

describe("subtract", () => {
  it.each([
    ["cpus:2;mem:1024", "cpus:0.5;mem:1000", "cpus:1.5; mem:24"],
    ["cpus:1;mem:32", "cpus:1", "mem:32"],
    ["cpus:0.3", "cpus:0.1", "cpus:0.2"],
    ["ports:[31000-32000]", "ports:[31000-31000]", "ports:[31001-32000]"],
    ["ports:[31000-32000]", "ports:[31500-31600]", "ports:[31000-31499,31601-32000]"],
    ["ports:[31000-32000]", "ports:[31000-32000]", ""],
    ["ports:[1-10]", "ports:[5-20]", "ports:[1-4]"],
    ["cpus:1", "mem:64", "cpus:1"], // what b holds beyond a is ignored
    ["cpus(a):2;cpus:2", "cpus(a):1", "cpus(a):1; cpus:2"],
  ])("%s - %s = %s", (a, b, diff) => {
    expect(formatResources(subtract(R(a), R(b)))).toBe(diff);
  });

  it("is the inverse of add (for disjoint port ranges: ranges are sets)", () => {
    const a = R("cpus:3;mem:2048;ports:[31000-31099]");
    const b = R("cpus:1.2;mem:100;ports:[31100-31105,31900-31999]");
    expect(subtract(add(a, b), b)).toEqual(normalize(a));
    // overlapping ranges are a union, so subtracting takes the shared ports too
    expect(formatResources(subtract(add(R("ports:[1-10]"), R("ports:[5-6]")), R("ports:[5-6]")))).toBe("ports:[1-4,7-10]");
  });
});

describe("contains / fits", () => {
  it.each([
    ["cpus:2;mem:1024", "cpus:1;mem:512", true],
    ["cpus:2;mem:1024", "cpus:2;mem:1024", true],
    ["cpus:2;mem:1024", "cpus:2.001;mem:1024", false],
    ["cpus:0.3", "cpus:0.1;cpus:0.2", true],
    ["cpus:2", "cpus:1;mem:1", false],
    ["ports:[31000-32000]", "ports:[31000-31000,31999-32000]", true],
    ["ports:[31000-32000]", "ports:[30999-31000]", false],
    ["ports:[1-10,20-30]", "ports:[9-21]", false],
    ["cpus(web):2", "cpus:1", false], // roles are distinct resources
    ["gpus:{a,b}", "gpus:{a}", true],
    ["gpus:{a,b}", "gpus:{c}", false],
    ["cpus:1", "", true],
  ])("%s contains %s: %s", (a, b, expected) => {
    expect(contains(R(a), R(b))).toBe(expected);
    expect(fits(R(b), R(a))).toBe(expected);
  });
});

describe("accessors", () => {
  const rs: Resource[] = [
    scalar("cpus", 1),
    scalar("cpus", 0.5, "web"),
    ranges("ports", [
      [10, 12],
      [13, 20],
      [40, 41],
    ]),
    scalar("mem", 64),
  ];

  it("scalarOf sums every role", () => {
    expect(scalarOf(rs, "cpus")).toBe(1.5);
    expect(scalarOf(rs, "disk")).toBe(0);
  });

  it("rangesOf merges adjacent ranges", () => {
    expect(rangesOf(rs)).toEqual([
      [10, 20],
      [40, 41],
    ]);
  });

  it("allocatedTo / unallocated round trip", () => {
    const alloc = allocatedTo([scalar("cpus", 1)], "dev");
    expect(alloc).toEqual([{ name: "cpus", type: "SCALAR", scalar: { value: 1 }, role: "*", allocation_info: { role: "dev" } }]);
    expect(unallocated(alloc)).toEqual([{ name: "cpus", type: "SCALAR", scalar: { value: 1 }, role: "*" }]);
    // the "*" role and an absent role are the same resource
    expect(contains(unallocated(alloc), [scalar("cpus", 1)])).toBe(true);
  });
});
