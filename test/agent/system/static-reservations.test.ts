/// <reference types="node" />
/**
 * Static reservations from the agent's `--resources` flag: parsed, merged with what is
 * detected, declared at registration, and offered marked with the role to that role only.
 */
import { describe, expect, it } from "vitest";
import { parseFlags } from "../../../agent-bun/src/cli/flags.ts";
import { fingerprint, type HostProbe } from "../../../agent-bun/src/system/fingerprint.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { reservationRole } from "../../../sdk/src/roles.ts";
import { MasterHarness } from "../../support/master-harness.ts";

const GiB = 1024 ** 3;
const probe: HostProbe = { cpuCount: () => 8, totalMemoryBytes: () => 16 * GiB, filesystemBytes: () => 100 * GiB };
const FLAG = "cpus(eng):2;mem(eng):1024;cpus:2";

function declared() {
  const parsed = parseFlags(["--join-token", "t", "--resources", FLAG], {});
  if (parsed.kind !== "run") throw new Error("expected run");
  return fingerprint("/ignored", parsed.flags.resources, probe);
}

const of = (rs: ReturnType<typeof declared>, name: string, role?: string) =>
  scalarOf(
    rs.filter((r) => reservationRole(r) === role),
    name,
  );

describe("static reservations from --resources", () => {
  it("declares the reserved entries with their role, replacing what is detected of the same name", () => {
    const rs = declared();
    expect(of(rs, "cpus", "eng")).toBe(2);
    expect(of(rs, "cpus")).toBe(2); // the 8 detected cpus are replaced
    expect(of(rs, "mem", "eng")).toBe(1024);
    expect(of(rs, "mem")).toBe(0); // mem is named in --resources: none detected is added
    expect(of(rs, "disk")).toBe(95 * 1024);
    expect(rs.find((r) => r.name === "cpus" && r.role === "eng")).toEqual({ name: "cpus", type: "SCALAR", scalar: { value: 2 }, role: "eng" });
  });

  it("reaches offers marked with the role, for that role only", () => {
    const h = new MasterHarness();
    const res = h.register({ hostname: "h.test", resources: declared() });
    h.fakeAgentPoll(res.agent_id.value);
    const { frameworkId: eng } = h.subscribe("eng-fw", undefined, { role: "eng" });
    h.advance(1000);
    const [offer] = h.offersFor(eng);
    expect(offer).toBeDefined();
    expect(offer!.resources.filter((r) => r.role === "eng").map((r) => [r.name, r.scalar?.value, r.allocation_info?.role])).toEqual(
      expect.arrayContaining([
        ["cpus", 2, "eng"],
        ["mem", 1024, "eng"],
      ]),
    );
    h.decline(eng, [offer!.id.value], 3600);
    const { frameworkId: other } = h.subscribe("other-fw", undefined, { role: "web" });
    h.advance(1000);
    const [otherOffer] = h.offersFor(other);
    expect(otherOffer!.resources.some((r) => r.role === "eng")).toBe(false);
    expect(scalarOf(otherOffer!.resources, "cpus")).toBe(2);
  });
});
