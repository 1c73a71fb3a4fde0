/**
 * `mergeAppUpdate`: PUT `/v2/apps/{id}` (a partial update unless `partialUpdate=false`) and PATCH,
 * as Marathon applies an `AppUpdate` (mesosphere/marathon, app.raml `(pragma.generateUpdateType)`,
 * api/v2/AppsResource.scala, AppNormalization.forDeprecatedUpdates): the fields sent replace the
 * app's, the others stay; the result is normalised and checked as a whole definition. A body with
 * only `version` (and `id`) asks to roll back to that version; with other fields it is refused.
 * `partialUpdate=false` replaces the definition: fields not sent take their defaults.
 */
import { stripNulls } from "../parse.ts";
import { appNetworks } from "./app-defaults.ts";
import type { MarathonApp } from "./app-definition.ts";
import { AppUpdateInput } from "./app-input.ts";
import { invalidJson, type MarathonRefusal, objectNotValid } from "./marathon-error.ts";
import { appFromInput, bodyJson, readAppInput } from "./parse-app.ts";
import { shapeErrors } from "./shape-errors.ts";

/** Marathon's refusal of a `version` sent with other fields than `id`. */
export const VERSION_ONLY_WITH_ID = "The 'version' field may only be combined with the 'id' field.";

/** What an update asks: a new definition, or a rollback to an earlier version (its timestamp). */
export type AppUpdateResult = { app: MarathonApp } | { rollbackTo: string } | MarathonRefusal;

/**
 * `existing` updated by `body` (JSON text or parsed JSON). `partial` (the default, as Marathon's
 * `partialUpdate=true`) keeps the fields not sent; otherwise the body is a whole definition. The
 * id is always `existing.id` (the path's).
 */
export function mergeAppUpdate(existing: MarathonApp, body: unknown, partial = true): AppUpdateResult {
  const parsed = bodyJson(body);
  if (!("json" in parsed)) return parsed;
  const cleaned = stripNulls(parsed.json);
  const read = AppUpdateInput.safeParse(cleaned);
  if (!read.success) return invalidJson(shapeErrors(read.error.issues, cleaned));
  const patch = read.data;
  if (patch.version !== undefined) {
    const others = Object.keys(patch).filter((k) => k !== "version" && k !== "id");
    return others.length > 0 ? objectNotValid([["/", VERSION_ONLY_WITH_ID]]) : { rollbackTo: patch.version };
  }
  const sent = { ...(cleaned as Record<string, unknown>), id: existing.id };
  if (!partial) {
    const whole = readAppInput(sent);
    return "input" in whole ? appFromInput(whole.input) : whole;
  }
  const base: Record<string, unknown> = { ...existing };
  // A field sent in its deprecated form replaces the canonical one it stands for.
  if (patch.ports !== undefined) delete base.portDefinitions;
  if (patch.uris !== undefined) delete base.fetch;
  if (patch.container?.docker?.network !== undefined && patch.networks === undefined) delete base.networks;
  // Moving to a container network drops the host ports the app had (they become port mappings).
  const networks = appNetworks({ networks: patch.networks ?? existing.networks, container: patch.container ?? existing.container });
  const hostNetworked = networks.some((n) => n.mode === "host");
  if (!hostNetworked && patch.portDefinitions === undefined && patch.ports === undefined) delete base.portDefinitions;
  // Moving to host networking drops the port mappings the app had (Marathon's normalisation does).
  if (hostNetworked && existing.container?.portMappings && patch.container === undefined) {
    const { portMappings: _, ...container } = existing.container;
    base.container = container;
  }
  const merged = readAppInput({ ...base, ...sent });
  return "input" in merged ? appFromInput(merged.input, "/", patch) : merged;
}
