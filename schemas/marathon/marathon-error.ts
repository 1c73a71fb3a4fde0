/**
 * Marathon's error bodies, as its `MarathonExceptionMapper`, `RestResource.entity` and
 * `Validation.failureWrites` write them (mesosphere/marathon, src/main/scala/mesosphere/marathon/api/):
 *
 * - JSON that does not parse: 400 `{"message":"Invalid JSON","details":"<the parser's words>"}`
 *   (`details` is a string there);
 * - JSON of the wrong shape (a type, a minimum, a pattern, an unknown enum literal): 422
 *   `{"message":"Invalid JSON","details":[{"path":"/cpus","errors":["error.min"]}]}` with play-json's
 *   error keys (a JsResultException whose errors are all validation errors answers 422);
 * - a well-shaped definition that breaks a rule across fields: 422
 *   `{"message":"Object is not valid","details":[{"path":"/","errors":["AppDefinition must …"]}]}`.
 *
 * Paths are play-json's `JsPath` text: `/key` for a field, `(i)` for a list item
 * (`/healthChecks(0)/protocol`). Refusals are values; the edge maps `status` onto the response.
 */

/** One failing path and its errors, in Marathon's words. */
export interface MarathonErrorDetail {
  path: string;
  errors: string[];
}

/** A Marathon error body: `details` is a list of paths, or the parser's message for bad JSON. */
export interface MarathonErrorBody {
  message: string;
  details?: MarathonErrorDetail[] | string;
}

/** A refused request: the status Marathon answers with and its body. */
export interface MarathonRefusal {
  status: 400 | 422;
  body: MarathonErrorBody;
}

/** Marathon's message for a body that is not JSON or not of the expected shape. */
export const INVALID_JSON = "Invalid JSON";
/** Marathon's message for a definition that breaks a validation rule. */
export const OBJECT_NOT_VALID = "Object is not valid";

/** Groups `(path, error)` pairs by path (first-seen order), each path's errors without repeats. */
export function groupDetails(pairs: ReadonlyArray<readonly [path: string, error: string]>): MarathonErrorDetail[] {
  const byPath = new Map<string, string[]>();
  for (const [path, error] of pairs) {
    let errors = byPath.get(path);
    if (!errors) byPath.set(path, (errors = []));
    if (!errors.includes(error)) errors.push(error);
  }
  return [...byPath].map(([path, errors]) => ({ path, errors }));
}

/** 400: the body is not JSON (`details` is the parser's message). */
export function badJson(parserMessage: string): MarathonRefusal {
  return { status: 400, body: { message: INVALID_JSON, details: parserMessage } };
}

/** 422: the JSON does not have the definition's shape (play-json's error keys per path). */
export function invalidJson(pairs: ReadonlyArray<readonly [string, string]>): MarathonRefusal {
  return { status: 422, body: { message: INVALID_JSON, details: groupDetails(pairs) } };
}

/** 422: the definition breaks a rule (Marathon's validation messages per path). */
export function objectNotValid(pairs: ReadonlyArray<readonly [string, string]>): MarathonRefusal {
  return { status: 422, body: { message: OBJECT_NOT_VALID, details: groupDetails(pairs) } };
}

/** Whether `value` is a refusal (the parsers answer a value or a refusal). */
export function isMarathonRefusal(value: unknown): value is MarathonRefusal {
  return typeof value === "object" && value !== null && "status" in value && "body" in value;
}

/** A path's text as play-json writes a `JsPath`: `/a(0)/b`; the root is `/`. */
export function jsPath(path: ReadonlyArray<PropertyKey>): string {
  const text = path.map((p) => (typeof p === "number" ? `(${p})` : `/${String(p)}`)).join("");
  return text || "/";
}
