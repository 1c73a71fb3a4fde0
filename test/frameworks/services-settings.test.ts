import { describe, expect, it } from "vitest";
import { readServicesSettings } from "../../frameworks/services/services-settings.ts";

describe("readServicesSettings", () => {
  it("defaults: role *, user root, no limit of instances per offer", () => {
    expect(readServicesSettings({})).toEqual({ role: "*", user: "root" });
  });
  it("reads STRATA_SERVICES_MAX_INSTANCES_PER_OFFER, and names it when it is not a whole number from 1 to 1000", () => {
    expect(readServicesSettings({ STRATA_SERVICES_MAX_INSTANCES_PER_OFFER: "50" }).maxInstancesPerOffer).toBe(50);
    for (const bad of ["0", "-1", "2.5", "many", "1001"]) {
      expect(() => readServicesSettings({ STRATA_SERVICES_MAX_INSTANCES_PER_OFFER: bad })).toThrow(/STRATA_SERVICES_MAX_INSTANCES_PER_OFFER/);
    }
  });
});
