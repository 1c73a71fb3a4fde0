/** Builders the services framework's planner tests share: apps, instances, offers and states. */

import type { ApiRequest } from "../../frameworks/services/api-types.ts";
import { startDeployment } from "../../frameworks/services/deployments.ts";
import { type AppRecord, InstanceMap, type InstanceRecord, type ServicesState } from "../../frameworks/services/service-records.ts";
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { parseAppDefinition } from "../../schemas/marathon/parse-app.ts";
import type { Offer, Resource } from "../../schemas/mesos.ts";

/** A normalised app from a definition (Marathon's defaults filled). */
export function app(definition: Record<string, unknown>): MarathonApp {
  const parsed = parseAppDefinition(definition);
  if (!("app" in parsed)) throw new Error(`bad app: ${JSON.stringify(parsed)}`);
  return parsed.app;
}

/** An app record stored at `version` (ms). */
export const record = (definition: Record<string, unknown>, version = 1_000, extra: Partial<AppRecord> = {}): AppRecord => ({
  app: app(definition),
  version,
  lastScalingAt: version,
  lastConfigChangeAt: version,
  ...extra,
});

/** An instance of `appId` on `agent`. */
export const instance = (taskId: string, appId: string, extra: Partial<InstanceRecord> = {}): InstanceRecord => ({
  taskId,
  appId,
  agentId: "a1",
  host: "host1",
  ports: [],
  state: "TASK_RUNNING",
  version: 1_000,
  stagedAt: 1_000,
  startedAt: 1_100,
  goal: "running",
  ...extra,
});

/** A state of `apps` and `instances`. */
export const stateOf = (apps: AppRecord[], instances: InstanceRecord[] = []): ServicesState => ({
  apps: new Map(apps.map((a) => [a.app.id, a])),
  instances: InstanceMap.of(instances),
  deployments: new Map(),
});

/**
 * The state after `definition`'s app (over the `old` instances) changed to `cmd: "sleep 700"` at
 * 50 s, its deployment `d1` started (its first stops made): a rolling change in progress.
 */
export function rollingChangeOf(definition: Record<string, unknown>, old: InstanceRecord[]): ServicesState {
  const before = stateOf([record(definition)], old);
  const state = stateOf([record({ ...definition, cmd: "sleep 700" }, 50_000)], old);
  const started = startDeployment(before, state, [String(definition.id)], "d1", 50_000);
  if ("cycle" in started) throw new Error(started.cycle);
  for (const s of started.stops) state.instances.set(s.taskId, s);
  state.deployments.set(started.deployment.id, started.deployment);
  return state;
}

const scalar = (name: string, value: number): Resource => ({ name, type: "SCALAR", scalar: { value }, role: "*" });

/** An offer of `cpus` and `mem` (and ports 31000-31009) from agent `agent` on `hostname`. */
export const offer = (id: string, agent: string, hostname: string, cpus = 4, mem = 4096): Offer => ({
  id: { value: id },
  framework_id: { value: "fw" },
  agent_id: { value: agent },
  hostname,
  attributes: [],
  executor_ids: [],
  resources: [
    scalar("cpus", cpus),
    scalar("mem", mem),
    scalar("disk", 1000),
    { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31009 }] }, role: "*" },
  ],
});

/** A request to the services API as the object hands it over: a body that is not text is sent as JSON. */
export const apiRequest = (method: string, path: string, body: unknown = "", query = ""): ApiRequest => ({
  method,
  path,
  query: new URLSearchParams(query),
  body: typeof body === "string" ? body : JSON.stringify(body),
  origin: "http://m:8787",
});

/** Uuids `u1`, `u2`, … in order. */
export function uuids(): () => string {
  let n = 0;
  return () => `u${++n}`;
}
