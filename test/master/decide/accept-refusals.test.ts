/**
 * The ACCEPT deciders refuse as values (design rule 5): a bad ACCEPT is a returned `Rejection`
 * naming the field, not a throw, and deciding it changes nothing; only the edge turns its kind
 * into a status.
 */
import { describe, expect, it } from "vitest";
import { decideAccept } from "../../../master-worker/src/decide/scheduler-calls.ts";
import { decideCall } from "../../../master-worker/src/decide/scheduler-dispatch.ts";
import { rejectionStatus } from "../../../master-worker/src/edge/http-error.ts";
import { rejectionText } from "../../../master-worker/src/model/rejection.ts";
import { type CallOf, type Offer, parseMessage, SchedulerCall } from "../../../schemas/index.ts";
import { setup } from "../../support/core-fixture.ts";

/** An ACCEPT of `offer` by `fid` with `operations`, as the Worker hands it on. */
function acceptCall(fid: string, offer: Offer, operations: unknown[]): CallOf<"ACCEPT"> {
  const call = parseMessage(SchedulerCall, { type: "ACCEPT", framework_id: { value: fid }, accept: { offer_ids: [offer.id], operations } });
  if (call.type !== "ACCEPT") throw new Error("unreachable");
  return call;
}

describe("ACCEPT refusals are values", () => {
  it("an operation the master does not carry out: decideAccept returns the refusal, it does not throw", () => {
    const { h, fid, offer } = setup();
    const call = acceptCall(fid, offer, [{ type: "GROW_VOLUME" }]);
    let decided: ReturnType<typeof decideAccept> | undefined;
    expect(() => {
      decided = decideAccept(h.core, fid, call, h.core.ctx(h.now));
    }).not.toThrow();
    expect(decided).toEqual({
      rejected: "invalid",
      field: "accept.operations[0].type",
      message: "GROW_VOLUME is not supported yet (only LAUNCH, RESERVE, UNRESERVE, CREATE, DESTROY)",
    });
    expect(rejectionStatus("invalid")).toBe(400);
    // The dispatch the core calls answers the same refusal; deciding committed nothing.
    expect(decideCall(h.core, fid, call, h.core.ctx(h.now))).toEqual(decided);
    expect(h.core.offers.has(offer.id.value)).toBe(true);
  });

  it("an operation without its body, and one a conversion step refuses, name their fields", () => {
    const { h, fid, offer } = setup();
    const ctx = h.core.ctx(h.now);
    expect(decideAccept(h.core, fid, acceptCall(fid, offer, [{ type: "RESERVE" }]), ctx)).toEqual({
      rejected: "invalid",
      field: "accept.operations[0].reserve",
      message: "required for a RESERVE operation",
    });
    expect(decideAccept(h.core, fid, acceptCall(fid, offer, [{ type: "LAUNCH" }]), ctx)).toEqual({
      rejected: "invalid",
      field: "accept.operations[0].launch",
      message: "required for a LAUNCH operation",
    });
    const unreserved = [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }];
    const refused = decideAccept(h.core, fid, acceptCall(fid, offer, [{ type: "RESERVE", reserve: { resources: unreserved } }]), ctx);
    expect(refused).toMatchObject({ rejected: "invalid", field: "accept.operations[0].reserve.resources[0]" });
    expect(rejectionText(refused as never)).toBe(
      "accept.operations[0].reserve.resources[0]: a resource to reserve needs a DYNAMIC reservation (role and reservation, or reservations)",
    );
    expect(h.core.offers.has(offer.id.value)).toBe(true);
  });

  it("a valid ACCEPT still decides effects", () => {
    const { h, agent, fid, offer } = setup();
    const launch = {
      type: "LAUNCH",
      launch: {
        task_infos: [
          {
            name: "t",
            task_id: { value: "t" },
            agent_id: { value: agent },
            command: { value: "true" },
            resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }],
          },
        ],
      },
    };
    const decided = decideAccept(h.core, fid, acceptCall(fid, offer, [launch]), h.core.ctx(h.now));
    expect(Array.isArray(decided)).toBe(true);
    expect((decided as Array<{ kind: string }>).map((e) => e.kind)).toContain("task");
  });
});
