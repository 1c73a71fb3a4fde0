/**
 * The scalar types of Marathon's RAML (mesosphere/marathon,
 * docs/docs/rest-api/public/api/v2/types/stringTypes.raml, numberTypes.raml, label.raml) as zod
 * builders, each bounded through ../bounded.ts. Enums read as Marathon's generated readers do:
 * case-insensitively (`"docker"` is `DOCKER`), written back in their canonical spelling.
 */
import { z } from "zod";
import { boundedRecord, freeText, list, nameText } from "../bounded.ts";

/** The largest int32: Marathon's `format: int32` fields refuse more (`error.expected.int`). */
const INT32_MAX = 2_147_483_647;

/** An integer of Marathon's `format: int32`, at least `min` (`error.min` below it). */
export const int32 = (min?: number) => {
  const n = min === undefined ? z.number().int() : z.number().int().min(min);
  return n.refine((v) => v <= INT32_MAX && v >= -INT32_MAX - 1, "error.expected.int");
};

/** An integer of Marathon's `format: int64` (a safe JavaScript integer), at least `min`. */
export const int64 = (min?: number) => (min === undefined ? z.number().int() : z.number().int().min(min));

/** A port number (`numbers.AnyPort`: 0 to 65535, 0 meaning "pick one"). */
export const anyPort = () => z.number().int().min(0).max(65_535);

/** An enum read case-insensitively and written in its canonical spelling (`error.unknown.enum.literal`). */
export const marathonEnum = <const T extends readonly [string, ...string[]]>(values: T) =>
  nameText().transform((s, ctx): T[number] => {
    const lower = s.toLowerCase();
    const found = values.find((v) => v.toLowerCase() === lower);
    if (found === undefined) ctx.addIssue({ code: "custom", message: "error.unknown.enum.literal" });
    return (found ?? values[0]) as T[number];
  });

/** `strings.LegacyName`: a port's name (lowercase letters, digits and inner dashes). */
export const legacyName = () => nameText().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);

/** `strings.Name`: a network's name, `LegacyName` of at most 63 characters. */
export const shortName = () =>
  z
    .string()
    .min(1)
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);

/** `strings.Uri` and `strings.Path`: 1 to 1024 characters. */
export const uriText = () => z.string().min(1).max(1024);

/** `label.KVLabels`: a map of names to text. */
export const kvLabels = () => boundedRecord(z.string(), freeText());

/** A list of names (roles, ids, …). */
export const nameList = () => list(nameText());
