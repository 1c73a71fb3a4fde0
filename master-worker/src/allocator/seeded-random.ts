/**
 * Seeded randomness for the allocator (design rule 3: randomness is an input). A tiny
 * mulberry32 generator: same seed, same sequence, on every runtime, so allocation tests and
 * replays are deterministic.
 */

/** A source of uniform numbers in [0, 1), like `Math.random`, but injectable. */
export type Random = () => number;

/** mulberry32: a small, fast 32-bit seeded PRNG; good enough to shuffle, not for secrets. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle into a new array; the input is not touched. */
export function shuffle<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
