/**
 * An agent attribute's value as Marathon compares it in constraints: text as is, a scalar
 * formatted like Java's `NumberFormat.getInstance()` (en-US: grouping commas, at most 3
 * decimals, half-even rounding), ranges as `[b-e,…]` sorted by begin, a set as `{a,b,…}` sorted.
 * Source: mesosphere/marathon src/main/scala/mesosphere/mesos/Constraints.scala (`getValueString`).
 */
import type { Attribute } from "../../schemas/mesos.ts";

const JAVA_NUMBER_FORMAT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3, roundingMode: "halfEven" } as Intl.NumberFormatOptions);

/** The string Marathon's constraints compare for `attribute`. */
export function attributeValueString(attribute: Attribute): string {
  switch (attribute.type) {
    case "SCALAR":
      return JAVA_NUMBER_FORMAT.format(attribute.scalar?.value ?? 0);
    case "TEXT":
      return attribute.text?.value ?? "";
    case "RANGES": {
      const rs = [...(attribute.ranges?.range ?? [])].sort((a, b) => a.begin - b.begin);
      return `[${rs.map((r) => `${r.begin}-${r.end}`).join(",")}]`;
    }
    case "SET":
      return `{${[...(attribute.set?.item ?? [])].sort().join(",")}}`;
  }
}
