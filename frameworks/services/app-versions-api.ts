/**
 * An app's stored versions (mesosphere/marathon, api/v2/AppVersionsResource.scala, appVersions.raml):
 * GET `/v2/apps/{id}/versions` answers `{"versions": [<timestamp>, …]}`, newest first, and GET
 * `/v2/apps/{id}/versions/{version}` the definition as it was then (`version`, `versionInfo`, no
 * run-time embeds). A rollback (PUT `{"version": …}`) reads the same rows (AppHelpers.scala
 * `updateOrCreate`: `rollback`). Versions are ISO 8601 timestamps in UTC ending in `Z`; any ISO
 * spelling of the same millisecond names the same version. An unknown app, or a version it does
 * not have, is Marathon's 404 (`AppNotFoundException`).
 */
import { appJson, marathonTime } from "../../schemas/marathon/app-json.ts";
import type { ApiAnswer, ApiContext, AppVersionReader } from "./api-types.ts";
import type { AppRecord, ServicesState } from "./service-records.ts";

/** Marathon's 404 for an app it does not have (AppNotFoundException), at a version when one is named. */
export const unknownApp = (id: string, version?: string): ApiAnswer => ({
  status: 404,
  json: { message: `App '${id}' does not exist${version !== undefined ? ` in version ${version}` : ""}` },
});

/** The reader of `ctx`, or one that knows each app's current version only. */
export function versionReader(state: ServicesState, ctx: ApiContext): AppVersionReader {
  if (ctx.versions) return ctx.versions;
  return {
    versions: (id) => {
      const r = state.apps.get(id);
      return r ? [r.version] : [];
    },
    at: (id, version) => {
      const r = state.apps.get(id);
      return r && r.version === version ? r : undefined;
    },
  };
}

/** A version's milliseconds from its text (UTC when it names no zone, as Marathon's `Timestamp`), or undefined when it is no timestamp. */
export function versionMs(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined;
  const ms = Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The record of `id` at the version `text` names, or undefined. */
export function recordAt(state: ServicesState, ctx: ApiContext, id: string, text: string): AppRecord | undefined {
  const ms = versionMs(text);
  return ms === undefined ? undefined : versionReader(state, ctx).at(id, ms);
}

/** The definition alone, as a version shows it (no counts, tasks or deployments). */
export const versionJson = (r: AppRecord): Record<string, unknown> =>
  appJson(
    r.app,
    {
      version: r.version,
      lastScalingAt: r.lastScalingAt,
      lastConfigChangeAt: r.lastConfigChangeAt,
      staged: 0,
      running: 0,
      healthy: 0,
      unhealthy: 0,
      deployments: [],
    },
    {},
  );

/** Serves GET `/v2/apps/{id}/versions[/{version}]` for the canonical `id`. */
export function versionsApi(state: ServicesState, ctx: ApiContext, id: string, version: string | undefined): ApiAnswer {
  if (!state.apps.has(id)) return unknownApp(id);
  if (version === undefined) return { status: 200, json: { versions: versionReader(state, ctx).versions(id).map(marathonTime) } };
  const r = recordAt(state, ctx, id, version);
  return r ? { status: 200, json: versionJson(r) } : unknownApp(id, version);
}
