/**
 * Marathon's boolean query parameters (`force`, `partialUpdate`, `wipe`, `scale`, …): Jersey reads
 * them with Java's `Boolean.valueOf`, so `true` in any case (`True`, `TRUE`) is true and any other
 * value, empty included, is false; an absent parameter takes the endpoint's default. Only query
 * parameters read this way: in a JSON body a boolean must be a JSON boolean.
 */

/** The value of a boolean query parameter (`raw` as in the URL, null when absent) with the endpoint's `fallback`. */
export function queryBoolean(raw: string | null | undefined, fallback: boolean): boolean {
  if (raw === null || raw === undefined) return fallback;
  return raw.toLowerCase() === "true";
}
