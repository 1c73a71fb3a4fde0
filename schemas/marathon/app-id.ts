/**
 * App and group ids (Marathon's `PathId`, mesosphere/marathon
 * src/main/scala/mesosphere/marathon/state/PathId.scala): names separated by slashes, made
 * absolute against a base (`/` for `/v2/apps`), empty names dropped (so `//prod/web`, as clients
 * send in `/v2/apps//prod/web`, is `/prod/web`), `.` and `..` resolved, no trailing slash.
 */

/** One name of an id, as Marathon's `ID_PATH_SEGMENT_PATTERN` matches it (the whole name). */
export const ID_SEGMENT_PATTERN = /^(?:(?:(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])|\.|\.\.)$/;

/** Marathon's refusal of a name outside the pattern (its Java regex source, as it prints it). */
export const ID_PATTERN_ERROR =
  "must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$'";

/** Names an id may not end with: they are sub-resources of `/v2/apps/{id}`. */
export const RESERVED_ID_NAMES = ["restart", "tasks", "versions", ".", ".."] as const;

/** Marathon's refusal of an id ending with a reserved name. */
export const ID_RESERVED_ERROR = `must not end with any of the following reserved keywords: ${RESERVED_ID_NAMES.join(", ")}`;

/** The names of `raw`, empty ones dropped. */
const namesOf = (raw: string): string[] => raw.split("/").filter((n) => n !== "");

/** What is wrong with the names of `raw` as sent (Marathon's words), or undefined. */
export function appIdProblem(raw: string): string | undefined {
  const names = namesOf(raw);
  if (!names.every((n) => ID_SEGMENT_PATTERN.test(n))) return ID_PATTERN_ERROR;
  const last = names.at(-1);
  if (last !== undefined && (RESERVED_ID_NAMES as readonly string[]).includes(last)) return ID_RESERVED_ERROR;
  return undefined;
}

/**
 * `raw` as a canonical absolute id: relative to `base` unless it starts with `/`, empty names
 * dropped, `.` and `..` resolved (`..` above the root stays at the root), no trailing slash. The
 * root is `/`.
 */
export function canonicalAppId(raw: string, base = "/"): string {
  const names = raw.startsWith("/") ? [] : namesOf(base);
  for (const name of namesOf(raw)) {
    if (name === ".") continue;
    if (name === "..") names.pop();
    else names.push(name);
  }
  return `/${names.join("/")}`;
}
