import { describe, expect, it } from "vitest";
import { choosePorts, hostPortsOf } from "../../frameworks/shared/host-ports.ts";
import { funnelReason, type NoOfferMatchReason } from "../../frameworks/shared/no-offer-match-reason.ts";
import { acceptedRoles, type InstanceRequest, type MatchContext, matchOffer } from "../../frameworks/shared/offer-match.ts";
import type { MatchableOffer } from "../../frameworks/shared/placement.ts";
import type { Resource } from "../../schemas/mesos.ts";
import { rangesOf, scalar, scalarOf } from "../../sdk/src/resources.ts";

const ports = (pairs: Array<[number, number]>, role?: string): Resource => ({
  name: "ports",
  type: "RANGES",
  ranges: { range: pairs.map(([begin, end]) => ({ begin, end })) },
  ...(role ? { reservations: [{ type: "STATIC" as const, role }] } : {}),
});
const reserved = (r: Resource, role: string, labels?: Record<string, string>): Resource => ({
  ...r,
  reservations: [{ type: "DYNAMIC", role, ...(labels ? { labels: { labels: Object.entries(labels).map(([key, value]) => ({ key, value })) } } : {}) }],
});
const offer = (resources: Resource[], extra: Partial<MatchableOffer> = {}): MatchableOffer => ({
  id: { value: "o1" },
  framework_id: { value: "f1" },
  agent_id: { value: "a1" },
  hostname: "h1",
  resources,
  attributes: [{ name: "rack", type: "TEXT", text: { value: "r1" } }],
  executor_ids: [],
  ...extra,
});
const plenty = () => [scalar("cpus", 4), scalar("mem", 4096), scalar("disk", 10_000), ports([[31000, 31009]])];
const request = (over: Partial<InstanceRequest> = {}): InstanceRequest => ({ cpus: 1, mem: 128, disk: 0, gpus: 0, hostPorts: [0], role: "*", ...over });
const NOW = Date.UTC(2026, 0, 1);
const ctx: MatchContext = { placed: [], nowMs: NOW };
const reasons = (o: MatchableOffer, r: InstanceRequest, c: MatchContext = ctx): NoOfferMatchReason[] => {
  const m = matchOffer(o, r, c);
  return m.matched ? [] : m.reasons;
};

describe("matchOffer: a fitting offer", () => {
  it("returns the offer's own resources for exactly what is asked, and the ports chosen", () => {
    const m = matchOffer(offer(plenty()), request({ cpus: 1.5, mem: 256, disk: 100, hostPorts: [0, 0] }), ctx);
    expect(m.matched).toBe(true);
    if (!m.matched) return;
    expect(scalarOf(m.resources, "cpus")).toBe(1.5);
    expect(scalarOf(m.resources, "mem")).toBe(256);
    expect(scalarOf(m.resources, "disk")).toBe(100);
    expect(scalarOf(m.resources, "gpus")).toBe(0);
    expect(m.hostPorts).toEqual([31000, 31001]);
    expect(rangesOf(m.resources)).toEqual([[31000, 31001]]);
  });

  it("keeps the role of reserved resources it takes, across roles", () => {
    const m = matchOffer(
      offer([reserved(scalar("cpus", 0.5), "web"), scalar("cpus", 1), scalar("mem", 512), ports([[31000, 31000]])]),
      request({ role: "web" }),
      ctx,
    );
    expect(m.matched).toBe(true);
    if (!m.matched) return;
    const cpus = m.resources.filter((r) => r.name === "cpus");
    expect(cpus.map((r) => [r.scalar?.value, r.reservations?.[0]?.role])).toEqual([
      [0.5, "web"],
      [0.5, undefined],
    ]);
  });
});

describe("matchOffer: each reject reason", () => {
  it.each<[string, MatchableOffer, InstanceRequest, MatchContext | undefined, NoOfferMatchReason[]]>([
    ["InsufficientCpus", offer(plenty()), request({ cpus: 5 }), undefined, ["InsufficientCpus"]],
    ["InsufficientMemory", offer(plenty()), request({ mem: 8192 }), undefined, ["InsufficientMemory"]],
    ["InsufficientDisk", offer(plenty()), request({ disk: 20_000 }), undefined, ["InsufficientDisk"]],
    ["InsufficientGpus", offer(plenty()), request({ gpus: 1 }), undefined, ["InsufficientGpus"]],
    ["InsufficientPorts: too few", offer(plenty()), request({ hostPorts: Array(11).fill(0) }), undefined, ["InsufficientPorts"]],
    ["InsufficientPorts: a required port absent", offer(plenty()), request({ hostPorts: [8080] }), undefined, ["InsufficientPorts"]],
    [
      "UnfulfilledRole: only resources of another role",
      offer(plenty().map((r) => reserved(r, "db"))),
      request({ role: "web" }),
      undefined,
      ["UnfulfilledRole", "InsufficientCpus", "InsufficientMemory", "InsufficientPorts"],
    ],
    [
      "UnfulfilledRole: acceptedResourceRoles [web] and unreserved resources",
      offer(plenty()),
      request({ role: "web", acceptedResourceRoles: ["web"] }),
      undefined,
      ["UnfulfilledRole", "InsufficientCpus", "InsufficientMemory", "InsufficientPorts"],
    ],
    [
      "UnfulfilledConstraint",
      offer(plenty()),
      request({ constraints: [{ field: "rack", operator: "IS", value: "r2" }] }),
      undefined,
      ["UnfulfilledConstraint"],
    ],
    [
      "UnfulfilledConstraint: UNIQUE hostname already used",
      offer(plenty()),
      request({ constraints: [{ field: "hostname", operator: "UNIQUE" }] }),
      { placed: [{ hostname: "h1", attributes: [] }], nowMs: NOW },
      ["UnfulfilledConstraint"],
    ],
    [
      "NoCorrespondingReservationFound",
      offer(plenty()),
      request({ reservationLabels: { marathon_task_id: "t1" } }),
      undefined,
      ["NoCorrespondingReservationFound", "InsufficientCpus", "InsufficientMemory", "InsufficientPorts"],
    ],
    [
      "AgentMaintenance: inside the window",
      offer(plenty(), { unavailability: { start: { nanoseconds: (NOW - 1000) * 1e6 }, duration: { nanoseconds: 3600e9 } } }),
      request(),
      undefined,
      ["AgentMaintenance"],
    ],
    [
      "AgentMaintenance: a window for good",
      offer(plenty(), { unavailability: { start: { nanoseconds: (NOW - 1000) * 1e6 } } }),
      request(),
      undefined,
      ["AgentMaintenance"],
    ],
    [
      "AgentMaintenance: draining before the window",
      offer(plenty(), { unavailability: { start: { nanoseconds: (NOW + 30_000) * 1e6 } } }),
      request(),
      { placed: [], nowMs: NOW, drainingSeconds: 60 },
      ["AgentMaintenance"],
    ],
    ["DeclinedScarceResources: GPUs offered to an app without", offer([...plenty(), scalar("gpus", 2)]), request(), undefined, ["DeclinedScarceResources"]],
    [
      "several at once, in funnel order",
      offer(plenty()),
      request({ cpus: 9, mem: 9999, constraints: [{ field: "rack", operator: "LIKE", value: "x" }] }),
      undefined,
      ["UnfulfilledConstraint", "InsufficientCpus", "InsufficientMemory"],
    ],
  ])("%s", (_name, o, r, c, want) => {
    expect(reasons(o, r, c)).toEqual(want);
  });

  it.each<[string, MatchableOffer, InstanceRequest, MatchContext]>([
    ["a window that has not started (no draining)", offer(plenty(), { unavailability: { start: { nanoseconds: (NOW + 30_000) * 1e6 } } }), request(), ctx],
    [
      "a window that has ended",
      offer(plenty(), { unavailability: { start: { nanoseconds: (NOW - 7200_000) * 1e6 }, duration: { nanoseconds: 3600e9 } } }),
      request(),
      ctx,
    ],
    ["GPUs with gpuSchedulingBehavior unrestricted", offer([...plenty(), scalar("gpus", 2)]), request({ gpuSchedulingBehavior: "unrestricted" }), ctx],
    ["GPUs asked for and offered", offer([...plenty(), scalar("gpus", 2)]), request({ gpus: 2 }), ctx],
    ["resources reserved for the app's role, default acceptedResourceRoles", offer(plenty().map((r) => reserved(r, "web"))), request({ role: "web" }), ctx],
    [
      "the resident instance's own reservation",
      offer(plenty().map((r) => reserved(r, "web", { marathon_task_id: "t1" }))),
      request({ role: "web", reservationLabels: { marathon_task_id: "t1" } }),
      ctx,
    ],
  ])("fits: %s", (_name, o, r, c) => {
    expect(matchOffer(o, r, c)).toMatchObject({ matched: true });
  });

  it("leaves another resident instance's reservation alone", () => {
    const o = offer(plenty().map((r) => reserved(r, "web", { marathon_task_id: "other" })));
    expect(reasons(o, request({ role: "web" }))).toEqual(["InsufficientCpus", "InsufficientMemory", "InsufficientPorts"]);
  });

  it("does not take persistent volumes as scratch disk", () => {
    const volume: Resource = { ...reserved(scalar("disk", 5000), "*"), disk: { persistence: { id: "v1" }, volume: { container_path: "data", mode: "RW" } } };
    expect(reasons(offer([scalar("cpus", 1), scalar("mem", 512), volume, ports([[1, 1]])]), request({ disk: 100 }))).toEqual(["InsufficientDisk"]);
  });

  it("funnelReason picks Marathon's one reason per offer", () => {
    expect(funnelReason(["InsufficientPorts", "UnfulfilledConstraint", "InsufficientCpus"])).toBe("UnfulfilledConstraint");
    expect(funnelReason(["DeclinedScarceResources", "InsufficientMemory"])).toBe("InsufficientMemory");
    expect(funnelReason(["UnfulfilledConstraint", "UnfulfilledRole"])).toBe("UnfulfilledRole");
    expect(funnelReason(["InsufficientPorts", "InsufficientGpus", "InsufficientDisk"])).toBe("InsufficientDisk");
    expect(funnelReason([])).toBeUndefined();
  });

  it("acceptedResourceRoles default to * and the app's role", () => {
    expect([...acceptedRoles({ role: "web" })].sort()).toEqual(["*", "web"]);
    expect([...acceptedRoles({ role: "web", acceptedResourceRoles: [] })].sort()).toEqual(["*", "web"]);
    expect([...acceptedRoles({ role: "web", acceptedResourceRoles: ["*"] })]).toEqual(["*"]);
  });
});

describe("host ports", () => {
  const offered = [ports([[31000, 31002]]), ports([[32000, 32001]], "web")];

  it("requirePorts asks for the port numbers themselves, otherwise any", () => {
    expect(hostPortsOf([8080, 0, 9090], true)).toEqual([8080, 0, 9090]);
    expect(hostPortsOf([8080, 0, 9090], false)).toEqual([0, 0, 0]);
  });

  it.each<[string, number[], number[] | undefined]>([
    ["dynamic ports: lowest first", [0, 0], [31000, 31001]],
    ["a fixed port from the second entry", [32001], [32001]],
    ["fixed and dynamic: a dynamic port never takes a fixed one", [0, 31000, 0], [31001, 31000, 31002]],
    ["dynamic ports spill into the next entry", [0, 0, 0, 0], [31000, 31001, 31002, 32000]],
    ["requirePorts: the port is not offered", [8080], undefined],
    ["the same fixed port twice", [31000, 31000], undefined],
    ["more ports than offered", Array(6).fill(0), undefined],
    ["no ports asked", [], []],
  ])("%s", (_name, wanted, want) => {
    expect(choosePorts(offered, wanted)?.hostPorts).toEqual(want);
  });

  it("carries each chosen port in the offer entry it came from (role kept)", () => {
    const chosen = choosePorts(offered, [32000, 0])!;
    const byRole = chosen.resources.map((r) => [r.reservations?.[0]?.role ?? "*", rangesOf([r])]);
    expect(byRole).toEqual(
      expect.arrayContaining([
        ["web", [[32000, 32000]]],
        ["*", [[31000, 31000]]],
      ]),
    );
    expect(chosen.resources).toHaveLength(2);
  });

  it("through matchOffer: requirePorts false takes any free port for a port number the offer lacks", () => {
    const m = matchOffer(offer(plenty()), request({ hostPorts: hostPortsOf([80], false) }), ctx);
    expect(m).toMatchObject({ matched: true, hostPorts: [31000] });
    expect(reasons(offer(plenty()), request({ hostPorts: hostPortsOf([80], true) }))).toEqual(["InsufficientPorts"]);
  });
});
