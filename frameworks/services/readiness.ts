/**
 * Marathon's readiness checks, decided purely: during a deployment each new instance of an app
 * with a readiness check is asked `GET <protocol>://<host>:<port><path>` (the port its `portName`
 * names) every `intervalSeconds` once its task runs (and passes its health check), until it
 * answers one of `httpStatusCodesForReady`; only then does it count as ready, so the deployment
 * kills an old instance only for a new one that is ready. The services object runs the requests
 * (readiness-runner.ts) and keeps each instance's last result on its record; the app's
 * `readinessCheckResults` list them while its deployment runs.
 *
 * Sources: mesosphere/marathon docs/docs/readiness-checks.md,
 * docs/docs/rest-api/public/api/v2/types/readinessCheck.raml and readinessCheckResult.raml,
 * src/main/scala/mesosphere/marathon/core/readiness/ReadinessCheckExecutor.scala and
 * core/deployment/impl/ReadinessBehavior.scala (an instance counts once healthy and ready).
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import type { ReadinessCheckResult } from "../../schemas/marathon/readiness-result.ts";
import { deploymentOfApp, instanceHealthy } from "./deployments.ts";
import { instanceReady } from "./readiness-gate.ts";
import { type InstanceRecord, instancesOf, type ServicesState } from "./service-records.ts";

/** One readiness request to make now. */
export interface ReadinessProbe {
  taskId: string;
  name: string;
  url: string;
  timeoutMs: number;
  readyStatuses: number[];
  preserveLastResponse: boolean;
}

/** What a readiness request got: the response, or nothing (refused, timed out, unreachable). */
export type ReadinessAnswer = { status: number; contentType: string; body: string } | undefined;

/** The names of `app`'s ports in the order of its instances' host ports (port mappings with a host port, else port definitions). */
function hostPortNames(app: MarathonApp): Array<string | undefined> {
  const mappings = app.container?.portMappings;
  if (mappings) return mappings.filter((m) => m.hostPort !== undefined).map((m) => m.name);
  return (app.portDefinitions ?? []).map((p) => p.name);
}

/** The URL `app`'s readiness check asks of `instance`; undefined when the app has none or its port has no host port. */
export function readinessUrl(app: MarathonApp, instance: Pick<InstanceRecord, "host" | "ports">): string | undefined {
  const check = app.readinessChecks[0];
  if (!check) return undefined;
  const port = instance.ports[hostPortNames(app).indexOf(check.portName)];
  if (port === undefined) return undefined;
  return `${check.protocol === "HTTPS" ? "https" : "http"}://${instance.host}:${port}${check.path}`;
}

/**
 * The readiness requests due at `nowMs`: for each app in a deployment with a readiness check, its
 * new instances that run (healthy, for an app with a health check), are not ready yet, and were
 * last asked `intervalSeconds` ago or never (`lastAskedMs`, by task id; in flight counts as asked).
 */
export function dueReadinessProbes(state: ServicesState, lastAskedMs: ReadonlyMap<string, number>, nowMs: number): ReadinessProbe[] {
  const out: ReadinessProbe[] = [];
  for (const record of state.apps.values()) {
    const check = record.app.readinessChecks[0];
    if (!check || !deploymentOfApp(state, record.app.id)) continue;
    for (const i of instancesOf(state, record.app.id)) {
      if (i.goal !== "running" || i.version < record.lastConfigChangeAt || instanceReady(record, i) || !instanceHealthy(record, i)) continue;
      const last = lastAskedMs.get(i.taskId);
      if (last !== undefined && nowMs - last < check.intervalSeconds * 1000) continue;
      const url = readinessUrl(record.app, i);
      if (!url) continue;
      out.push({
        taskId: i.taskId,
        name: check.name,
        url,
        timeoutMs: check.timeoutSeconds * 1000,
        readyStatuses: check.httpStatusCodesForReady,
        preserveLastResponse: check.preserveLastResponse,
      });
    }
  }
  return out;
}

/** The result of `probe` given what it got: ready when the status is one of the check's. */
export function readinessResult(probe: ReadinessProbe, answer: ReadinessAnswer): ReadinessCheckResult {
  return {
    name: probe.name,
    taskId: probe.taskId,
    ready: answer !== undefined && probe.readyStatuses.includes(answer.status),
    ...(answer && probe.preserveLastResponse ? { lastResponse: answer } : {}),
  };
}

/** Whether `result` is worth a write over `before` (persist changes, not chatter): a first result, or another readiness or response. */
export function readinessChanged(before: ReadinessCheckResult | undefined, result: ReadinessCheckResult): boolean {
  return JSON.stringify(before) !== JSON.stringify(result);
}

/** `readinessCheckResults` of app `appId` (its answer's and its deployment's): its instances' last results while a deployment runs (none otherwise). */
export function readinessCheckResults(state: Pick<ServicesState, "instances" | "deployments">, appId: string): ReadinessCheckResult[] {
  if (!deploymentOfApp(state, appId)) return [];
  return instancesOf(state, appId).flatMap((i) => (i.readiness ? [i.readiness] : []));
}
