/**
 * Reservations and persistent volumes through the master (harness): static reservations from
 * the agent's declaration, RESERVE / UNRESERVE / CREATE / DESTROY in ACCEPT and as operator
 * calls, the two resource spellings, re-registration, and volumes offered back to their role.
 */
import { describe, expect, it } from "vitest";
import { HttpError } from "../../../master-worker/src/edge/http-error.ts";
import { canonicalResource, spelledFor } from "../../../master-worker/src/model/reservation-format.ts";
import { operatorCall } from "../../../master-worker/src/operator/index.ts";
import type { AgentCommand, Offer, Resource } from "../../../schemas/index.ts";
import { parseOperatorCall } from "../../../schemas/operator.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { reservationRole } from "../../../sdk/src/roles.ts";
import { MasterHarness, TEST_OPERATOR } from "../../support/master-harness.ts";
import { orThrow } from "../../support/refused.ts";
import {
  acceptOps,
  createOp,
  destroyOp,
  launchOp,
  reservedScalar,
  reserveOp,
  subscribeWith,
  taskUsing,
  unreserveOp,
  volume,
} from "../../support/reservation-builders.ts";

const INTERVAL = 1000;

/** The scalar total of `name` reserved for `role` (undefined role: unreserved) among `rs`. */
const amount = (rs: readonly Resource[], name: string, role?: string) =>
  scalarOf(
    rs.filter((r) => reservationRole(r) === role && !r.disk?.persistence),
    name,
  );
const volumesIn = (rs: readonly Resource[]) => rs.filter((r) => r.disk?.persistence).map((r) => r.disk!.persistence!.id);

function expectHttpError(fn: () => void, status: number, messagePart: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(HttpError);
  expect((caught as HttpError).status).toBe(status);
  expect((caught as HttpError).message).toMatch(messagePart);
}

/** The only outstanding offer to `fid` (after an allocation run). */
function onlyOffer(h: MasterHarness, fid: string): Offer {
  h.advance(INTERVAL);
  const offers = h.offersFor(fid);
  expect(offers).toHaveLength(1);
  return offers[0]!;
}

function setup(resources = "cpus:4;mem:4096;disk:1000", env: Record<string, string> = {}) {
  const h = new MasterHarness(env);
  const agent = h.addAgent(resources);
  const { frameworkId: eng } = h.subscribe("eng-fw", "alice", { role: "eng" });
  return { h, agent, eng };
}

/** An operator call, as the Worker validates and hands it to the core. */
const op = (h: MasterHarness, json: Record<string, unknown>, principal?: string) =>
  orThrow(operatorCall(h.core, parseOperatorCall(json), { now: h.now, principal: principal ?? TEST_OPERATOR }));

const launches = (cmds: AgentCommand[]) => cmds.filter((c): c is Extract<AgentCommand, { type: "LAUNCH" }> => c.type === "LAUNCH");

describe("resource spellings", () => {
  const pre = reservedScalar("cpus", 1, "eng", "alice");
  const post: Resource = { name: "cpus", type: "SCALAR", scalar: { value: 1 }, reservations: [{ type: "DYNAMIC", role: "eng", principal: "alice" }] };

  it("reads both spellings as the same canonical resource", () => {
    expect(canonicalResource(pre)).toEqual(canonicalResource(post));
    expect(canonicalResource(pre)).toEqual({ ...post, role: "eng" });
    // static only: `role` alone, whichever spelling
    expect(canonicalResource({ ...post, reservations: [{ type: "STATIC", role: "eng" }] })).toEqual({
      name: "cpus",
      type: "SCALAR",
      scalar: { value: 1 },
      role: "eng",
    });
    const unreserved = { name: "cpus", type: "SCALAR" as const, scalar: { value: 1 }, role: "*" };
    expect(canonicalResource(unreserved)).toBe(unreserved);
  });

  it("writes each spelling back", () => {
    const c = canonicalResource(pre);
    expect(spelledFor(c, false)).toEqual(pre);
    expect(spelledFor(c, true)).toEqual(post);
    expect(spelledFor({ name: "cpus", type: "SCALAR", scalar: { value: 1 }, role: "eng" }, true)).toEqual({
      name: "cpus",
      type: "SCALAR",
      scalar: { value: 1 },
      reservations: [{ type: "STATIC", role: "eng" }],
    });
  });
});

describe("static reservations", () => {
  it("offers resources the agent declared for a role to that role only", () => {
    const h = new MasterHarness();
    h.addAgent("cpus(eng):2;mem(eng):1024;cpus:2;mem:1024");
    const { frameworkId: ops } = h.subscribe("ops-fw", undefined, { role: "ops" });
    h.advance(INTERVAL);
    const [opsOffer] = h.offersFor(ops);
    expect(amount(opsOffer!.resources, "cpus", "eng")).toBe(0);
    expect(amount(opsOffer!.resources, "cpus")).toBe(2);
    h.decline(ops, [opsOffer!.id.value], 3600);
    const { frameworkId: eng } = h.subscribe("eng-fw", undefined, { role: "eng" });
    const offer = onlyOffer(h, eng);
    expect(amount(offer.resources, "cpus", "eng")).toBe(2);
    expect(amount(offer.resources, "mem", "eng")).toBe(1024);
    // pre-refinement spelling: `role`, no `reservation` for a static reservation
    expect(offer.resources.find((r) => r.role === "eng" && r.name === "cpus")).not.toHaveProperty("reservation");
  });

  it("speaks post-refinement to frameworks with RESERVATION_REFINEMENT", () => {
    const h = new MasterHarness();
    h.addAgent("cpus(eng):2;cpus:1;mem:512");
    const fid = subscribeWith(h, "refined", "eng", undefined, ["RESERVATION_REFINEMENT"]);
    const offer = onlyOffer(h, fid);
    const eng = offer.resources.find((r) => r.name === "cpus" && r.reservations);
    expect(eng).toMatchObject({ reservations: [{ type: "STATIC", role: "eng" }], scalar: { value: 2 } });
    expect(eng).not.toHaveProperty("role");
    // and takes the same spelling back: a task using the statically reserved cpus launches
    acceptOps(h, fid, offer.id.value, [
      launchOp([
        taskUsing("t1", offer.agent_id.value, [{ name: "cpus", type: "SCALAR", scalar: { value: 2 }, reservations: [{ type: "STATIC", role: "eng" }] }]),
      ]),
    ]);
    expect(h.updates(fid)).toEqual([]);
    expect(launches(h.pollCommands(offer.agent_id.value))).toHaveLength(1);
  });
});

describe("dynamic reservations in ACCEPT", () => {
  it("reserve → the offer shows the reservation to the role only → unreserve", () => {
    const { h, agent, eng } = setup();
    const first = onlyOffer(h, eng);
    acceptOps(h, eng, first.id.value, [reserveOp([reservedScalar("cpus", 2, "eng", "alice"), reservedScalar("mem", 512, "eng", "alice")])]);
    expect(amount(h.core.agents.get(agent)!.resources, "cpus", "eng")).toBe(2);
    expect(h.core.agents.get(agent)!.declared).toEqual(expect.arrayContaining([expect.objectContaining({ name: "cpus" })]));

    const offer = onlyOffer(h, eng);
    const cpus = offer.resources.find((r) => r.name === "cpus" && r.role === "eng");
    expect(cpus).toMatchObject({ role: "eng", reservation: { principal: "alice" }, scalar: { value: 2 } });
    expect(cpus).not.toHaveProperty("reservations");
    expect(amount(offer.resources, "cpus")).toBe(2);

    // another role is offered the unreserved part only
    h.decline(eng, [offer.id.value], 3600);
    const { frameworkId: ops } = h.subscribe("ops-fw", undefined, { role: "ops" });
    const opsOffer = onlyOffer(h, ops);
    expect(amount(opsOffer.resources, "cpus", "eng")).toBe(0);
    expect(amount(opsOffer.resources, "cpus")).toBe(2);
    h.decline(ops, [opsOffer.id.value], 3600);

    h.call(eng, { type: "REVIVE" });
    const again = onlyOffer(h, eng);
    acceptOps(h, eng, again.id.value, [unreserveOp([reservedScalar("cpus", 2, "eng", "alice"), reservedScalar("mem", 512, "eng", "alice")])]);
    const total = h.core.agents.get(agent)!.resources;
    expect(amount(total, "cpus", "eng")).toBe(0);
    expect(amount(total, "cpus")).toBe(4);
    expect(amount(total, "mem")).toBe(4096);
  });

  it("a LAUNCH later in the same ACCEPT uses what RESERVE made", () => {
    const { h, agent, eng } = setup();
    const offer = onlyOffer(h, eng);
    const reserved = [reservedScalar("cpus", 1, "eng", "alice"), reservedScalar("mem", 128, "eng", "alice")];
    acceptOps(h, eng, offer.id.value, [reserveOp(reserved), launchOp([taskUsing("t1", agent, reserved)])]);
    expect(h.updates(eng)).toEqual([]);
    const [launch] = launches(h.pollCommands(agent));
    expect(launch!.task.resources[0]).toMatchObject({ role: "eng", reservations: [{ type: "DYNAMIC", role: "eng", principal: "alice" }] });
    // the task's use is charged against the reservation: nothing reserved is offered now
    const next = onlyOffer(h, eng);
    expect(amount(next.resources, "cpus", "eng")).toBe(0);
    expect(amount(next.resources, "cpus")).toBe(3);
  });

  it("offers an agent whose resources are all dynamically reserved to the role", () => {
    const { h, agent, eng } = setup("cpus:1;mem:64");
    const first = onlyOffer(h, eng);
    acceptOps(h, eng, first.id.value, [reserveOp([reservedScalar("cpus", 1, "eng", "alice"), reservedScalar("mem", 64, "eng", "alice")])]);
    const offer = onlyOffer(h, eng);
    expect(offer.agent_id.value).toBe(agent);
    expect(amount(offer.resources, "cpus", "eng")).toBe(1);
    expect(amount(offer.resources, "mem", "eng")).toBe(64);
  });

  it("keeps no allocation_info in the agent's total (MULTI_ROLE frameworks send it)", () => {
    const { h, agent, eng } = setup();
    const offer = onlyOffer(h, eng);
    acceptOps(h, eng, offer.id.value, [reserveOp([{ ...reservedScalar("cpus", 1, "eng", "alice"), allocation_info: { role: "eng" } }])]);
    const total = h.core.agents.get(agent)!.resources;
    expect(amount(total, "cpus", "eng")).toBe(1);
    expect(total.some((r) => r.allocation_info)).toBe(false);
  });

  it("a LAUNCH before the RESERVE cannot use the reserved resources", () => {
    const { h, agent, eng } = setup("cpus:1;mem:256");
    const offer = onlyOffer(h, eng);
    const reserved = [reservedScalar("cpus", 1, "eng", "alice")];
    acceptOps(h, eng, offer.id.value, [launchOp([taskUsing("t1", agent, reserved)]), reserveOp(reserved)]);
    expect(h.updates(eng)[0]).toMatchObject({ state: "TASK_ERROR", reason: "REASON_TASK_INVALID" });
  });

  it("refuses invalid reservations naming the operation", () => {
    const { h, eng } = setup();
    const offer = onlyOffer(h, eng);
    const id = offer.id.value;
    expectHttpError(
      () => acceptOps(h, eng, id, [reserveOp([reservedScalar("cpus", 1, "ops", "alice")])]),
      400,
      /accept\.operations\[0\]\.reserve\.resources\[0\]\.role: 'ops' is not the framework's role 'eng'/,
    );
    const o2 = onlyOffer(h, eng);
    expectHttpError(
      () => acceptOps(h, eng, o2.id.value, [reserveOp([reservedScalar("cpus", 1, "eng", "bob")])]),
      400,
      /principal: must be the caller's principal 'alice', not 'bob'/,
    );
    const o3 = onlyOffer(h, eng);
    expectHttpError(() => acceptOps(h, eng, o3.id.value, [reserveOp([reservedScalar("cpus", 9, "eng", "alice")])]), 400, /not in the offered resources left/);
    const o4 = onlyOffer(h, eng);
    expectHttpError(
      () => acceptOps(h, eng, o4.id.value, [reserveOp([{ name: "cpus", type: "SCALAR", scalar: { value: 1 }, role: "eng" }])]),
      400,
      /needs a DYNAMIC reservation/,
    );
    const o5 = onlyOffer(h, eng);
    expectHttpError(() => acceptOps(h, eng, o5.id.value, [unreserveOp([reservedScalar("cpus", 1, "eng", "alice")])]), 400, /not in the offered resources left/);
    const o6 = onlyOffer(h, eng);
    expectHttpError(() => acceptOps(h, eng, o6.id.value, [{ type: "RESERVE" }]), 400, /accept\.operations\[0\]\.reserve: required/);
    // nothing was applied
    expect(h.core.agents.get(offer.agent_id.value)!.declared).toBeUndefined();
  });

  it("refines a reservation to a sub-role only with RESERVATION_REFINEMENT", () => {
    const h = new MasterHarness();
    const agent = h.addAgent("cpus(eng):2;mem:512");
    const refinedCpus: Resource = {
      name: "cpus",
      type: "SCALAR",
      scalar: { value: 1 },
      reservations: [
        { type: "STATIC", role: "eng" },
        { type: "DYNAMIC", role: "eng/web" },
      ],
    };
    const plain = subscribeWith(h, "plain", "eng", undefined, []);
    const offer = onlyOffer(h, plain);
    expectHttpError(() => acceptOps(h, plain, offer.id.value, [reserveOp([refinedCpus])]), 400, /RESERVATION_REFINEMENT/);
    h.call(plain, { type: "SUPPRESS" });
    const refined = subscribeWith(h, "refined", "eng", undefined, ["RESERVATION_REFINEMENT"]);
    const mine = onlyOffer(h, refined);
    // refining to the role it is reserved for already is refused: it must go below
    const same: Resource = {
      ...refinedCpus,
      reservations: [
        { type: "STATIC", role: "eng" },
        { type: "DYNAMIC", role: "eng" },
      ],
    };
    expectHttpError(() => acceptOps(h, refined, mine.id.value, [reserveOp([same])]), 400, /must be below the role 'eng'/);
    const again = onlyOffer(h, refined);
    acceptOps(h, refined, again.id.value, [reserveOp([refinedCpus])]);
    const total = h.core.agents.get(agent)!.resources;
    expect(total.find((r) => r.reservations?.length === 2)).toMatchObject({ role: "eng/web", scalar: { value: 1 } });
    expect(amount(total, "cpus", "eng")).toBe(1);
    // unreserving the refinement gives the statically reserved cpus back
    op(h, { type: "UNRESERVE_RESOURCES", unreserve_resources: { agent_id: { value: agent }, resources: [refinedCpus] } });
    expect(h.core.agents.get(agent)!.resources.find((r) => r.name === "cpus")).toEqual({ name: "cpus", type: "SCALAR", scalar: { value: 2 }, role: "eng" });
  });
});

describe("persistent volumes", () => {
  it("create → launch with it → task ends → offered back to the role only → destroy", () => {
    const { h, agent, eng } = setup();
    const disk = reservedScalar("disk", 200, "eng", "alice");
    const vol = volume("db-1", 200, "eng", "alice", "data");
    const first = onlyOffer(h, eng);
    acceptOps(h, eng, first.id.value, [reserveOp([disk]), createOp([vol])]);
    expect(volumesIn(h.core.agents.get(agent)!.resources)).toEqual(["db-1"]);

    const offer = onlyOffer(h, eng);
    const offered = offer.resources.find((r) => r.disk?.persistence);
    expect(offered).toMatchObject({
      role: "eng",
      reservation: { principal: "alice" },
      disk: { persistence: { id: "db-1" }, volume: { container_path: "data", mode: "RW" } },
    });

    const task = taskUsing("t1", agent, [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }, offered!]);
    acceptOps(h, eng, offer.id.value, [launchOp([task])]);
    expect(h.updates(eng)).toEqual([]);
    const [launch] = launches(h.pollCommands(agent));
    expect(launch!.task.resources.find((r) => r.disk)?.disk).toEqual({
      persistence: { id: "db-1", principal: "alice" },
      volume: { container_path: "data", mode: "RW" },
    });

    // in use: neither offered nor destroyable
    const busy = onlyOffer(h, eng);
    expect(volumesIn(busy.resources)).toEqual([]);
    expectHttpError(() => acceptOps(h, eng, busy.id.value, [destroyOp([vol])]), 400, /not in the offered resources left/);

    h.agentReport(agent, eng, "t1", "TASK_FINISHED");
    const back = onlyOffer(h, eng);
    expect(volumesIn(back.resources)).toEqual(["db-1"]);
    // another role never sees it
    h.decline(eng, [back.id.value], 3600);
    const { frameworkId: ops } = h.subscribe("ops-fw", undefined, { role: "ops" });
    const opsOffer = onlyOffer(h, ops);
    expect(volumesIn(opsOffer.resources)).toEqual([]);
    expect(amount(opsOffer.resources, "disk")).toBe(800);
    h.decline(ops, [opsOffer.id.value], 3600);

    h.call(eng, { type: "REVIVE" });
    const last = onlyOffer(h, eng);
    acceptOps(h, eng, last.id.value, [destroyOp([vol])]);
    const total = h.core.agents.get(agent)!.resources;
    expect(volumesIn(total)).toEqual([]);
    expect(amount(total, "disk", "eng")).toBe(200);
    const destroy = h.pollCommands(agent).find((c) => c.type === "DESTROY_VOLUMES");
    expect(destroy).toMatchObject({ type: "DESTROY_VOLUMES", volumes: [{ disk: { persistence: { id: "db-1" } } }] });
  });

  it("refuses a duplicate persistence id, a volume on unreserved disk, and unreserving a volume", () => {
    const { h, eng } = setup();
    const o1 = onlyOffer(h, eng);
    acceptOps(h, eng, o1.id.value, [reserveOp([reservedScalar("disk", 300, "eng", "alice")]), createOp([volume("v", 100, "eng", "alice")])]);
    const o2 = onlyOffer(h, eng);
    expectHttpError(
      () => acceptOps(h, eng, o2.id.value, [createOp([volume("v", 100, "eng", "alice", "other")])]),
      400,
      /'v' is already used by a volume on this agent/,
    );
    const o3 = onlyOffer(h, eng);
    const unreservedVolume: Resource = {
      name: "disk",
      type: "SCALAR",
      scalar: { value: 10 },
      disk: { persistence: { id: "w", principal: "alice" }, volume: { container_path: "w" } },
    };
    expectHttpError(() => acceptOps(h, eng, o3.id.value, [createOp([unreservedVolume])]), 400, /needs disk reserved for a role/);
    const o4 = onlyOffer(h, eng);
    expectHttpError(() => acceptOps(h, eng, o4.id.value, [unreserveOp([volume("v", 100, "eng", "alice")])]), 400, /DESTROY it first/);
    const o5 = onlyOffer(h, eng);
    expectHttpError(
      () => acceptOps(h, eng, o5.id.value, [createOp([volume("x", 10, "eng", "alice", "../escape")])]),
      400,
      /must be a relative path inside the sandbox/,
    );
    const o6 = onlyOffer(h, eng);
    expectHttpError(
      () => acceptOps(h, eng, o6.id.value, [createOp([volume("y", 10, "eng", undefined)])]),
      400,
      /persistence\.principal: must be the caller's principal 'alice'/,
    );
  });
});

describe("durability", () => {
  it("keeps reservations and volumes across a master restart and the agent's re-registration", () => {
    const { h, agent, eng } = setup();
    const o = onlyOffer(h, eng);
    acceptOps(h, eng, o.id.value, [
      reserveOp([reservedScalar("cpus", 1, "eng", "alice"), reservedScalar("disk", 100, "eng", "alice")]),
      createOp([volume("keep", 100, "eng", "alice")]),
    ]);
    const before = h.core.agents.get(agent)!.resources;
    h.restart();
    expect(h.core.agents.get(agent)!.resources).toEqual(before);
    h.register({
      agent_id: { value: agent },
      hostname: "host-1.test",
      resources: [
        { name: "cpus", type: "SCALAR", scalar: { value: 4 } },
        { name: "mem", type: "SCALAR", scalar: { value: 4096 } },
        { name: "disk", type: "SCALAR", scalar: { value: 1000 } },
      ],
    });
    const after = h.core.agents.get(agent)!;
    expect(amount(after.resources, "cpus", "eng")).toBe(1);
    expect(amount(after.resources, "cpus")).toBe(3);
    expect(volumesIn(after.resources)).toEqual(["keep"]);
    expect(amount(after.resources, "disk")).toBe(900);
    expect(after.declared).toHaveLength(3);
  });

  it("drops conversions that no longer fit an agent that comes back smaller", () => {
    const { h, agent, eng } = setup();
    const o = onlyOffer(h, eng);
    acceptOps(h, eng, o.id.value, [reserveOp([reservedScalar("cpus", 3, "eng", "alice")])]);
    h.register({
      agent_id: { value: agent },
      hostname: "host-1.test",
      resources: [
        { name: "cpus", type: "SCALAR", scalar: { value: 2 } },
        { name: "mem", type: "SCALAR", scalar: { value: 4096 } },
      ],
    });
    const after = h.core.agents.get(agent)!.resources;
    expect(amount(after, "cpus", "eng")).toBe(0);
    expect(amount(after, "cpus")).toBe(2);
  });
});

describe("operator calls", () => {
  it("RESERVE_RESOURCES rescinds the offer in the way and reserves; UNRESERVE_RESOURCES gives it back", () => {
    const { h, agent, eng } = setup("cpus:2;mem:1024", { STRATA_OPERATORS: "admin" });
    const offer = onlyOffer(h, eng);
    expect(
      op(h, { type: "RESERVE_RESOURCES", reserve_resources: { agent_id: { value: agent }, resources: [reservedScalar("cpus", 2, "eng", "admin")] } }, "admin"),
    ).toBeUndefined();
    expect(h.events(eng).some((e) => e.type === "RESCIND" && e.rescind.offer_id.value === offer.id.value)).toBe(true);
    expect(amount(h.core.agents.get(agent)!.resources, "cpus", "eng")).toBe(2);
    const next = onlyOffer(h, eng);
    expect(next.resources.find((r) => r.name === "cpus")).toMatchObject({ role: "eng", reservation: { principal: "admin" } });
    h.decline(eng, [next.id.value], 0);

    op(
      h,
      { type: "UNRESERVE_RESOURCES", unreserve_resources: { agent_id: { value: agent }, resources: [reservedScalar("cpus", 2, "eng", "admin")] } },
      "admin",
    );
    expect(amount(h.core.agents.get(agent)!.resources, "cpus")).toBe(2);
  });

  it("does not rescind offers when what no task uses nor any offer holds suffices", () => {
    const h = new MasterHarness();
    const agent = h.addAgent("cpus:4;mem:1024");
    const { frameworkId: fw } = h.subscribe("fw");
    const offer = onlyOffer(h, fw);
    acceptOps(h, fw, offer.id.value, [launchOp([taskUsing("t", agent, [{ name: "cpus", type: "SCALAR", scalar: { value: 2 } }], "sleep 100")])]);
    const part = onlyOffer(h, fw);
    expect(amount(part.resources, "cpus")).toBe(2);
    expectHttpError(
      () =>
        op(h, { type: "RESERVE_RESOURCES", reserve_resources: { agent_id: { value: agent }, resources: [reservedScalar("cpus", 3, "eng", TEST_OPERATOR)] } }),
      400,
      /reserve_resources\.resources: .*no task uses/,
    );
    op(h, { type: "RESERVE_RESOURCES", reserve_resources: { agent_id: { value: agent }, resources: [reservedScalar("mem", 1, "eng", TEST_OPERATOR)] } });
    expect(h.core.offers.has(part.id.value)).toBe(false); // mem was all offered: rescinded
  });

  it("CREATE_VOLUMES and DESTROY_VOLUMES; refuses destroying a volume a task uses", () => {
    const { h, agent, eng } = setup("cpus:2;mem:1024;disk(eng):500", { STRATA_OPERATORS: "admin" });
    const vol = volume("ops-vol", 100, "eng", "admin", "state");
    // static disk: the volume keeps the static reservation (no `reservation` in the volume)
    const staticVol: Resource = {
      name: "disk",
      type: "SCALAR",
      scalar: { value: 100 },
      role: "eng",
      disk: { persistence: { id: "ops-vol", principal: "admin" }, volume: { container_path: "state", mode: "RW" } },
    };
    expectHttpError(
      () => op(h, { type: "CREATE_VOLUMES", create_volumes: { agent_id: { value: agent }, volumes: [vol] } }, "admin"),
      400,
      /create_volumes\.volumes: the disk for the volumes is not/,
    );
    op(h, { type: "CREATE_VOLUMES", create_volumes: { agent_id: { value: agent }, volumes: [staticVol] } }, "admin");
    expect(volumesIn(h.core.agents.get(agent)!.resources)).toEqual(["ops-vol"]);
    const offer = onlyOffer(h, eng);
    const offered = offer.resources.find((r) => r.disk?.persistence)!;
    acceptOps(h, eng, offer.id.value, [launchOp([taskUsing("t1", agent, [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }, offered], "sleep 100")])]);
    expectHttpError(
      () => op(h, { type: "DESTROY_VOLUMES", destroy_volumes: { agent_id: { value: agent }, volumes: [staticVol] } }, "admin"),
      400,
      /volumes are in use/,
    );
    h.agentReport(agent, eng, "t1", "TASK_FINISHED");
    op(h, { type: "DESTROY_VOLUMES", destroy_volumes: { agent_id: { value: agent }, volumes: [staticVol] } }, "admin");
    expect(volumesIn(h.core.agents.get(agent)!.resources)).toEqual([]);
    expect(amount(h.core.agents.get(agent)!.resources, "disk", "eng")).toBe(500);
    expect(h.pollCommands(agent).some((c) => c.type === "DESTROY_VOLUMES")).toBe(true);
  });

  it("validates the call body and the agent", () => {
    const h = new MasterHarness();
    expect(() => parseOperatorCall({ type: "RESERVE_RESOURCES", reserve_resources: { agent_id: { value: "a" }, resources: [] } })).toThrow(
      /reserve_resources\.resources/,
    );
    expectHttpError(
      () => op(h, { type: "DESTROY_VOLUMES", destroy_volumes: { agent_id: { value: "nope" }, volumes: [volume("v", 1, "eng")] } }),
      400,
      /destroy_volumes\.agent_id: unknown agent 'nope'/,
    );
  });
});
