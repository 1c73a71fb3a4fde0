/**
 * `stripNulls` (schemas/parse.ts) walks untrusted JSON: it must not recurse on the call stack,
 * so no nesting depth overflows it (issue 11: a body nested ~2,100 levels answered 500).
 */
import { describe, expect, it } from "vitest";
import { stripNulls } from "../../schemas/parse.ts";

describe("stripNulls", () => {
  it("drops nulls from objects and arrays at every depth, keeping order and other values", () => {
    const input = { a: null, b: [1, null, { c: null, d: "x", e: [null, [null, false]] }], f: { g: undefined, h: 0 } };
    expect(stripNulls(input)).toEqual({ b: [1, { d: "x", e: [[false]] }], f: { h: 0 } });
    expect(Object.keys(stripNulls({ z: 1, a: 2, m: null, b: 3 }) as object)).toEqual(["z", "a", "b"]);
    expect(stripNulls(null)).toBe(null);
    expect(stripNulls("s")).toBe("s");
  });

  it("does not change its input", () => {
    const input = { a: [null, { b: null }] };
    stripNulls(input);
    expect(input).toEqual({ a: [null, { b: null }] });
  });

  it("takes a value nested 100,000 levels without overflowing the stack", () => {
    const depth = 100_000;
    const deep = JSON.parse(`${'{"a":['.repeat(depth)}null${"]}".repeat(depth)}`);
    let out = stripNulls(deep) as { a: unknown[] };
    let levels = 0;
    while (out.a.length > 0) {
      out = out.a[0] as { a: unknown[] };
      levels++;
    }
    expect(levels).toBe(depth - 1);
    expect(out).toEqual({ a: [] });
  });
});
