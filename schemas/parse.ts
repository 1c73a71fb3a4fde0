/**
 * The one way untrusted JSON becomes a typed message: nulls stripped, unknown fields dropped,
 * and any problem reported as a `ValidationError` whose message names the field path.
 * No zod at run time (types only), and it takes classic and `zod/mini` schemas alike, so the
 * agent's light entry point (agent-wire.ts) validates the same way without loading classic zod.
 */
import type { z } from "zod";
import type { ZodMiniType } from "zod/mini";

/**
 * Protobuf JSON treats `null` as "field not set": remove nulls before validating. Iterative (a
 * stack of containers still to copy), so no nesting depth of untrusted JSON overflows the call
 * stack; the input is not changed.
 */
export function stripNulls(value: unknown): unknown {
  const pending: Array<[source: object, copy: unknown[] | Record<string, unknown>]> = [];
  const copyOf = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    const copy = Array.isArray(v) ? [] : {};
    pending.push([v, copy]);
    return copy;
  };
  const root = copyOf(value);
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [source, copy] = next;
    if (Array.isArray(copy)) {
      for (const v of source as unknown[]) if (v !== null) copy.push(copyOf(v));
    } else {
      for (const [k, v] of Object.entries(source)) if (v !== null && v !== undefined) copy[k] = copyOf(v);
    }
  }
  return root;
}

/** Bad input from a client: becomes a 400 response naming `field`. */
export class ValidationError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(field ? `${field}: ${message}` : message);
    this.name = "ValidationError";
  }
}

/** Validates `input` against `schema`, throwing `ValidationError` on the first problem. */
export function parseMessage<S extends z.ZodType | ZodMiniType>(schema: S, input: unknown, what = "body"): z.output<S> {
  const result = (schema as z.ZodType).safeParse(stripNulls(input));
  if (result.success) return result.data as z.output<S>;
  const issue = result.error.issues[0]!;
  const path = issue.path
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
    .join("")
    .replace(/^\./, "");
  throw new ValidationError(path || what, issue.message);
}
