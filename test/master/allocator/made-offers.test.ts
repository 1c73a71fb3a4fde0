import { describe, expect, it } from "vitest";
import { MadeOffers, mulberry32, shuffle } from "../../../master-worker/src/allocator/index.ts";
import type { Offer } from "../../../schemas/index.ts";

const offer = (n: number): Offer => ({
  id: { value: `o${n}` },
  framework_id: { value: "f" },
  agent_id: { value: "a" },
  hostname: "h",
  resources: [],
  attributes: [],
  executor_ids: [],
});

describe("MadeOffers", () => {
  it("takes the offers made, shown in order, once each; nothing is left", () => {
    const made = new MadeOffers();
    const offers = [offer(1), offer(2), offer(3)];
    for (const o of offers) made.add(o);
    expect(offers.map((o) => made.take(o))).toEqual([true, true, true]);
    expect(made.take(offers[0]!)).toBe(false);
    expect([...made.end()]).toEqual([]);
  });

  it("does not take an offer it did not make, even a copy of one it did", () => {
    const made = new MadeOffers();
    const o = offer(1);
    made.add(o);
    expect(made.take(offer(9))).toBe(false);
    expect(made.take({ ...o })).toBe(false);
    expect([...made.end()]).toEqual([o]);
  });

  it("handles any order and any subset: what was never shown is left", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const random = mulberry32(seed);
      const made = new MadeOffers();
      const offers = Array.from({ length: 12 }, (_, i) => offer(i));
      for (const o of offers) made.add(o);
      const shown = shuffle(offers, random).filter(() => random() < 0.7);
      const strangers = [offer(100), offer(101)];
      for (const o of [...strangers, ...shown]) expect(made.take(o), `seed ${seed}`).toBe(!strangers.includes(o));
      const left = new Set(made.end());
      expect(left, `seed ${seed}`).toEqual(new Set(offers.filter((o) => !shown.includes(o))));
    }
  });

  it("starts afresh after end()", () => {
    const made = new MadeOffers();
    const o = offer(1);
    made.add(o);
    made.end();
    expect(made.take(o)).toBe(false);
    expect([...made.end()]).toEqual([]);
  });
});
