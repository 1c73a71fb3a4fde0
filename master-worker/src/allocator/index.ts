/**
 * The allocator's public surface: the pure `allocate` decision, the sorters behind it, and the
 * pieces its callers build its input from. The allocator is a leaf: it imports nothing of the
 * master, and the master reaches it only through this file.
 */

export { allocatableCheck, DEFAULT_MIN_ALLOCATABLE, isAllocatable } from "./allocatable.ts";
export type { AllocationAgent, AllocationFramework, AllocationInput, OfferDecision, RoleQuota } from "./allocate.ts";
export { allocate } from "./allocate.ts";
export type { AllocationCountsView } from "./allocation-counts.ts";
export { AllocationCounts } from "./allocation-counts.ts";
export { withAllocationRole } from "./allocation-role.ts";
export type { ClientState } from "./base-sorter.ts";
export { BaseSorter } from "./base-sorter.ts";
export { byId } from "./by-id.ts";
export { DrfSorter } from "./drf-sorter.ts";
export { frameworkRole, frameworkRoles } from "./framework-roles.ts";
export { HeldResources } from "./held-resources.ts";
export { HierarchicalSorter } from "./hierarchical-sorter.ts";
export type { HeapItem } from "./indexed-heap.ts";
export { IndexedHeap } from "./indexed-heap.ts";
export { MadeOffers } from "./made-offers.ts";
export type { MirrorChanges } from "./map-mirror.ts";
export { MapMirror } from "./map-mirror.ts";
export { markedFor } from "./marked-resources.ts";
export { normalizedResources } from "./normalized.ts";
export { capped, eachQuotaScalar, QuotaTracker } from "./quota-tracker.ts";
export { RandomSorter } from "./random-sorter.ts";
export type { RefusedCheck, RefuseFilter } from "./refuse-filters.ts";
export { expiredFilters, filterRole, isUnexpired, nextFilterExpiry, refusedPairs, sameFilterTarget, withoutFrameworkFilters } from "./refuse-filters.ts";
export type { ScalarVector } from "./scalar-quantities.ts";
export { addScalars, roundQuantity, scalarResources, scalarVector, slotOf } from "./scalar-quantities.ts";
export type { Random } from "./seeded-random.ts";
export { mulberry32, shuffle } from "./seeded-random.ts";
export type { AllocatorSorterName, Sorter } from "./sorter.ts";
export { ALLOCATOR_SORTERS } from "./sorter.ts";
export type { SuppressionChange, SuppressionState } from "./suppression.ts";
export { applySuppression } from "./suppression.ts";
export { visitOrder } from "./visit-order.ts";
