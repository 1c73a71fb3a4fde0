import { describe, expect, it } from "vitest";
import { planOffers } from "../../frameworks/services/offer-planner.ts";
import { planResidentOffers, residentStatus, residentWaiting } from "../../frameworks/services/resident-planner.ts";
import type { InstanceRecord, ResidentClaim } from "../../frameworks/services/service-records.ts";
import { instancesOf } from "../../frameworks/services/service-records.ts";
import { type ApiRequest, serveApi } from "../../frameworks/services/services-api.ts";
import { applyStatus } from "../../frameworks/services/status-planner.ts";
import type { Offer, Resource, TaskStatus } from "../../schemas/mesos.ts";
import { instance, offer, record, stateOf, uuids } from "../support/services-fixtures.ts";

const ctx = (nowMs = 10_000) => ({ nowMs, uuid: uuids(), role: "data", principal: "ops" });
const db = {
  id: "/db",
  cmd: "echo hi >> data/log; sleep 600",
  instances: 1,
  cpus: 0.1,
  mem: 32,
  disk: 5,
  container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 64 } }] },
};
const labels = (instanceId: string) => ({
  labels: [
    { key: "marathon_framework_id", value: "fw1" },
    { key: "marathon_task_id", value: instanceId },
  ],
});
const claim = (instanceId = "db.instance-u0", extra: Partial<ResidentClaim> = {}): ResidentClaim => ({
  instanceId,
  incarnation: 1,
  role: "data",
  principal: "ops",
  volumes: [{ containerPath: "data", persistenceId: "db#data#u0", size: 64 }],
  ...extra,
});
/** A resident instance of /db on a1 whose task `db.instance-u0._app.1` is in `state`. */
const resident = (state: InstanceRecord["state"], goal: InstanceRecord["goal"], extra: Partial<ResidentClaim> = {}) =>
  instance("db.instance-u0._app.1", "/db", { state, goal, resident: claim("db.instance-u0", extra), ports: [31000] });

/** What `db.instance-u0` reserved on the agent, as a later offer to the framework holds it. */
function reservedOffer(id: string, agent: string): Offer {
  const res = (r: Resource): Resource => ({ ...r, role: "data", reservation: { principal: "ops", labels: labels("db.instance-u0") } });
  const base = offer(id, agent, agent === "a1" ? "host1" : "host2", 1, 512);
  return {
    ...base,
    resources: [
      ...base.resources,
      res({ name: "cpus", type: "SCALAR", scalar: { value: 0.1 } }),
      res({ name: "mem", type: "SCALAR", scalar: { value: 32 } }),
      res({ name: "disk", type: "SCALAR", scalar: { value: 5 } }),
      res({ name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31000 }] } }),
      {
        ...res({ name: "disk", type: "SCALAR", scalar: { value: 64 } }),
        disk: { persistence: { id: "db#data#u0", principal: "ops" }, volume: { container_path: "data", mode: "RW" } },
      },
    ],
  };
}
const state = (instances: InstanceRecord[], def: Record<string, unknown> = db) => ({ ...stateOf([record(def)], instances), frameworkId: "fw1" });

describe("planResidentOffers", () => {
  it("reserves, creates the volume and launches in one ACCEPT, recording the claim", () => {
    const plan = planResidentOffers(state([]), [offer("o1", "a1", "host1")], ctx());
    expect(plan.accepts).toHaveLength(1);
    const [a] = plan.accepts;
    expect(a!.operations.map((o) => o.type)).toEqual(["RESERVE", "CREATE", "LAUNCH"]);
    const reservation = { principal: "ops", labels: labels("db.instance-u1") };
    expect(a!.operations[0]!.reserve!.resources).toEqual([
      { name: "cpus", type: "SCALAR", scalar: { value: 0.1 }, role: "data", reservation },
      { name: "mem", type: "SCALAR", scalar: { value: 32 }, role: "data", reservation },
      { name: "disk", type: "SCALAR", scalar: { value: 69 }, role: "data", reservation },
      { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31000 }] }, role: "data", reservation },
    ]);
    const volume = {
      name: "disk",
      type: "SCALAR",
      scalar: { value: 64 },
      role: "data",
      reservation,
      disk: { persistence: { id: "db#data#u1", principal: "ops" }, volume: { container_path: "data", mode: "RW" } },
    };
    expect(a!.operations[1]!.create!.volumes).toEqual([volume]);
    const task = a!.operations[2]!.launch!.task_infos[0]!;
    expect(task.task_id.value).toBe("db.instance-u1._app.1");
    expect(task.resources).toContainEqual(volume);
    expect(task.resources).toContainEqual({ name: "disk", type: "SCALAR", scalar: { value: 5 }, role: "data", reservation });
    expect(a!.instances).toEqual([
      expect.objectContaining({
        taskId: "db.instance-u1._app.1",
        agentId: "a1",
        ports: [31000],
        state: "TASK_STAGING",
        goal: "running",
        resident: {
          instanceId: "db.instance-u1",
          incarnation: 1,
          role: "data",
          principal: "ops",
          volumes: [{ containerPath: "data", persistenceId: "db#data#u1", size: 64 }],
        },
      }),
    ]);
    expect(plan.outcomes.map((o) => [o.offer.id.value, o.reasons])).toEqual([["o1", []]]);
  });

  it("leaves resident apps to the resident planner (planOffers declines for them)", () => {
    expect(planOffers(state([]), [offer("o1", "a1", "host1")], ctx())).toMatchObject({ launches: [], declines: ["o1"] });
  });

  it("explains an offer too small for the app and its volumes", () => {
    const small = {
      ...offer("o1", "a1", "host1"),
      resources: offer("o1", "a1", "host1").resources.map((r) => (r.name === "disk" ? { ...r, scalar: { value: 60 } } : r)),
    };
    const plan = planResidentOffers(state([]), [small], ctx());
    expect(plan.accepts).toEqual([]);
    expect(plan.outcomes.map((o) => o.reasons)).toEqual([["InsufficientDisk"]]);
  });

  it("relaunches an instance whose task ended only on its agent, with exactly its reserved resources and volume", () => {
    const s = state([resident("TASK_FAILED", "running")]);
    const elsewhere = planResidentOffers(s, [offer("o2", "a2", "host2")], ctx());
    expect(elsewhere.accepts).toEqual([]); // no new reservation: the instance waits for its own
    const plan = planResidentOffers(s, [offer("o2", "a2", "host2"), reservedOffer("o1", "a1")], ctx());
    expect(plan.accepts).toHaveLength(1);
    const [a] = plan.accepts;
    expect(a!.offerId).toBe("o1");
    expect(a!.operations.map((o) => o.type)).toEqual(["LAUNCH"]);
    const task = a!.operations[0]!.launch!.task_infos[0]!;
    expect(task.task_id.value).toBe("db.instance-u0._app.2");
    expect(task.resources).toEqual(reservedOffer("o1", "a1").resources.filter((r) => r.role === "data"));
    expect(a!.removed).toEqual(["db.instance-u0._app.1"]);
    expect(a!.instances).toEqual([
      expect.objectContaining({
        taskId: "db.instance-u0._app.2",
        state: "TASK_STAGING",
        goal: "running",
        ports: [31000],
        resident: claim("db.instance-u0", { incarnation: 2 }),
      }),
    ]);
  });

  it("does not relaunch while the app's launch delay is in force", () => {
    const s = { ...state([resident("TASK_FAILED", "running")]), apps: stateOf([record(db, 1_000, { delay: { sinceMs: 9_000, delayMs: 5_000 } })]).apps };
    expect(planResidentOffers(s, [reservedOffer("o1", "a1")], ctx()).accepts).toEqual([]);
  });

  it.each([
    ["the app wants the instance again: it relaunches on its reservation", 1, ["LAUNCH"]],
    ["the app was scaled down: the reservation is kept, nothing is done", 0, []],
  ])("a suspended instance, when %s", (_name, instances, ops) => {
    const s = state([resident("TASK_KILLED", "stopped")], { ...db, instances });
    const plan = planResidentOffers(s, [reservedOffer("o1", "a1")], ctx());
    expect(plan.accepts.flatMap((a) => a.operations.map((o) => o.type))).toEqual(ops);
  });

  it("a suspended instance is reused before any new reservation is made: an offer of another agent is left alone", () => {
    const s = state([resident("TASK_KILLED", "stopped")]);
    expect(planResidentOffers(s, [offer("o2", "a2", "host2")], ctx()).accepts).toEqual([]);
    const two = state([resident("TASK_KILLED", "stopped")], { ...db, instances: 2 });
    const plan = planResidentOffers(two, [offer("o2", "a2", "host2")], ctx());
    expect(plan.accepts.flatMap((a) => a.operations.map((o) => o.type))).toEqual(["RESERVE", "CREATE", "LAUNCH"]);
  });

  it("wipes: DESTROY the volume and UNRESERVE everything once the task is over, then forget the instance; a replacement starts afresh", () => {
    const s = state([resident("TASK_KILLED", "stopped", { wipe: true })]);
    const plan = planResidentOffers(s, [offer("o2", "a2", "host2"), reservedOffer("o1", "a1")], ctx());
    expect(plan.accepts.map((a) => [a.offerId, a.operations.map((o) => o.type)])).toEqual([
      ["o1", ["DESTROY", "UNRESERVE"]],
      ["o2", ["RESERVE", "CREATE", "LAUNCH"]],
    ]);
    const [a] = plan.accepts;
    expect(a!.offerId).toBe("o1");
    expect(a!.operations.map((o) => o.type)).toEqual(["DESTROY", "UNRESERVE"]);
    expect(a!.operations[0]!.destroy!.volumes.map((v) => v.disk?.persistence?.id)).toEqual(["db#data#u0"]);
    const unreserved = a!.operations[1]!.unreserve!.resources;
    expect(unreserved.every((r) => r.disk === undefined && r.role === "data")).toBe(true);
    expect(unreserved.find((r) => r.name === "disk")!.scalar!.value).toBe(69);
    expect(a!.removed).toEqual(["db.instance-u0._app.1"]);
    expect(a!.instances).toEqual([]);
    // Not while its task still runs.
    const early = planResidentOffers(state([resident("TASK_RUNNING", "stopped", { wipe: true })]), [reservedOffer("o1", "a1")], ctx());
    expect(early.accepts.flatMap((x) => x.operations.map((o) => o.type))).not.toContain("DESTROY");
    expect(early.accepts.flatMap((x) => x.removed)).toEqual([]);
  });
});

const status = (taskId: string, s: TaskStatus["state"]): TaskStatus => ({ task_id: { value: taskId }, state: s, agent_id: { value: "a1" } }) as TaskStatus;

describe("resident instances' status updates", () => {
  it("a task that ends leaves the instance and its claim (terminal state), still counting as a failure", () => {
    const s = state([resident("TASK_RUNNING", "running")]);
    const out = residentStatus(s, status("db.instance-u0._app.1", "TASK_FAILED"), applyStatus(s, status("db.instance-u0._app.1", "TASK_FAILED"), 20_000));
    expect(out.removed).toBeUndefined();
    expect(out.instance).toMatchObject({ taskId: "db.instance-u0._app.1", state: "TASK_FAILED", goal: "running", resident: claim() });
    expect(out.app?.lastTaskFailure?.state).toBe("TASK_FAILED");
  });

  it("a repeated terminal update (or a reconciliation) of an ended task changes nothing", () => {
    const s = state([resident("TASK_FAILED", "running")]);
    expect(residentStatus(s, status("db.instance-u0._app.1", "TASK_LOST"), applyStatus(s, status("db.instance-u0._app.1", "TASK_LOST"), 20_000))).toEqual({});
  });

  it("a first launch the master never heard of (reconciled as unknown) holds no reservation: the instance goes", () => {
    const s = state([resident("TASK_STAGING", "running")]);
    const lost = {
      ...status("db.instance-u0._app.1", "TASK_LOST"),
      reason: "REASON_RECONCILIATION",
      message: "Reconciliation: task is unknown to the master",
    } as TaskStatus;
    expect(residentStatus(s, lost, applyStatus(s, lost, 20_000)).removed).toBe("db.instance-u0._app.1");
    // A later incarnation's launch lost so: the reservation stays, and so does the instance.
    const later = state([instance("db.instance-u0._app.2", "/db", { state: "TASK_STAGING", resident: claim("db.instance-u0", { incarnation: 2 }) })]);
    const lost2 = { ...lost, task_id: { value: "db.instance-u0._app.2" } };
    expect(residentStatus(later, lost2, applyStatus(later, lost2, 20_000))).toMatchObject({ instance: { state: "TASK_LOST" } });
  });

  it("idle instances meant to run and wipes want offers; suspended ones do not; suspended ones are not listed", () => {
    expect([...residentWaiting(state([resident("TASK_FAILED", "running")]))]).toEqual(["/db"]);
    expect([...residentWaiting(state([resident("TASK_KILLED", "stopped", { wipe: true })]))]).toEqual(["/db"]);
    expect([...residentWaiting(state([resident("TASK_KILLED", "stopped")]))]).toEqual([]);
    expect(instancesOf(state([resident("TASK_KILLED", "stopped")]), "/db")).toEqual([]);
    expect(instancesOf(state([resident("TASK_FAILED", "running")]), "/db")).toHaveLength(1);
  });
});

const req = (method: string, path: string, query = "", body = ""): ApiRequest => ({
  method,
  path,
  query: new URLSearchParams(query),
  body,
  origin: "http://m",
});
const api = (role: string) => ({ nowMs: 50_000, uuid: uuids(), role, user: "root" });

describe("resident apps through the API", () => {
  it("refuses a resident app whose role is * (422 naming /role), accepts it with a role", () => {
    const { answer } = serveApi(stateOf([]), req("POST", "/v2/apps", "", JSON.stringify(db)), api("*"));
    expect(answer).toMatchObject({
      status: 422,
      json: { message: "Object is not valid", details: [{ path: "/role", errors: ["Resident apps cannot have the role *"] }] },
    });
    expect(serveApi(stateOf([]), req("POST", "/v2/apps", "", JSON.stringify(db)), api("data")).answer.status).toBe(201);
    expect(serveApi(stateOf([]), req("POST", "/v2/apps", "", JSON.stringify({ ...db, role: "data" })), api("*")).answer.status).toBe(201);
  });

  it("still refuses host path volumes", () => {
    const hostPath = { ...db, container: { type: "MESOS", volumes: [{ containerPath: "/x", hostPath: "/tmp", mode: "RO" }] } };
    const { answer } = serveApi(stateOf([]), req("POST", "/v2/apps", "", JSON.stringify(hostPath)), api("data"));
    expect(answer.status).toBe(422);
    expect(JSON.stringify(answer.json)).toContain("/container");
  });

  it("wipe=true marks the instance to be wiped (a suspended one too, by its last task id); app DELETE wipes them all", () => {
    const running = state([resident("TASK_RUNNING", "running")]);
    const killed = serveApi(running, req("DELETE", "/v2/apps/db/tasks/db.instance-u0._app.1", "wipe=true"), api("data"));
    expect(killed.answer.status).toBe(200);
    expect(killed.changes!.instances).toEqual([
      expect.objectContaining({ goal: "stopped", killAskedAt: 50_000, resident: claim("db.instance-u0", { wipe: true }) }),
    ]);

    const suspended = state([resident("TASK_KILLED", "stopped")]);
    const plain = serveApi(suspended, req("DELETE", "/v2/apps/db/tasks/db.instance-u0._app.1"), api("data"));
    expect(plain.answer.status).toBe(404);
    const wipedOne = serveApi(suspended, req("DELETE", "/v2/apps/db/tasks/db.instance-u0._app.1", "wipe=true"), api("data"));
    expect(wipedOne.changes!.instances).toEqual([expect.objectContaining({ goal: "stopped", resident: claim("db.instance-u0", { wipe: true }) })]);

    const bulk = (query: string) =>
      serveApi(suspended, req("POST", "/v2/tasks/delete", query, JSON.stringify({ ids: ["db.instance-u0._app.1"] })), api("data"));
    expect(bulk("").answer.json).toEqual({ tasks: [] });
    expect(bulk("wipe=true").changes!.instances).toEqual([expect.objectContaining({ resident: claim("db.instance-u0", { wipe: true }) })]);

    const deleted = serveApi(suspended, req("DELETE", "/v2/apps/db"), api("data"));
    expect(deleted.changes!.removedApps).toEqual(["/db"]);
    expect(deleted.changes!.instances).toEqual([expect.objectContaining({ resident: claim("db.instance-u0", { wipe: true }) })]);
  });

  it("lists a resident task's localVolumes", () => {
    const { answer } = serveApi(state([resident("TASK_RUNNING", "running")]), req("GET", "/v2/apps/db/tasks"), api("data"));
    expect((answer.json as { tasks: Array<{ localVolumes: unknown }> }).tasks[0]!.localVolumes).toEqual([
      { containerPath: "data", persistenceId: "db#data#u0" },
    ]);
  });
});
