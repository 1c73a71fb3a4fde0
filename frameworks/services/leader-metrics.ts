/**
 * `/v2/leader` and `/metrics` of the services framework, decided purely.
 *
 * - GET `/v2/leader`: Marathon's `{"leader": "host:port"}` (api/v2/LeaderResource.scala): the
 *   services object is the one leader there is, reached at the master's origin (as `/v2/info`'s
 *   `leader`).
 * - DELETE `/v2/leader`: Marathon answers `200 {"message": "Leadership abdicated"}` and gives up
 *   leadership shortly after, so that another instance takes over. Strata's services object is
 *   its own successor: it drops its subscription and its event streams (clients reconnect, as after
 *   a Marathon leader change) and subscribes again at its next tick with its stored framework id
 *   (a failover: the master keeps its tasks), then reconciles. The `backup` and `restore`
 *   parameters (a ZooKeeper backup on abdication) are refused: 422 naming the parameter.
 * - GET `/metrics`: Marathon 1.8+'s Dropwizard JSON (docs/docs/metrics.md; the metric names of
 *   MetricsIntegrationTest.scala): `{"version": "4.0.0", "gauges": {name: {"value"}}, "counters":
 *   {name: {"count"}}, "histograms": {}, "meters": {}, "timers": {}}`, with the names that have a
 *   meaning here. Counters count since the object started (Marathon's "since it became leader").
 */
import type { ApiAnswer, ApiRequest } from "./api-types.ts";
import type { ServicesState } from "./service-records.ts";
import type { ServicesCounters } from "./services-counters.ts";
import { leaderHostPort } from "./services-origin.ts";

/** Serves `/v2/leader`: the answer, and whether the object abdicates after it. Undefined for a method it does not serve. */
export function leaderApi(req: ApiRequest): { answer: ApiAnswer; abdicate?: true } | undefined {
  if (req.method === "GET") return { answer: { status: 200, json: { leader: leaderHostPort(req.origin) } } };
  if (req.method !== "DELETE") return undefined;
  for (const param of ["backup", "restore"]) {
    if (req.query.has(param)) {
      const errors = [`${param} is not supported by Strata's services framework (it has no ZooKeeper state to back up)`];
      return { answer: { status: 422, json: { message: "Object is not valid", details: [{ path: `/${param}`, errors }] } } };
    }
  }
  return { answer: { status: 200, json: { message: "Leadership abdicated" } }, abdicate: true };
}

/** The number of groups the apps' ids make, the root group included (Marathon's `groups.active`). */
function groupCount(state: ServicesState): number {
  const groups = new Set<string>(["/"]);
  for (const id of state.apps.keys()) {
    const parts = id.split("/").filter(Boolean);
    for (let n = 1; n < parts.length; n++) groups.add(`/${parts.slice(0, n).join("/")}`);
  }
  return groups.size;
}

/** `/metrics` in Marathon's Dropwizard JSON. */
export function metricsJson(state: ServicesState, c: ServicesCounters, nowMs: number): Record<string, unknown> {
  const instances = [...state.instances.values()];
  const running = instances.filter((i) => i.state === "TASK_RUNNING").length;
  const staged = instances.filter((i) => i.state === "TASK_STAGING" || i.state === "TASK_STARTING").length;
  const gauge = (value: number) => ({ value });
  const count = (n: number) => ({ count: n });
  return {
    version: "4.0.0",
    gauges: {
      "marathon.apps.active.gauge": gauge(state.apps.size),
      "marathon.groups.active.gauge": gauge(groupCount(state)),
      "marathon.pods.active.gauge": gauge(0),
      "marathon.deployments.active.gauge": gauge(state.deployments.size),
      "marathon.instances.running.gauge": gauge(running),
      "marathon.instances.staged.gauge": gauge(staged),
      "marathon.instances.inflight-kills.gauge": gauge(instances.filter((i) => i.goal === "stopped").length),
      "marathon.tasks.running.gauge": gauge(running),
      "marathon.tasks.staged.gauge": gauge(staged),
      "marathon.http.event-streams.active.gauge": gauge(c.eventStreams),
      "marathon.uptime.gauge.seconds": gauge((nowMs - c.startedAt) / 1000),
      "marathon.leadership.duration.gauge.seconds": gauge(c.subscribedAt === undefined ? 0 : (nowMs - c.subscribedAt) / 1000),
    },
    counters: {
      "marathon.deployments.counter": count(c.deployments),
      "marathon.tasks.launched.counter": count(c.tasksLaunched),
      "marathon.mesos.offers.incoming.counter": count(c.offersIncoming),
      "marathon.mesos.offers.used.counter": count(c.offersUsed),
      "marathon.mesos.offers.declined.counter": count(c.offersDeclined),
      "marathon.mesos.calls.revive.counter": count(c.revives),
      "marathon.mesos.calls.suppress.counter": count(c.suppresses),
      "marathon.mesos.offer-operations.launch.counter": count(c.launchOperations),
    },
    histograms: {},
    meters: {},
    timers: {},
  };
}
