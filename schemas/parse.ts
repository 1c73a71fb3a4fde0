/**
 * The one way untrusted JSON becomes a typed message: nulls stripped, unknown fields dropped,
 * and any problem reported as a `ValidationError` whose message names the field path.
 */
import type { z } from "zod";
import { stripNulls } from "./mesos.ts";

/** Bad input from a client: becomes a 400 response naming `field`. */
export class ValidationError extends Error {
  constructor(readonly field: string, message: string) {
    super(field ? `${field}: ${message}` : message);
    this.name = "ValidationError";
  }
}

/** Validates `input` against `schema`, throwing `ValidationError` on the first problem. */
export function parseMessage<S extends z.ZodType>(schema: S, input: unknown, what = "body"): z.output<S> {
  const result = schema.safeParse(stripNulls(input));
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
  throw new ValidationError(path || what, issue.message);
}
