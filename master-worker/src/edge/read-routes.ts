/**
 * The Durable Object's side of the classic read endpoints and the metrics: one function from an
 * internal GET path (the Worker maps `/master/state` → `/state`, …) to a response, the
 * documents streamed from a snapshot filtered for the caller (see state-stream.ts).
 */
import type { MasterCore } from "../core/master-core.ts";
import { isRejection } from "../model/rejection.ts";
import { monitorStatistics } from "../operator/containers-calls.ts";
import { flagsJson } from "../read/flags.ts";
import { metricsSnapshot } from "../read/metrics-snapshot.ts";
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from "../read/prometheus.ts";
import { checkViewFlags, mayViewFlags, readFilter } from "../read/read-filter.ts";
import { finishGradually, type ReadSnapshot, snapshotSteps } from "../read/read-snapshot.ts";
import { frameworksParts, type MasterMeta, parseTasksQuery, rolesParts, slavesParts, stateParts, stateSummaryParts, tasksParts } from "../read/state-json.ts";
import { jsonPartsResponse, objectOfParts, yieldToEventLoop } from "../read/state-stream.ts";
import { v1Parts } from "../read/v1-json.ts";
import { rejectionResponse } from "./http-error.ts";

/** The header an internal GET (a read endpoint) carries the authenticated principal in (set by the Worker only). */
export const READ_PRINCIPAL_HEADER = "x-strata-principal";

/** Internal read paths, as the Worker forwards them. */
export const READ_PATHS = [
  "/state",
  "/state-summary",
  "/frameworks",
  "/slaves",
  "/tasks",
  "/roles",
  "/flags",
  "/metrics",
  "/metrics/prometheus",
  "/monitor/statistics",
] as const;

/** Answers one read; undefined when `path` is not a read path. */
export function serveRead(core: MasterCore, path: string, params: URLSearchParams, principal: string | undefined, now: number): Response | undefined {
  if (!(READ_PATHS as readonly string[]).includes(path)) return undefined;
  if (path === "/metrics") return Response.json(metricsSnapshot(core, now));
  if (path === "/metrics/prometheus") return new Response(prometheusText(metricsSnapshot(core, now)), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
  const flagsObject = () => Object.fromEntries(flagsJson(core.config).map((f) => [f.name, f.value]));
  if (path === "/flags") {
    const refused = checkViewFlags(core.authorizer, principal);
    return refused ? rejectionResponse(refused) : Response.json({ flags: flagsObject() });
  }
  const filter = readFilter(core.authorizer, principal);
  if (path === "/monitor/statistics") return Response.json(monitorStatistics(core, filter));
  const query = path === "/tasks" ? parseTasksQuery(params) : undefined;
  if (isRejection(query)) return rejectionResponse(query);
  const meta: MasterMeta = {
    masterInfo: core.masterInfo,
    startedAt: core.startedAt,
    cluster: core.config.clusterName,
    ...(mayViewFlags(core.authorizer, principal) ? { flags: flagsObject() } : {}),
  };
  // The snapshot is of this moment; grouping it and writing the document happen in steps.
  const settings = new Map(core.settings);
  return jsonPartsResponse(
    finishGradually(snapshotSteps(core, filter), yieldToEventLoop).then((snapshot) => {
      switch (path) {
        case "/state":
          return stateParts(snapshot, meta);
        case "/state-summary":
          return stateSummaryParts(snapshot, meta);
        case "/frameworks":
          return frameworksParts(snapshot, params.get("framework_id") ?? undefined);
        case "/slaves":
          return slavesParts(snapshot, params.get("slave_id") ?? undefined);
        case "/tasks":
          return tasksParts(snapshot, query!);
        default:
          return rolesParts(snapshot, settings, filter);
      }
    }),
  );
}

/** Operator read calls answered as streamed documents (the ones that grow with the cluster). */
const STREAMED_CALLS: Record<string, [string, (s: ReadSnapshot) => Iterable<string>]> = {
  GET_STATE: ["get_state", v1Parts.getState],
  GET_TASKS: ["get_tasks", v1Parts.getTasks],
  GET_AGENTS: ["get_agents", v1Parts.getAgents],
  GET_FRAMEWORKS: ["get_frameworks", v1Parts.getFrameworks],
};

/**
 * Answers an operator read call that grows with the cluster as a streamed document (the same
 * JSON as its handler in operator/read-calls.ts); undefined for any other call.
 */
export function serveOperatorRead(core: MasterCore, type: string, principal: string | undefined): Response | undefined {
  const streamed = Object.hasOwn(STREAMED_CALLS, type) ? STREAMED_CALLS[type] : undefined;
  if (!streamed) return undefined;
  const [field, parts] = streamed;
  const snapshot = finishGradually(snapshotSteps(core, readFilter(core.authorizer, principal)), yieldToEventLoop);
  return jsonPartsResponse(snapshot.then((s) => objectOfParts({ type: [JSON.stringify(type)], [field]: parts(s) })));
}
