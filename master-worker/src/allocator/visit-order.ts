/**
 * The order agents are visited in during one allocation run: a seeded pseudo-random order (so
 * no agent is always first), computed per agent from a hash of (seed, agent id). Unlike a
 * shuffle of the whole list, the order of any subset is the full order restricted to it, so an
 * incremental run over only the agents that changed decides exactly what a full run would.
 */
import { byId } from "./by-id.ts";

/** FNV-1a over the id's UTF-16 code units, then mixed with the seed (murmur3's finalizer). */
function rank(seed: number, id: string): number {
  let h = 0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1);
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** `items` in the seeded visit order (a new array; equal ranks, rare, go to the smaller id). */
export function visitOrder<T extends { id: string }>(items: readonly T[], seed: number): T[] {
  const n = items.length;
  if (n >= 2 ** 21)
    return [...items]
      .map((item) => ({ item, rank: rank(seed, item.id) }))
      .sort((a, b) => a.rank - b.rank || byId(a.item, b.item))
      .map((k) => k.item);
  // rank · 2^21 + index is exact in a double, so a plain numeric sort orders by rank
  const keys = new Float64Array(n);
  const ranks = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    ranks[i] = rank(seed, items[i]!.id);
    keys[i] = ranks[i]! * 2097152 + i;
  }
  keys.sort();
  const out: T[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = items[keys[i]! % 2097152]!;
  // equal ranks came out in input order: put each such run in id order
  for (let i = 0; i < n - 1; ) {
    let j = i + 1;
    const r = ranks[keys[i]! % 2097152]!;
    while (j < n && ranks[keys[j]! % 2097152] === r) j++;
    if (j - i > 1) out.splice(i, j - i, ...out.slice(i, j).sort(byId));
    i = j;
  }
  return out;
}
