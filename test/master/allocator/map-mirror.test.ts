import { describe, expect, it } from "vitest";
import { MapMirror, mulberry32 } from "../../../master-worker/src/allocator/index.ts";

describe("MapMirror", () => {
  it("reports every change a Map went through, whatever the mix of sets and deletes, and keeps each slot beside its entry", () => {
    const random = mulberry32(7);
    const map = new Map<number, object>();
    const mirror = new MapMirror<number, object, { key: number }>();
    const copy = new Map<number, object>();
    for (let round = 0; round < 300; round++) {
      for (let k = Math.floor(random() * 6); k > 0; k--) {
        const key = Math.floor(random() * 40);
        if (random() < 0.35) map.delete(key);
        else map.set(key, {});
      }
      mirror.sync(map, {
        added: (key, value) => {
          expect(copy.has(key)).toBe(false);
          copy.set(key, value);
          return { key };
        },
        replaced: (key, before, after, slot) => {
          expect(copy.get(key)).toBe(before);
          expect(after).not.toBe(before);
          expect(slot.key).toBe(key);
          copy.set(key, after);
        },
        removed: (key, before, slot) => {
          expect(copy.get(key)).toBe(before);
          expect(slot.key).toBe(key);
          copy.delete(key);
        },
      });
      expect(copy).toEqual(map);
      for (const [key, value] of map) expect(copy.get(key)).toBe(value);
      expect(mirror.slots().map((slot) => slot.key)).toEqual([...map.keys()]); // each slot beside its entry, in map order
    }
  });
});
