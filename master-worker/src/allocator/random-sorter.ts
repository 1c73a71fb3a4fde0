/**
 * The random sorter (Mesos `RandomSorter`): a weighted random order on every `sort()`, for
 * clusters that prefer spreading offers over fairness, and as a second implementation keeping
 * the `Sorter` interface honest. Randomness is injected (design rule 3): the same generator
 * seed and the same calls give the same orders.
 */
import { BaseSorter } from "./base-sorter.ts";
import type { Random } from "./seeded-random.ts";

/** Orders active clients by a weighted shuffle: a client of weight 2 is first twice as often. */
export class RandomSorter extends BaseSorter {
  constructor(private readonly random: Random) {
    super();
  }

  sort(): string[] {
    const pool = this.activeClients().map((st) => ({ id: st.id, weight: st.weight }));
    const out: string[] = [];
    while (pool.length > 0) {
      let r = this.random() * pool.reduce((s, c) => s + c.weight, 0);
      let i = 0;
      for (; i < pool.length - 1; i++) {
        const w = pool[i]!.weight;
        if (r < w) break;
        r -= w;
      }
      out.push(pool.splice(i, 1)[0]!.id);
    }
    return out;
  }

  ordered(): readonly string[] {
    return this.sort();
  }
}
