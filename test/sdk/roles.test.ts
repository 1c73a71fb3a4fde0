/** Role names, hierarchy and reservation roles (sdk/src/roles.ts). */
import { describe, expect, it } from "vitest";
import type { Resource } from "../../schemas/mesos.ts";
import { ancestorRoles, isWithinRole, reservationRole, roleProblem, usableByRole } from "../../sdk/src/roles.ts";

const cpus = (extra: Partial<Resource> = {}): Resource => ({ name: "cpus", type: "SCALAR", scalar: { value: 1 }, ...extra });

describe("roles", () => {
  it("accepts Mesos role names and explains bad ones", () => {
    for (const ok of ["*", "eng", "eng/backend", "a.b/c-d", "x_y"]) expect(roleProblem(ok), ok).toBeUndefined();
    for (const bad of ["", "/eng", "eng/", "eng//x", ".", "eng/..", "-x", "eng/-x", "a b", "a/*", "a\\b"]) expect(roleProblem(bad), bad).toBeTypeOf("string");
  });

  it("knows ancestors and descendants", () => {
    expect(ancestorRoles("a/b/c")).toEqual(["a/b", "a"]);
    expect(ancestorRoles("a")).toEqual([]);
    expect(isWithinRole("eng/backend", "eng")).toBe(true);
    expect(isWithinRole("eng", "eng")).toBe(true);
    expect(isWithinRole("engineering", "eng")).toBe(false);
    expect(isWithinRole("eng", "eng/backend")).toBe(false);
    expect(isWithinRole("eng", "*")).toBe(false);
  });

  it("finds the reservation role in both formats and offers reserved resources to the role and its children only", () => {
    expect(reservationRole(cpus())).toBeUndefined();
    expect(reservationRole(cpus({ role: "*" }))).toBeUndefined();
    expect(reservationRole(cpus({ role: "eng" }))).toBe("eng");
    expect(
      reservationRole(
        cpus({
          reservations: [
            { type: "STATIC", role: "eng" },
            { type: "DYNAMIC", role: "eng/backend" },
          ],
        }),
      ),
    ).toBe("eng/backend");
    const eng = cpus({ role: "eng" });
    expect(usableByRole(eng, "eng")).toBe(true);
    expect(usableByRole(eng, "eng/backend")).toBe(true);
    expect(usableByRole(eng, "ops")).toBe(false);
    expect(usableByRole(eng, "*")).toBe(false);
    expect(usableByRole(cpus(), "ops")).toBe(true);
  });
});
