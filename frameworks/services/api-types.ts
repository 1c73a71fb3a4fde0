/**
 * The shapes of the services framework's API (services-api.ts, deployment-api.ts): a request as
 * the object hands it over, the answer, and the changes to commit before the answer goes out.
 */
import type { InfoSettings } from "./app-answers.ts";
import type { OfferStats } from "./offer-stats.ts";
import type { AppRecord, DeploymentRecord, GroupRecord, GroupSnapshot, InstanceRecord } from "./service-records.ts";
import type { ServicesCounters } from "./services-counters.ts";

/** A request as the object hands it over. */
export interface ApiRequest {
  method: string;
  /** The path, `/service/marathon` already taken off: `/v2/apps/x`, `/ping`. */
  path: string;
  query: URLSearchParams;
  body: string;
  /** The master's origin as the client reached it (for `Location` and `/v2/info`). */
  origin: string;
  /** The client's `Accept` header (`text/plain` task lists), when it sent one. */
  accept?: string;
}

/** The answer: a status, headers and a JSON body (or text for `/ping`). */
export interface ApiAnswer {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
}

/** What to commit: apps stored (with a new version row), apps removed, instances changed, deployments started or ended. */
export interface ApiChanges {
  apps: AppRecord[];
  removedApps: string[];
  instances: InstanceRecord[];
  deployments?: DeploymentRecord[];
  removedDeployments?: string[];
  /** Groups made or changed through `/v2/groups`, groups removed, group versions stored. */
  groups?: GroupRecord[];
  removedGroups?: string[];
  groupVersions?: GroupSnapshot[];
}

/** An answer and what to commit before it goes out; `abdicate` (DELETE `/v2/leader`) asks the object to drop its subscription after answering. */
export type Served = { answer: ApiAnswer; changes?: ApiChanges; abdicate?: true };

/** The stored versions of the apps (services-store.ts's `app_versions`), read when a request asks for them. */
export interface AppVersionReader {
  /** The versions (ms) stored for `appId`, newest first. */
  versions(appId: string): number[];
  /** `appId` as it was stored at `version` (ms), with its version times; undefined when there is no such version. */
  at(appId: string, version: number): AppRecord | undefined;
}

/** What serving a request needs besides the state. */
export interface ApiContext extends InfoSettings {
  nowMs: number;
  uuid: () => string;
  /** The object's offer statistics per waiting app (for `/v2/queue`); none when absent. */
  offerStats?: OfferStats;
  /** The stored app versions; without it only each app's current version is known. */
  versions?: AppVersionReader;
  /** What the object counted since it started (for `/metrics`); zeros when absent. */
  counters?: ServicesCounters;
}
