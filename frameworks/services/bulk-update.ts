/**
 * PUT and PATCH `/v2/apps` with an array of app updates (mesosphere/marathon,
 * api/v2/AppsResource.scala `replaceMultiple`, `patchMultiple`, `updateMultiple`,
 * `canonicalAppUpdatesFromJson`), decided purely. Every item names its app by `id`; PUT is a
 * partial update of each unless `partialUpdate=false` (then each item is a whole definition) and
 * creates the apps it does not find; PATCH is always partial and never creates (404 for an app it
 * does not have). An item of `version` alone rolls its app back to that stored version. Marathon
 * applies the whole array as one change of its root group: every item is read and checked first
 * (one refusal names the item, `(i)/field`), then a deployment holding any of the apps refuses the
 * lot (409) unless `force=true`. The answer is `200 {"version", "deploymentId"}` with the
 * `Marathon-Deployment-Id` header, creations included.
 *
 * The array is one change: one deployment (deployment-api.ts `deployChanges`) restarts or scales
 * each app it changes, in `dependencies` order, and the answer names it.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { canonicalAppId } from "../../schemas/marathon/app-id.ts";
import { mergeAppUpdate } from "../../schemas/marathon/app-update.ts";
import { invalidJson, isMarathonRefusal, type MarathonRefusal } from "../../schemas/marathon/marathon-error.ts";
import { parseAppDefinition, parseJsonBody } from "../../schemas/marathon/parse-app.ts";
import { queryBoolean } from "../../schemas/marathon/query-boolean.ts";
import type { ApiContext, ApiRequest, Served } from "./api-types.ts";
import { refused, rollbackTarget } from "./app-changes.ts";
import { unknownApp } from "./app-versions-api.ts";
import { deployChanges, deploymentAnswer, lockedBy } from "./deployment-api.ts";
import { changedRecord } from "./deployments.ts";
import { notYetLaunched } from "./not-yet-launched.ts";
import type { AppRecord, ServicesState } from "./service-records.ts";

/** Marathon's refusal of an item without `id` (a Scala `require`, so 422 with its "requirement failed: " prefix). */
export const BULK_ID_REQUIRED = "requirement failed: App Update must have app id set";

/** A refusal of item `i`, its paths moved under `(i)`. */
function itemRefusal(i: number, r: MarathonRefusal): MarathonRefusal {
  const details = r.body.details;
  if (!Array.isArray(details)) return r;
  const moved = details.map((d) => ({ ...d, path: d.path === "/" ? `(${i})` : `(${i})${d.path}` }));
  return { ...r, body: { ...r.body, details: moved } };
}

type Planned = { id: string; app: MarathonApp } | { id: string; rollbackTo: string };

/** Serves PUT (`allowCreation`) or PATCH `/v2/apps`. */
export function bulkUpdate(state: ServicesState, req: ApiRequest, ctx: ApiContext, allowCreation: boolean): Served {
  const partial = !allowCreation || queryBoolean(req.query.get("partialUpdate"), true);
  const parsed = parseJsonBody(req.body);
  if (!("json" in parsed)) return { answer: refused(parsed) };
  if (!Array.isArray(parsed.json)) return { answer: refused(invalidJson([["/", "error.expected.jsarray"]])) };
  // Every item is read and checked before anything changes.
  const planned: Planned[] = [];
  for (const [i, item] of parsed.json.entries()) {
    if (item === null || typeof item !== "object" || Array.isArray(item)) return { answer: refused(invalidJson([[`(${i})`, "error.expected.jsobject"]])) };
    const rawId = (item as Record<string, unknown>).id;
    if (typeof rawId !== "string" || rawId === "") {
      if (partial) return { answer: { status: 422, json: { message: BULK_ID_REQUIRED } } };
      return { answer: refused(invalidJson([[`(${i})/id`, rawId === undefined ? "error.path.missing" : "error.expected.jsstring"]])) };
    }
    const id = canonicalAppId(rawId);
    const existing = state.apps.get(id);
    if (!existing && !allowCreation) return { answer: unknownApp(id) };
    const result = existing ? mergeAppUpdate(existing.app, item, partial) : parseAppDefinition({ ...item, id });
    if (isMarathonRefusal(result)) return { answer: refused(itemRefusal(i, result)) };
    if ("rollbackTo" in result) {
      if (!existing) return { answer: unknownApp(id) };
      planned.push({ id, rollbackTo: result.rollbackTo });
      continue;
    }
    const later = notYetLaunched(result.app, ctx.role);
    if (later) return { answer: refused(itemRefusal(i, later)) };
    planned.push({ id, app: result.app });
  }
  for (const p of planned) {
    if (!state.apps.has(p.id)) continue;
    const locked = lockedBy(state, p.id, req.query);
    if (locked) return locked;
  }
  // Applied in order: a later item of the same app sees what the earlier one made; the whole array
  // is one change, rolled out as one deployment (a rolling restart or a scale of each app in it).
  const records = new Map<string, AppRecord>();
  for (const p of planned) {
    let app: MarathonApp;
    if ("rollbackTo" in p) {
      const target = rollbackTarget(state, ctx, p.id, p.rollbackTo);
      if (!("app" in target)) return { answer: target };
      app = target.app;
    } else app = p.app;
    const record = changedRecord(records.get(p.id) ?? state.apps.get(p.id), app, ctx.nowMs);
    if (record) records.set(p.id, record);
  }
  const id = ctx.uuid();
  if (records.size === 0) return { answer: deploymentAnswer(200, ctx, ctx.nowMs, {}, id) };
  const changes = deployChanges(state, { apps: [...records.values()], removedApps: [], instances: [] }, id, ctx.nowMs);
  if ("cycle" in changes) return { answer: { status: 422, json: { message: changes.cycle } } };
  return { answer: deploymentAnswer(200, ctx, ctx.nowMs, {}, id), changes };
}
