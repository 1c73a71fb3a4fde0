/**
 * ACLs on reservations and volumes (Mesos docs/authorization.md): reserve_resources (object:
 * the role), unreserve_resources (the reservation's principal), create_volumes (the role),
 * destroy_volumes (the volume's creator principal), for frameworks (ACCEPT) and operators.
 * A denied call answers 403 and changes nothing.
 */
import { describe, expect, it } from "vitest";
import { HttpError } from "../../../master-worker/src/edge/http-error.ts";
import { operatorCall } from "../../../master-worker/src/operator/index.ts";
import type { Resource } from "../../../schemas/index.ts";
import { parseOperatorCall } from "../../../schemas/operator.ts";
import { MasterHarness } from "../../support/master-harness.ts";
import { orThrow } from "../../support/refused.ts";
import { acceptOps, createOp, destroyOp, reservedScalar, reserveOp, unreserveOp, volume } from "../../support/reservation-builders.ts";

/** bob may reserve for `dev` only, unreserve only his own reservations, create volumes for `dev`
 * only and destroy only his own volumes; everybody else may do anything the operators' rules allow. */
const ACLS = JSON.stringify({
  permissive: true,
  reserve_resources: [
    { principals: { values: ["bob"] }, roles: { values: ["dev"] } },
    { principals: { values: ["bob"] }, roles: { type: "NONE" } },
  ],
  unreserve_resources: [
    { principals: { values: ["bob"] }, reserver_principals: { values: ["bob"] } },
    { principals: { values: ["bob"] }, reserver_principals: { type: "NONE" } },
  ],
  create_volumes: [
    { principals: { values: ["bob"] }, roles: { values: ["dev"] } },
    { principals: { values: ["bob"] }, roles: { type: "NONE" } },
  ],
  destroy_volumes: [
    { principals: { values: ["bob"] }, creator_principals: { values: ["bob"] } },
    { principals: { values: ["bob"] }, creator_principals: { type: "NONE" } },
  ],
});

function denied(fn: () => void, action: string, object: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(HttpError);
  expect((caught as HttpError).status).toBe(403);
  expect((caught as HttpError).message).toContain(`principal 'bob' is not authorized to ${action} for '${object}'`);
}

function setup() {
  // alice is the operator; bob is not, and makes operator calls as the rules naming him grant.
  const h = new MasterHarness({ STRATA_ACLS: ACLS, STRATA_OPERATORS: "alice" });
  const agent = h.addAgent("cpus:4;mem:4096;disk:1000");
  const { frameworkId: bob } = h.subscribe("bob-fw", "bob", { role: "eng" });
  const op = (json: Record<string, unknown>, principal: string) => orThrow(operatorCall(h.core, parseOperatorCall(json), { now: h.now, principal }));
  const offer = () => {
    h.advance(1000);
    const [o] = h.offersFor(bob);
    expect(o).toBeDefined();
    return o!.id.value;
  };
  const total = () => h.core.agents.get(agent)!.resources;
  return { h, agent, bob, op, offer, total };
}

const onAgent = (agent: string, field: string, key: string, rs: Resource[]) => ({
  type: field.toUpperCase(),
  [field]: { agent_id: { value: agent }, [key]: rs },
});

describe("reservation ACLs", () => {
  it("reserve_resources: the role is the object", () => {
    const { h, agent, bob, op, offer, total } = setup();
    const before = total();
    denied(() => acceptOps(h, bob, offer(), [reserveOp([reservedScalar("cpus", 1, "eng", "bob")])]), "reserve resources", "eng");
    denied(() => op(onAgent(agent, "reserve_resources", "resources", [reservedScalar("cpus", 1, "eng", "bob")]), "bob"), "reserve resources", "eng");
    expect(total()).toEqual(before);
    op(onAgent(agent, "reserve_resources", "resources", [reservedScalar("cpus", 1, "dev", "bob")]), "bob"); // allowed role
    op(onAgent(agent, "reserve_resources", "resources", [reservedScalar("cpus", 1, "eng", "alice")]), "alice"); // another principal
    expect(total()).not.toEqual(before);
  });

  it("unreserve_resources: the reservation's principal is the object", () => {
    const { h, agent, bob, op, offer } = setup();
    op(onAgent(agent, "reserve_resources", "resources", [reservedScalar("cpus", 1, "eng", "alice")]), "alice");
    denied(() => acceptOps(h, bob, offer(), [unreserveOp([reservedScalar("cpus", 1, "eng", "alice")])]), "unreserve resources", "alice");
    denied(() => op(onAgent(agent, "unreserve_resources", "resources", [reservedScalar("cpus", 1, "eng", "alice")]), "bob"), "unreserve resources", "alice");
    op(onAgent(agent, "unreserve_resources", "resources", [reservedScalar("cpus", 1, "eng", "alice")]), "alice");
    expect(h.core.agents.get(agent)!.resources.some((r) => r.role === "eng")).toBe(false);
  });

  it("create_volumes: the role is the object", () => {
    const { h, agent, bob, op, offer, total } = setup();
    op(onAgent(agent, "reserve_resources", "resources", [reservedScalar("disk", 100, "eng", "alice")]), "alice");
    const before = total();
    denied(() => acceptOps(h, bob, offer(), [createOp([volume("v1", 100, "eng", "bob")])]), "create volumes", "eng");
    denied(() => op(onAgent(agent, "create_volumes", "volumes", [volume("v1", 100, "eng", "bob")]), "bob"), "create volumes", "eng");
    expect(total()).toEqual(before);
    op(onAgent(agent, "create_volumes", "volumes", [volume("v1", 100, "eng", "alice")]), "alice");
    expect(total().some((r) => r.disk?.persistence?.id === "v1")).toBe(true);
  });

  it("destroy_volumes: the volume's creator principal is the object", () => {
    const { h, agent, bob, op, offer, total } = setup();
    const v = volume("v1", 100, "eng", "alice");
    op(onAgent(agent, "reserve_resources", "resources", [reservedScalar("disk", 100, "eng", "alice")]), "alice");
    op(onAgent(agent, "create_volumes", "volumes", [v]), "alice");
    denied(() => acceptOps(h, bob, offer(), [destroyOp([v])]), "destroy volumes", "alice");
    denied(() => op(onAgent(agent, "destroy_volumes", "volumes", [v]), "bob"), "destroy volumes", "alice");
    expect(total().some((r) => r.disk?.persistence?.id === "v1")).toBe(true);
    op(onAgent(agent, "destroy_volumes", "volumes", [v]), "alice");
    expect(total().some((r) => r.disk?.persistence?.id === "v1")).toBe(false);
  });
});
