/**
 * zod's issues in play-json's words: Marathon reads a definition with play-json readers generated
 * from its RAML (mesosphere/marathon, type-generator/), so a field of the wrong shape is named by
 * play-json's error key (`error.expected.jsnumber`, `error.min`, `error.pattern`,
 * `error.unknown.enum.literal`, `error.path.missing`, …), not by prose.
 */
import type { z } from "zod";
import { jsPath } from "./marathon-error.ts";

/** play-json's key for a value of the wrong JSON type, by the type zod expected. */
const EXPECTED: Record<string, string> = {
  string: "error.expected.jsstring",
  number: "error.expected.jsnumber",
  int: "error.expected.int",
  boolean: "error.expected.jsboolean",
  array: "error.expected.jsarray",
  object: "error.expected.jsobject",
  record: "error.expected.jsobject",
};

/** The value at `path` in `input` (undefined when a step is missing). */
function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = input;
  for (const step of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[step];
  }
  return v;
}

/** play-json's error key for one zod issue. Custom issues carry Marathon's words as their message. */
function playKey(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      if (valueAt(input, issue.path) === undefined) return "error.path.missing";
      return EXPECTED[issue.expected] ?? `error.expected.js${issue.expected}`;
    case "too_small":
      return issue.origin === "number" || issue.origin === "int" || issue.origin === "bigint" ? "error.min" : "error.minLength";
    case "too_big":
      return issue.origin === "number" || issue.origin === "int" || issue.origin === "bigint" ? "error.max" : "error.maxLength";
    case "invalid_format":
      return "error.pattern";
    case "invalid_value":
      return "error.unknown.enum.literal";
    default:
      return issue.message;
  }
}

/**
 * Every issue as a (path, play-json key) pair. A union that matched no branch reports the issues
 * of the branch whose JSON type fits (a string to the string branch, an object to the object one),
 * as play-json's union readers do; when none fits, the first branch's.
 */
export function shapeErrors(issues: ReadonlyArray<z.core.$ZodIssue>, input: unknown): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const visit = (list: ReadonlyArray<z.core.$ZodIssue>, prefix: ReadonlyArray<PropertyKey>) => {
    for (const issue of list) {
      const path = [...prefix, ...issue.path];
      if (issue.code === "invalid_union" && issue.errors.length > 0) {
        const fits = issue.errors.find((branch) => !branch.some((i) => i.code === "invalid_type" && i.path.length === 0)) ?? issue.errors[0]!;
        visit(fits, path);
        continue;
      }
      if ((issue.code === "invalid_key" || issue.code === "invalid_element") && issue.issues.length > 0) {
        // A map's key out of bounds: the key's own issue, at the entry's path.
        visit(issue.issues, path);
        continue;
      }
      pairs.push([path.length === 0 ? "" : jsPath(path), playKey({ ...issue, path } as z.core.$ZodIssue, input)]);
    }
  };
  visit(issues, []);
  return pairs;
}
