/**
 * The one way untrusted JSON becomes a typed message: nulls stripped, unknown fields dropped,
 * and any problem reported as a `ValidationError` whose message names the field path.
 * No zod at run time (types only), and it takes classic and `zod/mini` schemas alike, so the
 * agent's light entry point (agent-wire.ts) validates the same way without loading classic zod.
 */
import type { z } from "zod";
import type { ZodMiniType } from "zod/mini";

/** Protobuf JSON treats `null` as "field not set": remove nulls before validating. */
export function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(stripNulls);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = stripNulls(v);
    return out;
  }
  return value;
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
