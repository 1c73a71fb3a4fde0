/**
 * `parseAppDefinition`: the body of POST `/v2/apps` (or of a PUT that replaces) to a normalised
 * app, or Marathon's refusal listing every failing path: 400 for JSON that does not parse, 422
 * "Invalid JSON" for a field of the wrong shape (play-json's keys), 422 "Object is not valid" for
 * a rule across fields (marathon-error.ts). Shape errors come first, as in Marathon: a definition
 * is only checked against the rules once it reads.
 */
import { stripNulls } from "../parse.ts";
import { withAppDefaults } from "./app-defaults.ts";
import type { MarathonApp } from "./app-definition.ts";
import { AppInput } from "./app-input.ts";
import { appRuleBreaches } from "./app-validation.ts";
import { badJson, invalidJson, type MarathonRefusal, objectNotValid } from "./marathon-error.ts";
import { shapeErrors } from "./shape-errors.ts";

/** JSON text parsed, or the 400 Marathon answers for text that is not JSON. */
export function parseJsonBody(text: string): { json: unknown } | MarathonRefusal {
  try {
    return { json: JSON.parse(text) as unknown };
  } catch (e) {
    return badJson(e instanceof Error ? e.message : String(e));
  }
}

/** The body as sent: JSON text is parsed first; anything else is taken as parsed JSON. */
export function bodyJson(body: unknown): { json: unknown } | MarathonRefusal {
  return typeof body === "string" ? parseJsonBody(body) : { json: body };
}

/** `json` read as an `App` (nulls are absent fields, unknown fields dropped), or the shape refusal. */
export function readAppInput(json: unknown): { input: AppInput } | MarathonRefusal {
  const cleaned = stripNulls(json);
  const result = AppInput.safeParse(cleaned);
  if (!result.success) return invalidJson(shapeErrors(result.error.issues, cleaned));
  return { input: result.data };
}

/**
 * A read `App` with its defaults, or the rules it breaks. `base`: the group relative ids resolve
 * against; `sent`: what a partial update sent (appRuleBreaches).
 */
export function appFromInput(input: AppInput, base = "/", sent: Pick<AppInput, "upgradeStrategy"> = input): { app: MarathonApp } | MarathonRefusal {
  const app = withAppDefaults(input, base);
  const breaches = appRuleBreaches(input, app, sent);
  return breaches.length > 0 ? objectNotValid(breaches) : { app };
}

/**
 * An app definition (JSON text or parsed JSON) as a normalised app: canonical absolute id, every
 * default filled; or the refusal naming every failing path.
 */
export function parseAppDefinition(body: unknown, base = "/"): { app: MarathonApp } | MarathonRefusal {
  const parsed = bodyJson(body);
  if (!("json" in parsed)) return parsed;
  const read = readAppInput(parsed.json);
  if (!("input" in read)) return read;
  return appFromInput(read.input, base);
}
