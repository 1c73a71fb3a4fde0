/** Ordering by `id` (code-unit order, as the allocator's deterministic tie-breaks need): one comparator for sorters, visit order and the allocation input. */

/** Compares two items by their `id`. */
export const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
