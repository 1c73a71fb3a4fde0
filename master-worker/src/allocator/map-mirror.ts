/**
 * Finds what changed in a `Map` since last time by walking it beside a copy of its keys and
 * values, in step: a JS Map iterates in insertion order, a value replaced under its key stays
 * where it was, a deleted key drops out and a new one comes last, so a copy taken last time
 * lines up with the map entry by entry and a pass costs a pointer comparison per entry (no
 * hashing, no per-entry allocation) plus the handling of what actually changed.
 */

/** What a pass reports; a key deleted and set again is reported removed, then added. */
export interface MirrorChanges<K, V> {
  added(key: K, value: V): void;
  replaced(key: K, before: V, after: V): void;
  removed(key: K, before: V): void;
}

/** A copy of a map's entries, kept in step with it by `sync`. */
export class MapMirror<K, V> {
  private keys: K[] = [];
  private values: V[] = [];

  /** Reports every difference between `map` and the copy, then makes the copy equal to `map`. */
  sync(map: ReadonlyMap<K, V>, changes: MirrorChanges<K, V>): void {
    const keys = this.keys, values = this.values, n = keys.length;
    let i = 0, w = 0;
    map.forEach((value, key) => {
      while (i < n && keys[i] !== key) { changes.removed(keys[i]!, values[i]!); i++; }
      if (i < n) {
        if (values[i] !== value) changes.replaced(key, values[i]!, value);
        i++;
      } else changes.added(key, value);
      keys[w] = key;
      values[w] = value;
      w++;
    });
    while (i < n) { changes.removed(keys[i]!, values[i]!); i++; }
    keys.length = w;
    values.length = w;
  }
}
