/** `/v2/leader` (GET, DELETE: abdication) and Marathon's `/metrics` over the services framework's state. */
import { describe, expect, it } from "vitest";
import { type ApiRequest, serveApi } from "../../frameworks/services/services-api.ts";
import { newCounters } from "../../frameworks/services/services-counters.ts";
import { instance, record, stateOf, uuids } from "../support/services-fixtures.ts";

const req = (method: string, path: string, query = "", origin = "http://m:8787"): ApiRequest => ({
  method,
  path,
  query: new URLSearchParams(query),
  body: "",
  origin,
});
const ctx = { nowMs: 70_000, uuid: uuids(), role: "*", user: "root" };

describe("/v2/leader", () => {
  it("GET names the leader as host:port of the origin the client reached", () => {
    expect(serveApi(stateOf([]), req("GET", "/v2/leader"), ctx).answer).toEqual({ status: 200, json: { leader: "m:8787" } });
    expect(serveApi(stateOf([]), req("GET", "/v2/leader", "", "https://marathon.example"), ctx).answer.json).toEqual({ leader: "marathon.example:443" });
  });

  it("DELETE abdicates: Marathon's answer, and the object is asked to give its subscription up", () => {
    const served = serveApi(stateOf([]), req("DELETE", "/v2/leader"), ctx);
    expect(served).toEqual({ answer: { status: 200, json: { message: "Leadership abdicated" } }, abdicate: true });
  });

  it("DELETE with a backup or restore location is refused naming the parameter, and does not abdicate", () => {
    const served = serveApi(stateOf([]), req("DELETE", "/v2/leader", "backup=file:///tmp/x"), ctx);
    expect(served.answer.status).toBe(422);
    expect(served.answer.json).toMatchObject({ details: [{ path: "/backup" }] });
    expect(served.abdicate).toBeUndefined();
  });
});

describe("/metrics", () => {
  it("answers Marathon's Dropwizard JSON with the gauges of the state and the object's counters", () => {
    const state = stateOf(
      [record({ id: "/prod/web/a", cmd: "sleep 1", instances: 3 }), record({ id: "/prod/db", cmd: "sleep 1" }), record({ id: "/solo", cmd: "sleep 1" })],
      [
        instance("r1", "/prod/web/a"),
        instance("r2", "/prod/web/a", { goal: "stopped" }),
        instance("s1", "/prod/web/a", { state: "TASK_STAGING" }),
        instance("s2", "/prod/db", { state: "TASK_STARTING" }),
      ],
    );
    const counters = {
      ...newCounters(10_000),
      subscribedAt: 40_000,
      eventStreams: 2,
      deployments: 4,
      tasksLaunched: 7,
      offersIncoming: 9,
      offersUsed: 5,
      offersDeclined: 4,
      revives: 3,
      suppresses: 1,
      launchOperations: 5,
    };
    const { answer } = serveApi(state, req("GET", "/metrics"), { ...ctx, counters });
    expect(answer.status).toBe(200);
    const m = answer.json as { version: string; gauges: Record<string, { value: number }>; counters: Record<string, { count: number }> };
    expect(m.version).toBe("4.0.0");
    expect(m).toMatchObject({ histograms: {}, meters: {}, timers: {} });
    expect(m.gauges).toMatchObject({
      "marathon.apps.active.gauge": { value: 3 },
      // "/", "/prod", "/prod/web"
      "marathon.groups.active.gauge": { value: 3 },
      "marathon.deployments.active.gauge": { value: 0 },
      "marathon.instances.running.gauge": { value: 2 },
      "marathon.instances.staged.gauge": { value: 2 },
      "marathon.instances.inflight-kills.gauge": { value: 1 },
      "marathon.http.event-streams.active.gauge": { value: 2 },
      "marathon.uptime.gauge.seconds": { value: 60 },
      "marathon.leadership.duration.gauge.seconds": { value: 30 },
    });
    expect(m.counters).toEqual({
      "marathon.deployments.counter": { count: 4 },
      "marathon.tasks.launched.counter": { count: 7 },
      "marathon.mesos.offers.incoming.counter": { count: 9 },
      "marathon.mesos.offers.used.counter": { count: 5 },
      "marathon.mesos.offers.declined.counter": { count: 4 },
      "marathon.mesos.calls.revive.counter": { count: 3 },
      "marathon.mesos.calls.suppress.counter": { count: 1 },
      "marathon.mesos.offer-operations.launch.counter": { count: 5 },
    });
  });
});
