/**
 * Maintenance primitives end to end on the fake-clock harness (Mesos docs/maintenance.md):
 * schedule → offers carry unavailability → inverse offers → answers in the status → START
 * (machine DOWN, agent refused, tasks lost) → STOP (machine UP, agent back); and the schedule's
 * validation, machine matching, and what a master restart keeps.
 */
import { describe, expect, it } from "vitest";
import { type MaintenanceState, scheduledMachineOf } from "../../../master-worker/src/decide/maintenance.ts";
import { parseMessage, SchedulerEvent } from "../../../schemas/index.ts";
import type { InverseOffer } from "../../../schemas/maintenance.ts";
import { parseResources } from "../../../sdk/src/resources.ts";
import { MasterHarness, T0 } from "../../support/master-harness.ts";
import { expectHttpError, operator } from "../../support/operator-call.ts";

const INTERVAL = 1000;
const HOUR_NS = 3600e9;
const unavailability = { start: { nanoseconds: (T0 + 3600_000) * 1e6 }, duration: { nanoseconds: HOUR_NS } };

const schedule = (windows: Array<{ machines: Array<{ hostname?: string; ip?: string }>; start?: number }>) => ({
  type: "UPDATE_MAINTENANCE_SCHEDULE",
  update_maintenance_schedule: {
    schedule: {
      windows: windows.map((w) => ({
        machine_ids: w.machines,
        unavailability: w.start === undefined ? unavailability : { start: { nanoseconds: w.start } },
      })),
    },
  },
});
const machines = (type: "START_MAINTENANCE" | "STOP_MAINTENANCE", ms: Array<{ hostname?: string; ip?: string }>) => ({
  type,
  [type.toLowerCase()]: { machines: ms },
});
const status = (h: MasterHarness) => operator(h, { type: "GET_MAINTENANCE_STATUS" }).get_maintenance_status.status;
const inverseOffersOf = (h: MasterHarness, fid: string): InverseOffer[] => h.eventsOf(fid, "INVERSE_OFFERS").flatMap((e) => e.inverse_offers.inverse_offers);

/** Declines every outstanding offer of the frameworks without a filter, so the next run offers everything again. */
function declineAll(h: MasterHarness, ...fids: string[]): void {
  for (const fid of fids) {
    const ids = h.offersFor(fid).map((o) => o.id.value);
    if (ids.length > 0) h.decline(fid, ids, 0);
  }
}

/** Two agents (host-1.test, host-2.test), a framework running task t1 on the first, and a second idle framework. */
function cluster() {
  const h = new MasterHarness({ STRATA_AGENT_PING_TIMEOUT_SECONDS: "3600" }); // agents stay connected without polling
  const a1 = h.addAgent("cpus:2;mem:1024");
  const a2 = h.addAgent("cpus:2;mem:1024");
  const { frameworkId: fid } = h.subscribe("busy");
  h.advance(INTERVAL);
  const onA1 = h.offersFor(fid).find((o) => o.agent_id.value === a1)!;
  h.accept(fid, [onA1.id.value], [{ taskId: "t1", agentId: a1, resources: "cpus:1;mem:128" }], { refuse_seconds: 0 });
  expect(h.pollCommands(a1).map((c) => c.type)).toEqual(["LAUNCH"]);
  h.agentReport(a1, fid, "t1", "TASK_RUNNING");
  const { frameworkId: idle } = h.subscribe("idle");
  h.advance(INTERVAL);
  return { h, a1, a2, fid, idle };
}

describe("maintenance schedule", () => {
  it("drains, inverse-offers, takes answers, goes DOWN and comes back UP", () => {
    const { h, a1, a2, fid, idle } = cluster();
    const before = h
      .offersFor(fid)
      .concat(h.offersFor(idle))
      .filter((o) => o.agent_id.value === a1);
    expect(before.length).toBeGreaterThan(0);

    // DRAINING: outstanding offers from the machine are rescinded and made again with the unavailability
    operator(h, schedule([{ machines: [{ hostname: "HOST-1.test" }] }]));
    const rescinded = [...h.eventsOf(fid, "RESCIND"), ...h.eventsOf(idle, "RESCIND")].map((e) => e.rescind.offer_id.value);
    for (const o of before) expect(rescinded).toContain(o.id.value);
    expect(operator(h, { type: "GET_MAINTENANCE_SCHEDULE" }).get_maintenance_schedule.schedule.windows[0].machine_ids).toEqual([{ hostname: "host-1.test" }]);
    h.advance(INTERVAL);
    const now = [...h.offersFor(fid), ...h.offersFor(idle)];
    expect(now.find((o) => o.agent_id.value === a1)?.unavailability).toEqual(unavailability);
    expect(now.find((o) => o.agent_id.value === a2)?.unavailability).toBeUndefined();

    // the framework with a task there gets an inverse offer, the idle one none
    const [inverse, ...more] = inverseOffersOf(h, fid);
    expect(more).toEqual([]);
    expect(inverse).toMatchObject({ framework_id: { value: fid }, agent_id: { value: a1 }, unavailability, resources: [] });
    expect(inverseOffersOf(h, idle)).toEqual([]);
    expect(status(h)).toEqual({
      draining_machines: [
        { id: { hostname: "host-1.test" }, statuses: [{ status: "UNKNOWN", framework_id: { value: fid }, timestamp: { nanoseconds: h.now * 1e6 } }] },
      ],
      down_machines: [],
    });

    // DECLINE with a filter: recorded, and asked again only once the filter has expired
    h.call(fid, { type: "DECLINE_INVERSE_OFFERS", decline_inverse_offers: { inverse_offer_ids: [inverse!.id], filters: { refuse_seconds: 10 } } });
    expect(status(h).draining_machines[0].statuses).toEqual([{ status: "DECLINE", framework_id: { value: fid }, timestamp: { nanoseconds: h.now * 1e6 } }]);
    h.advance(9_000);
    expect(inverseOffersOf(h, fid)).toHaveLength(1);
    h.advance(1_000);
    const again = inverseOffersOf(h, fid);
    expect(again).toHaveLength(2);
    expect(again[1]!.id.value).not.toBe(inverse!.id.value);
    expect(status(h).draining_machines[0].statuses[0].status).toBe("DECLINE"); // the latest answer stands until a new one

    h.call(fid, { type: "ACCEPT_INVERSE_OFFERS", accept_inverse_offers: { inverse_offer_ids: [again[1]!.id], filters: { refuse_seconds: 60 } } });
    expect(status(h).draining_machines[0].statuses[0].status).toBe("ACCEPT");
    // answering one already answered, or another framework's, changes nothing
    h.call(idle, { type: "DECLINE_INVERSE_OFFERS", decline_inverse_offers: { inverse_offer_ids: [again[1]!.id] } });
    expect(status(h).draining_machines[0].statuses[0].status).toBe("ACCEPT");

    // once the filter lapses a new inverse offer is outstanding; START_MAINTENANCE rescinds it
    h.advance(60_000);
    const third = inverseOffersOf(h, fid)[2]!;
    expect(third).toBeDefined();
    operator(h, machines("START_MAINTENANCE", [{ hostname: "host-1.test" }]));
    expect(h.eventsOf(fid, "RESCIND_INVERSE_OFFER").map((e) => e.rescind_inverse_offer.inverse_offer_id.value)).not.toContain(third.id.value);
    h.advance(INTERVAL);
    expect(h.eventsOf(fid, "RESCIND_INVERSE_OFFER").map((e) => e.rescind_inverse_offer.inverse_offer_id.value)).toContain(third.id.value);
    expect(status(h)).toEqual({ draining_machines: [], down_machines: [{ hostname: "host-1.test" }] });

    // DOWN: the task is lost, the agent may neither poll nor register, and it is offered no more
    const lost = h.updates(fid).find((s) => s.task_id.value === "t1" && s.state === "TASK_LOST");
    expect(lost).toMatchObject({ reason: "REASON_AGENT_REMOVED", source: "SOURCE_MASTER" });
    expect(h.core.tasks.get(`${fid}/t1`)?.state).toBe("TASK_LOST");
    expectHttpError(() => h.fakeAgentPoll(a1), 403, /host-1\.test' is DOWN for maintenance/);
    expectHttpError(() => h.register({ hostname: "host-1.TEST", resources: parseResources("cpus:1;mem:64") }), 403, /DOWN/);
    expect(h.core.agentActive(a1)).toBe(false);
    declineAll(h, fid, idle);
    h.advance(INTERVAL);
    const offered = [...h.offersFor(fid), ...h.offersFor(idle)];
    expect(offered.map((o) => o.agent_id.value)).toContain(a2);
    expect(offered.map((o) => o.agent_id.value)).not.toContain(a1);

    // UP: out of the schedule; the agent polls again and takes the KILL queued for its task
    operator(h, machines("STOP_MAINTENANCE", [{ hostname: "host-1.test" }]));
    expect(operator(h, { type: "GET_MAINTENANCE_SCHEDULE" }).get_maintenance_schedule.schedule).toEqual({ windows: [] });
    expect(status(h)).toEqual({ draining_machines: [], down_machines: [] });
    expect(h.pollCommands(a1).map((c) => [c.type, c.type === "KILL" ? c.task_id.value : ""])).toEqual([["KILL", "t1"]]);
    declineAll(h, fid, idle);
    h.advance(INTERVAL);
    const back = [...h.offersFor(fid), ...h.offersFor(idle)].filter((o) => o.agent_id.value === a1);
    expect(back).toHaveLength(1);
    expect(back[0]!.unavailability).toBeUndefined();
  });

  it("drops inverse offers of a disconnected framework and rescinds them when the machine leaves the schedule", () => {
    const { h, fid } = cluster();
    operator(h, schedule([{ machines: [{ hostname: "host-1.test" }] }]));
    h.advance(INTERVAL);
    const [first] = inverseOffersOf(h, fid);
    expect(first).toBeDefined();
    // the schedule changes the window's start: the old inverse offer is rescinded, a new one sent
    operator(h, schedule([{ machines: [{ hostname: "host-1.test" }], start: (T0 + 7200_000) * 1e6 }]));
    h.advance(INTERVAL);
    expect(h.eventsOf(fid, "RESCIND_INVERSE_OFFER").map((e) => e.rescind_inverse_offer.inverse_offer_id.value)).toEqual([first!.id.value]);
    const second = inverseOffersOf(h, fid)[1]!;
    expect(second.unavailability.start.nanoseconds).toBe((T0 + 7200_000) * 1e6);
    // an empty schedule: the machine is UP, the inverse offer rescinded, the answers forgotten
    operator(h, schedule([]));
    h.advance(INTERVAL);
    expect(h.eventsOf(fid, "RESCIND_INVERSE_OFFER")).toHaveLength(2);
    expect(h.core.inverseOffers.offers.size).toBe(0);
    expect(h.core.inverseOffers.statuses.size).toBe(0);
  });

  it("validates the schedule as Mesos does", () => {
    const h = new MasterHarness();
    expectHttpError(
      () => operator(h, schedule([{ machines: [{ hostname: "a" }] }, { machines: [{ hostname: "A" }] }])),
      400,
      /^update_maintenance_schedule\.schedule\.windows\[1\]\.machine_ids: machine 'A' is in more than one window/,
    );
    expectHttpError(() => operator(h, schedule([{ machines: [{}] }])), 400, /windows\[0\]\.machine_ids\[0\]: a machine needs a hostname or an ip/);
    expectHttpError(() => operator(h, schedule([{ machines: [{ ip: "10.0.0.300" }] }])), 400, /machine_ids\[0\]\.ip: '10\.0\.0\.300' is not a valid IP/);
    expect(() =>
      operator(h, { type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule: { windows: [{ machine_ids: [], unavailability }] } } }),
    ).toThrow(/machine_ids: a window needs at least one machine/);
    expectHttpError(
      () =>
        operator(h, {
          type: "UPDATE_MAINTENANCE_SCHEDULE",
          update_maintenance_schedule: {
            schedule: {
              windows: [
                {
                  machine_ids: [{ hostname: "a" }],
                  unavailability: { start: { nanoseconds: 0 }, duration: { nanoseconds: -1 } },
                },
              ],
            },
          },
        }),
      400,
      /duration: must not be negative/,
    );
    // machine modes: START only from DRAINING, STOP only from DOWN, DOWN machines stay in the schedule
    operator(h, schedule([{ machines: [{ hostname: "a" }, { hostname: "b", ip: "10.0.0.2" }] }]));
    expectHttpError(
      () => operator(h, machines("START_MAINTENANCE", [{ hostname: "c" }])),
      400,
      /machines\[0\]: machine 'c' is not in the maintenance schedule/,
    );
    expectHttpError(() => operator(h, machines("START_MAINTENANCE", [{ hostname: "b" }])), 400, /machine 'b' is not in the maintenance schedule/);
    expectHttpError(() => operator(h, machines("STOP_MAINTENANCE", [{ hostname: "a" }])), 400, /is not in DOWN mode/);
    expectHttpError(
      () => operator(h, machines("START_MAINTENANCE", [{ hostname: "a" }, { hostname: "A" }])),
      400,
      /machines\[1\]: machine 'A' appears more than once/,
    );
    operator(h, machines("START_MAINTENANCE", [{ hostname: "b", ip: "10.0.0.2" }]));
    expectHttpError(() => operator(h, machines("START_MAINTENANCE", [{ hostname: "b", ip: "10.0.0.2" }])), 400, /is not in DRAINING mode/);
    expectHttpError(() => operator(h, schedule([{ machines: [{ hostname: "a" }] }])), 400, /machine 'b \(10\.0\.0\.2\)' is DOWN and must stay in the schedule/);
    expect(status(h)).toEqual({ draining_machines: [{ id: { hostname: "a" }, statuses: [] }], down_machines: [{ hostname: "b", ip: "10.0.0.2" }] });
  });

  it("inverse-offer calls and events are Mesos JSON", () => {
    const { h, fid, idle } = cluster();
    expect(() => h.call(fid, { type: "ACCEPT_INVERSE_OFFERS", accept_inverse_offers: { inverse_offer_ids: [] } })).toThrow(
      /^accept_inverse_offers\.inverse_offer_ids: /,
    );
    expect(() => h.call(fid, { type: "DECLINE_INVERSE_OFFERS", decline_inverse_offers: {} })).toThrow(/^decline_inverse_offers\.inverse_offer_ids: /);
    operator(h, schedule([{ machines: [{ hostname: "host-1.test" }] }]));
    h.advance(INTERVAL);
    const [event] = h.eventsOf(fid, "INVERSE_OFFERS");
    expect(parseMessage(SchedulerEvent, JSON.parse(JSON.stringify(event)))).toEqual(event);
    const offer = [...h.offersFor(fid), ...h.offersFor(idle)].find((o) => o.unavailability);
    expect(offer).toBeDefined();
    expect(parseMessage(SchedulerEvent, { type: "OFFERS", offers: { offers: [JSON.parse(JSON.stringify(offer))] } })).toEqual({
      type: "OFFERS",
      offers: { offers: [offer] },
    });
  });

  it("matches agents to machines by every part the machine gives", () => {
    const state: MaintenanceState = {
      windows: [{ machine_ids: [{ hostname: "h1" }, { ip: "10.0.0.9" }, { hostname: "h3", ip: "10.0.0.3" }], unavailability }],
      down: [],
    };
    const on = (hostname: string, ip?: string) => scheduledMachineOf(state, { hostname, ...(ip ? { ip } : {}) })?.id;
    expect(on("H1")).toEqual({ hostname: "h1" });
    expect(on("h1", "10.0.0.1")).toEqual({ hostname: "h1" });
    expect(on("other", "10.0.0.9")).toEqual({ ip: "10.0.0.9" });
    expect(on("h3", "10.0.0.3")).toEqual({ hostname: "h3", ip: "10.0.0.3" });
    expect(on("h3")).toBeUndefined();
    expect(on("h3", "10.0.0.4")).toBeUndefined();
    expect(on("h2")).toBeUndefined();
  });

  it("an agent announcing its IP is matched by it, and refused while its machine is DOWN", () => {
    const h = new MasterHarness();
    const agent = h.addAgent("cpus:1;mem:64", { ip: "10.1.2.3" });
    expect(h.core.agents.get(agent)?.ip).toBe("10.1.2.3");
    operator(h, schedule([{ machines: [{ ip: "10.1.2.3" }] }]));
    operator(h, machines("START_MAINTENANCE", [{ ip: "10.1.2.3" }]));
    expectHttpError(() => h.register({ hostname: "anything", ip: "10.1.2.3", resources: parseResources("cpus:1;mem:64") }), 403, /'10\.1\.2\.3' is DOWN/);
    expect(h.register({ hostname: "anything", ip: "10.1.2.4", resources: parseResources("cpus:1;mem:64") }).agent_id.value).toBeTruthy();
  });

  it("keeps the schedule and DOWN machines across a restart, and forgets the answers", () => {
    const { h, fid } = cluster();
    operator(h, schedule([{ machines: [{ hostname: "host-1.test" }, { hostname: "host-2.test" }] }]));
    h.advance(INTERVAL);
    operator(h, machines("START_MAINTENANCE", [{ hostname: "host-2.test" }]));
    expect(status(h).draining_machines[0].statuses).toHaveLength(1);
    h.restart();
    expect(status(h)).toEqual({ draining_machines: [{ id: { hostname: "host-1.test" }, statuses: [] }], down_machines: [{ hostname: "host-2.test" }] });
    h.subscribe("busy", undefined, { frameworkId: fid });
    h.advance(INTERVAL);
    expect(status(h).draining_machines[0].statuses.map((s: { status: string }) => s.status)).toEqual(["UNKNOWN"]);
  });
});
