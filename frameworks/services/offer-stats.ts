/**
 * What the offers did for each app waiting for instances, kept in the services object's memory
 * for `/v2/queue` (Marathon's `processedOffersSummary`): counts of offers processed and unused,
 * the times of the last used and unused offers, the last unused offers with their reasons, and
 * the reasons counted since the app started waiting (its launch attempt). Pure: the object
 * folds each offer plan's outcomes in with `recordOutcomes`.
 */
import type { Offer } from "../../schemas/mesos.ts";
import { funnelReason, NO_OFFER_MATCH_REASONS, type NoOfferMatchReason } from "../shared/no-offer-match-reason.ts";
import type { OfferOutcome } from "./offer-planner.ts";

/** One offer an app could not use. */
export interface UnusedOffer {
  offer: Offer;
  reasons: NoOfferMatchReason[];
  atMs: number;
}

/** One app's offer statistics since it started waiting. */
export interface AppOfferStats {
  /** When it started waiting (Marathon's queue `since`). */
  sinceMs: number;
  processed: number;
  unused: number;
  lastUsedAtMs?: number;
  lastUnusedAtMs?: number;
  /** The last unused offer of each agent (Marathon's `lastNoMatches`), oldest first. */
  lastUnused: UnusedOffer[];
  /** Each unused offer of this launch attempt counted under its first reason in the funnel. */
  attemptReasons: Partial<Record<NoOfferMatchReason, number>>;
}

/** The statistics per app id. */
export type OfferStats = Map<string, AppOfferStats>;

/** An app's statistics, started now when it had none. */
export function statsOf(stats: OfferStats, appId: string, nowMs: number): AppOfferStats {
  let s = stats.get(appId);
  if (!s) {
    s = { sinceMs: nowMs, processed: 0, unused: 0, lastUnused: [], attemptReasons: {} };
    stats.set(appId, s);
  }
  return s;
}

/** Folds one plan's outcomes into `stats` (in place). */
export function recordOutcomes(stats: OfferStats, outcomes: readonly OfferOutcome[], nowMs: number): void {
  for (const o of outcomes) {
    const s = statsOf(stats, o.appId, nowMs);
    s.processed++;
    if (o.reasons.length === 0) {
      s.lastUsedAtMs = nowMs;
      continue;
    }
    s.unused++;
    s.lastUnusedAtMs = nowMs;
    s.lastUnused = s.lastUnused.filter((u) => u.offer.agent_id.value !== o.offer.agent_id.value);
    s.lastUnused.push({ offer: o.offer, reasons: o.reasons, atMs: nowMs });
    const first = funnelReason(o.reasons);
    if (first) s.attemptReasons[first] = (s.attemptReasons[first] ?? 0) + 1;
  }
}

/** Forgets the apps no longer waiting (`waiting` holds the app ids still short of instances). */
export function forgetSettled(stats: OfferStats, waiting: ReadonlySet<string>): void {
  for (const id of stats.keys()) if (!waiting.has(id)) stats.delete(id);
}

/** One stage of Marathon's reject funnel: how many offers reached it and how many it turned down. */
export interface RejectStage {
  reason: NoOfferMatchReason;
  declined: number;
  processed: number;
}

/** Marathon's funnel summary: `processed` offers go through every reason in order, each counted under its first. */
export function rejectSummary(processed: number, declinedBy: Partial<Record<NoOfferMatchReason, number>>): RejectStage[] {
  let left = processed;
  return NO_OFFER_MATCH_REASONS.map((reason) => {
    const declined = declinedBy[reason] ?? 0;
    const stage = { reason, declined, processed: left };
    left -= declined;
    return stage;
  });
}

/** The first-reason counts of the last unused offers (for `rejectSummaryLastOffers`). */
export function lastOffersReasons(s: AppOfferStats): Partial<Record<NoOfferMatchReason, number>> {
  const out: Partial<Record<NoOfferMatchReason, number>> = {};
  for (const u of s.lastUnused) {
    const first = funnelReason(u.reasons);
    if (first) out[first] = (out[first] ?? 0) + 1;
  }
  return out;
}
