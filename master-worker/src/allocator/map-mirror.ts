/**
 * Finds what changed in a `Map` since last time by walking it beside a copy of its keys and
 * values, in step: a JS Map iterates in insertion order, a value replaced under its key stays
 * where it was, a deleted key drops out and a new one comes last, so a copy taken last time
 * lines up with the map entry by entry and a pass costs a pointer comparison per entry (no
 * hashing, no per-entry allocation) plus the handling of what actually changed.
 *
 * Beside each entry the mirror can keep a slot of the caller's (what `added` returns): state
 * derived from the entry, found again with it without a lookup by key.
 */

/** What a pass reports; a key deleted and set again is reported removed, then added. */
export interface MirrorChanges<K, V, S = void> {
  /** A new entry; returns the slot to keep beside it. */
  added(key: K, value: V): S;
  replaced(key: K, before: V, after: V, slot: S): void;
  removed(key: K, before: V, slot: S): void;
}

/** A copy of a map's entries (with a slot each), kept in step with it by `sync`. */
export class MapMirror<K, V, S = void> {
  private keys: K[] = [];
  private values: V[] = [];
  private slotsKept: S[] = [];

  /** Reports every difference between `map` and the copy, then makes the copy equal to `map`. */
  sync(map: ReadonlyMap<K, V>, changes: MirrorChanges<K, V, S>): void {
    const keys = this.keys,
      values = this.values,
      slots = this.slotsKept,
      n = keys.length;
    let i = 0,
      w = 0;
    map.forEach((value, key) => {
      while (i < n && keys[i] !== key) {
        changes.removed(keys[i]!, values[i]!, slots[i]!);
        i++;
      }
      if (i < n) {
        const slot = slots[i]!;
        if (values[i] !== value) {
          changes.replaced(key, values[i]!, value, slot);
          values[i] = value;
        }
        if (w !== i) {
          keys[w] = key;
          values[w] = value;
          slots[w] = slot;
        } // only once something before was removed
        i++;
      } else {
        const slot = changes.added(key, value);
        keys[w] = key;
        values[w] = value;
        slots[w] = slot;
      }
      w++;
    });
    while (i < n) {
      changes.removed(keys[i]!, values[i]!, slots[i]!);
      i++;
    }
    keys.length = w;
    values.length = w;
    slots.length = w;
  }

  /** The slots, in the map's order as of the last `sync`; read-only. */
  slots(): readonly S[] {
    return this.slotsKept;
  }
}
