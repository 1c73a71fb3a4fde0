/**
 * Marathon's launch queue over the services framework's state and its offer statistics
 * (offer-stats.ts), decided purely: GET `/v2/queue` lists each app short of instances (`count`,
 * its launch `delay`, `since`, `processedOffersSummary` with Marathon's reject funnels;
 * `embed=lastUnusedOffers` adds the last unused offer of each agent with its reasons), and
 * DELETE `/v2/queue/{appId}/delay` ends the app's launch delay (204). Strata's extra, off by
 * default so that Marathon clients read exactly Marathon's shape: `strataExplain=true` adds
 * `strataClosestAgent`, the agent whose last offer failed the fewest checks and what it lacked.
 */
import { canonicalAppId } from "../../schemas/marathon/app-id.ts";
import { marathonTime } from "../../schemas/marathon/app-json.ts";
import { queryBoolean } from "../../schemas/marathon/query-boolean.ts";
import type { Offer, Resource } from "../../schemas/mesos.ts";
import { scalarOf } from "../../sdk/src/resources.ts";
import type { ApiAnswer, Served } from "./api-types.ts";
import { appAnswer } from "./app-answers.ts";
import { launchAllowed, missingInstances } from "./offer-planner.ts";
import { type AppOfferStats, lastOffersReasons, type OfferStats, rejectSummary, statsOf, type UnusedOffer } from "./offer-stats.ts";
import type { AppRecord, ServicesState } from "./service-records.ts";

const json = (status: number, body: unknown): ApiAnswer => ({ status, json: body });

/** An offer's resources as Marathon's queue shows them (queue.raml `OfferResource`). */
const resourceJson = (r: Resource): Record<string, unknown> => ({
  name: r.name,
  role: r.role ?? "*",
  ...(r.scalar ? { scalar: r.scalar.value } : {}),
  ...(r.ranges ? { ranges: r.ranges.range.map((x) => ({ begin: x.begin, end: x.end })) } : {}),
  ...(r.set ? { set: r.set.item ?? [] } : {}),
});

/** An offer as Marathon's queue shows it (queue.raml `Offer`). */
function offerJson(o: Offer): Record<string, unknown> {
  return {
    id: o.id.value,
    agentId: o.agent_id.value,
    hostname: o.hostname,
    resources: o.resources.map(resourceJson),
    attributes: (o.attributes ?? []).map((a) => ({
      name: a.name,
      ...(a.text ? { text: a.text.value } : {}),
      ...(a.scalar ? { scalar: a.scalar.value } : {}),
      ...(a.ranges ? { ranges: a.ranges.range.map((x) => ({ begin: x.begin, end: x.end })) } : {}),
      ...(a.set ? { set: a.set.item ?? [] } : {}),
    })),
  };
}

const unusedJson = (u: UnusedOffer): Record<string, unknown> => ({ offer: offerJson(u.offer), reason: u.reasons, timestamp: marathonTime(u.atMs) });

/** Strata's explanation: the agent whose last offer failed the fewest checks, and what it lacked. */
export function closestAgent(record: AppRecord, s: AppOfferStats): Record<string, unknown> | null {
  const best = [...s.lastUnused].sort((a, b) => a.reasons.length - b.reasons.length)[0];
  if (!best) return null;
  const { app } = record;
  const short: Record<string, { wanted: number; offered: number }> = {};
  for (const [name, wanted] of [
    ["cpus", app.cpus],
    ["mem", app.mem],
    ["disk", app.disk],
    ["gpus", app.gpus],
  ] as const) {
    const have = scalarOf(best.offer.resources, name);
    if (wanted > have) short[name] = { wanted, offered: have };
  }
  return { agentId: best.offer.agent_id.value, hostname: best.offer.hostname, reasons: best.reasons, short, lastOfferAt: marathonTime(best.atMs) };
}

/** One queue item (queue.raml `QueueApp`). */
function queueItem(state: ServicesState, record: AppRecord, s: AppOfferStats, nowMs: number, embedOffers: boolean, explain: boolean) {
  const deadline = record.delay ? record.delay.sinceMs + record.delay.delayMs : nowMs;
  return {
    app: appAnswer(state, record, {}),
    count: missingInstances(state, record),
    delay: { timeLeftSeconds: Math.max(0, Math.ceil((deadline - nowMs) / 1000)), overdue: launchAllowed(record, nowMs) },
    since: marathonTime(s.sinceMs),
    processedOffersSummary: {
      processedOffersCount: s.processed,
      unusedOffersCount: s.unused,
      ...(s.lastUnusedAtMs !== undefined ? { lastUnusedOfferAt: marathonTime(s.lastUnusedAtMs) } : {}),
      ...(s.lastUsedAtMs !== undefined ? { lastUsedOfferAt: marathonTime(s.lastUsedAtMs) } : {}),
      rejectSummaryLastOffers: rejectSummary(s.lastUnused.length, lastOffersReasons(s)),
      rejectSummaryLaunchAttempt: rejectSummary(s.processed, s.attemptReasons),
    },
    ...(embedOffers ? { lastUnusedOffers: s.lastUnused.map(unusedJson) } : {}),
    ...(explain ? { strataClosestAgent: closestAgent(record, s) } : {}),
  };
}

/** Serves `/v2/queue…` (`stats` is the object's memory; apps starting to wait get an entry), or undefined for another request. */
export function queueApi(state: ServicesState, stats: OfferStats, method: string, path: string, query: URLSearchParams, nowMs: number): Served | undefined {
  if ((path === "/v2/queue" || path === "/v2/queue/") && method === "GET") {
    const embedOffers = query.getAll("embed").includes("lastUnusedOffers");
    const explain = queryBoolean(query.get("strataExplain"), false);
    const queue = [...state.apps.values()]
      .filter((r) => missingInstances(state, r) > 0)
      .sort((a, b) => a.app.id.localeCompare(b.app.id))
      .map((r) => queueItem(state, r, statsOf(stats, r.app.id, nowMs), nowMs, embedOffers, explain));
    return { answer: json(200, { queue }) };
  }
  const m = /^\/v2\/queue\/(.+)\/delay\/?$/.exec(path);
  if (!m || method !== "DELETE") return undefined;
  const id = canonicalAppId(decodeURIComponent(m[1]!));
  const record = state.apps.get(id);
  if (!record || missingInstances(state, record) === 0) return { answer: json(404, { message: `Application ${id} not found in tasks queue.` }) };
  const { delay: _gone, ...rest } = record;
  return { answer: { status: 204 }, changes: { apps: [rest], removedApps: [], instances: [] } };
}
