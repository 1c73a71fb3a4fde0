import { describe, expect, it } from "vitest";
import { planOffers } from "../../frameworks/services/offer-planner.ts";
import { type OfferStats, recordOutcomes, rejectSummary } from "../../frameworks/services/offer-stats.ts";
import { type ApiRequest, serveApi } from "../../frameworks/services/services-api.ts";
import { offer, record, stateOf, uuids } from "../support/services-fixtures.ts";

const req = (method: string, path: string, query = ""): ApiRequest => ({ method, path, query: new URLSearchParams(query), body: "", origin: "http://m:8787" });

/** A state with a huge app and a small one, after two offers (a 4-cpu one on h1, a 2-cpu one on h2). */
function waited() {
  const state = stateOf([record({ id: "/huge", cmd: "sleep 1", cpus: 1000 }), record({ id: "/small", cmd: "sleep 1", cpus: 1, instances: 7 })]);
  const stats: OfferStats = new Map();
  const plan = planOffers(state, [offer("o1", "a1", "h1", 4), offer("o2", "a2", "h2", 2)], { nowMs: 10_000, uuid: uuids(), role: "*" });
  recordOutcomes(stats, plan.outcomes, 10_000);
  for (const l of plan.launches) for (const i of l.instances) state.instances.set(i.taskId, i);
  return { state, stats, plan };
}
type Item = Record<string, unknown> & { app: { id: string }; processedOffersSummary: Record<string, unknown> };

describe("offer outcomes and the reject funnel", () => {
  it("each app short of instances records each offer: used, or the reasons from matchOffer", () => {
    const { plan } = waited();
    expect(plan.outcomes.map((o) => [o.appId, o.offer.id.value, o.reasons])).toEqual([
      ["/huge", "o1", ["InsufficientCpus"]],
      ["/huge", "o2", ["InsufficientCpus"]],
      ["/small", "o1", []],
      ["/small", "o2", []],
    ]);
  });

  it("rejectSummary: offers flow through the funnel, each counted under its first reason", () => {
    const s = rejectSummary(5, { UnfulfilledRole: 1, InsufficientCpus: 3 });
    expect(s.slice(0, 6)).toEqual([
      { reason: "UnfulfilledRole", declined: 1, processed: 5 },
      { reason: "UnfulfilledConstraint", declined: 0, processed: 4 },
      { reason: "NoCorrespondingReservationFound", declined: 0, processed: 4 },
      { reason: "AgentMaintenance", declined: 0, processed: 4 },
      { reason: "InsufficientCpus", declined: 3, processed: 4 },
      { reason: "InsufficientMemory", declined: 0, processed: 1 },
    ]);
  });
});

describe("GET /v2/queue", () => {
  it("lists each waiting app with count, delay, since and processedOffersSummary (Marathon's shape, nothing more)", () => {
    const { state, stats } = waited();
    const { answer } = serveApi(state, req("GET", "/v2/queue"), { nowMs: 12_000, uuid: uuids(), role: "*", user: "root", offerStats: stats });
    const queue = (answer.json as { queue: Item[] }).queue;
    expect(queue.map((q) => [q.app.id, q.count])).toEqual([
      ["/huge", 1],
      ["/small", 1],
    ]);
    const huge = queue[0]!;
    expect(Object.keys(huge).sort()).toEqual(["app", "count", "delay", "processedOffersSummary", "since"]);
    expect(huge.delay).toEqual({ timeLeftSeconds: 0, overdue: true });
    expect(huge.since).toBe("1970-01-01T00:00:10.000Z");
    expect(huge.processedOffersSummary).toMatchObject({ processedOffersCount: 2, unusedOffersCount: 2, lastUnusedOfferAt: "1970-01-01T00:00:10.000Z" });
    expect(huge.processedOffersSummary.lastUsedOfferAt).toBeUndefined();
    const last = huge.processedOffersSummary.rejectSummaryLastOffers as { reason: string; declined: number; processed: number }[];
    expect(last.find((r) => r.reason === "InsufficientCpus")).toEqual({ reason: "InsufficientCpus", declined: 2, processed: 2 });
    expect(queue[1]!.processedOffersSummary).toMatchObject({ processedOffersCount: 2, unusedOffersCount: 0, lastUsedOfferAt: "1970-01-01T00:00:10.000Z" });
  });

  it("embed=lastUnusedOffers adds each agent's last unused offer; strataExplain=true the closest agent and what it lacked", () => {
    const { state, stats } = waited();
    const ctx = { nowMs: 12_000, uuid: uuids(), role: "*", user: "root", offerStats: stats };
    const huge = (serveApi(state, req("GET", "/v2/queue", "embed=lastUnusedOffers&strataExplain=true"), ctx).answer.json as { queue: Item[] }).queue[0]!;
    expect(huge.lastUnusedOffers).toEqual([
      {
        offer: expect.objectContaining({
          id: "o1",
          agentId: "a1",
          hostname: "h1",
          attributes: [],
          resources: expect.arrayContaining([{ name: "cpus", role: "*", scalar: 4 }]),
        }),
        reason: ["InsufficientCpus"],
        timestamp: "1970-01-01T00:00:10.000Z",
      },
      expect.objectContaining({ reason: ["InsufficientCpus"] }),
    ]);
    expect(huge.strataClosestAgent).toMatchObject({
      agentId: "a1",
      hostname: "h1",
      reasons: ["InsufficientCpus"],
      short: { cpus: { wanted: 1000, offered: 4 } },
    });
  });

  it("a launch delay shows timeLeftSeconds; DELETE /v2/queue/{id}/delay ends it (204); 404 for an app not waiting", () => {
    const { state, stats } = waited();
    state.apps.set("/huge", { ...state.apps.get("/huge")!, delay: { sinceMs: 11_000, delayMs: 5_000 } });
    const ctx = { nowMs: 12_000, uuid: uuids(), role: "*", user: "root", offerStats: stats };
    const huge = (serveApi(state, req("GET", "/v2/queue"), ctx).answer.json as { queue: Item[] }).queue[0]!;
    expect(huge.delay).toEqual({ timeLeftSeconds: 4, overdue: false });
    const reset = serveApi(state, req("DELETE", "/v2/queue//huge/delay"), ctx);
    expect(reset.answer.status).toBe(204);
    expect(reset.changes?.apps[0]?.delay).toBeUndefined();
    expect(serveApi(state, req("DELETE", "/v2/queue/nope/delay"), ctx).answer).toEqual({
      status: 404,
      json: { message: "Application /nope not found in tasks queue." },
    });
  });
});
