/** The allocator's public surface: the pure `allocate` decision and the sorters behind it. */
export { allocate } from "./allocate.ts";
export type { AllocationAgent, AllocationFramework, AllocationInput, OfferDecision } from "./allocate.ts";
export { DEFAULT_MIN_ALLOCATABLE, isAllocatable } from "./allocatable.ts";
export { BaseSorter } from "./base-sorter.ts";
export type { ClientState } from "./base-sorter.ts";
export { DrfSorter } from "./drf-sorter.ts";
export { RandomSorter } from "./random-sorter.ts";
export { expiredFilters, isUnexpired, nextFilterExpiry, refusedPairs } from "./refuse-filters.ts";
export type { RefuseFilter } from "./refuse-filters.ts";
export { mulberry32, shuffle } from "./seeded-random.ts";
export type { Random } from "./seeded-random.ts";
export type { Sorter } from "./sorter.ts";
