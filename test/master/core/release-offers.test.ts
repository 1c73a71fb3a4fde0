/**
 * A refused ACCEPT frees the offers it names, with one effect (`releaseOffers`) committed in one
 * place (MasterCore's `acceptRefused`), whether a decider refused it or the Worker found it
 * malformed (`rejectedAccept`): the framework's named offers are withdrawn without a RESCIND and
 * their resources are offered again at the next allocation; another framework's offers, and a
 * caller that does not own the stream, release nothing.
 */
import { describe, expect, it } from "vitest";
import type { Effect } from "../../../master-worker/src/decide/effects.ts";
import { reject } from "../../../master-worker/src/model/rejection.ts";
import { expectHttpError, setup } from "../../support/core-fixture.ts";
import { INTERVAL } from "../../support/lifecycle.ts";
import type { MasterHarness } from "../../support/master-harness.ts";

/** Records every batch of effects the core commits from now on. */
function committed(h: MasterHarness): Effect[][] {
  const batches: Effect[][] = [];
  h.core.observer = (_view, effects) => {
    batches.push([...effects]);
  };
  return batches;
}

/** The offers made to `fid` after `before` on `agent`, with their cpus. */
const reoffered = (h: MasterHarness, fid: string, agent: string, before: string) =>
  h.offersFor(fid).filter((o) => o.agent_id.value === agent && o.id.value !== before);

/** A second framework holding the offer of a second agent. */
function withOther(s: ReturnType<typeof setup>) {
  const { frameworkId: other } = s.h.subscribe("fw-two");
  const otherAgent = s.h.addAgent("cpus:2;mem:1024");
  s.h.advance(INTERVAL);
  const [otherOffer] = s.h.offersFor(other);
  expect(otherOffer?.agent_id.value).toBe(otherAgent);
  return { other, otherOffer: otherOffer! };
}

/** What the Worker forwards for a malformed ACCEPT: the refusal the client reads. */
const malformed = reject("invalid", undefined, "Failed to validate call: accept.operations[0].launch.task_infos[0].name: Invalid input");

describe("a refused ACCEPT releases its offers", () => {
  it("decided: one releaseOffers effect; the offers are withdrawn without RESCIND and offered again", () => {
    const s = setup();
    const { h, agent, fid, offer } = s;
    const { otherOffer } = withOther(s);
    const batches = committed(h);
    expectHttpError(
      () =>
        h.call(fid, {
          type: "ACCEPT",
          accept: { offer_ids: [offer.id, otherOffer.id], operations: [{ type: "GROW_VOLUME" }] },
        }),
      400,
      /^accept\.operations\[0\]\.type: GROW_VOLUME is not supported yet/,
    );
    expect(batches).toEqual([[{ kind: "releaseOffers", frameworkId: fid, offerIds: [offer.id.value, otherOffer.id.value] }]]);
    expect(h.core.offers.has(offer.id.value)).toBe(false);
    // Another framework's offer named in it is not this framework's to release.
    expect(h.core.offers.has(otherOffer.id.value)).toBe(true);
    expect(h.eventsOf(fid, "RESCIND")).toEqual([]);
    h.advance(INTERVAL);
    expect(reoffered(h, fid, agent, offer.id.value)).toHaveLength(1);
  });

  it("malformed at the Worker (rejectedAccept): the same effect, and the Worker's refusal is the answer", () => {
    const { h, agent, fid, offer } = setup();
    const batches = committed(h);
    expect(h.core.rejectedAccept(fid, [offer.id.value], undefined, h.streamOf(fid), malformed, h.now)).toBe(malformed);
    expect(batches).toEqual([[{ kind: "releaseOffers", frameworkId: fid, offerIds: [offer.id.value] }]]);
    expect(h.core.offers.has(offer.id.value)).toBe(false);
    expect(h.eventsOf(fid, "RESCIND")).toEqual([]);
    h.advance(INTERVAL);
    expect(reoffered(h, fid, agent, offer.id.value)).toHaveLength(1);
  });

  it("malformed, from a caller that does not own the stream: nothing is released, the refusal is answered all the same", () => {
    const s = setup();
    const { h, fid, offer } = s;
    const { other, otherOffer } = withOther(s);
    const batches = committed(h);
    expect(h.core.rejectedAccept(fid, [offer.id.value], undefined, "stale-stream", malformed, h.now)).toBe(malformed);
    expect(h.core.rejectedAccept(fid, [offer.id.value], undefined, null, malformed, h.now)).toBe(malformed);
    expect(h.core.rejectedAccept("no-such-framework", [offer.id.value], undefined, h.streamOf(fid), malformed, h.now)).toBe(malformed);
    expect(batches).toEqual([]);
    // The other framework, on its own stream, cannot release this framework's offer.
    expect(h.core.rejectedAccept(other, [offer.id.value], undefined, h.streamOf(other), malformed, h.now)).toBe(malformed);
    expect(h.core.offers.has(offer.id.value)).toBe(true);
    expect(h.core.offers.has(otherOffer.id.value)).toBe(true);
  });
});
