import { describe, expect, it } from "vitest";
import { markedFor } from "../../../master-worker/src/allocator/index.ts";
import { allocatedTo, parseResources } from "../../../sdk/src/resources.ts";

describe("markedFor", () => {
  it("marks like allocatedTo, once per list and role", () => {
    const rs = parseResources("cpus:2;mem:1024;ports:[31000-32000]");
    const web = markedFor(rs, "web");
    expect(web).toEqual(allocatedTo(rs, "web"));
    expect(markedFor(rs, "web")).toBe(web);
    const batch = markedFor(rs, "batch");
    expect(batch).toEqual(allocatedTo(rs, "batch"));
    expect(batch).not.toBe(web);
    expect(markedFor(rs, "web")).toBe(web); // both roles kept
    expect(markedFor(rs, "batch")).toBe(batch);
  });

  it("an equal but distinct list gets its own marked copy", () => {
    const a = parseResources("cpus:1"),
      b = parseResources("cpus:1");
    expect(markedFor(a, "*")).not.toBe(markedFor(b, "*"));
    expect(markedFor(a, "*")).toEqual(markedFor(b, "*"));
  });
});
