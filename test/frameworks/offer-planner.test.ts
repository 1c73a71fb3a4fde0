import { describe, expect, it } from "vitest";
import { planOffers } from "../../frameworks/services/offer-planner.ts";
import { instance, offer, record, stateOf, uuids } from "../support/services-fixtures.ts";

const ctx = (nowMs = 10_000) => ({ nowMs, uuid: uuids(), role: "*" });
const sleepy = { id: "/sleepy", cmd: "sleep 600", instances: 2, cpus: 0.1, mem: 32 };
const envOf = (task: { command?: { environment?: { variables?: Array<{ name: string; value?: string }> } } }) =>
  Object.fromEntries((task.command?.environment?.variables ?? []).map((v) => [v.name, v.value]));

describe("planOffers", () => {
  it("launches the missing instances on a fitting offer, with Marathon's task ids, names and environment", () => {
    const plan = planOffers(stateOf([record(sleepy)]), [offer("o1", "a1", "host1")], ctx());
    expect(plan.declines).toEqual([]);
    expect(plan.launches).toHaveLength(1);
    const [launch] = plan.launches;
    expect(launch!.offerId).toBe("o1");
    expect(launch!.tasks.map((t) => t.task_id.value)).toEqual(["sleepy.instance-u1._app.1", "sleepy.instance-u2._app.1"]);
    expect(launch!.tasks[0]).toMatchObject({ name: "sleepy", agent_id: { value: "a1" }, command: { shell: true, value: "sleep 600" } });
    expect(envOf(launch!.tasks[0]!)).toMatchObject({
      MESOS_TASK_ID: "sleepy.instance-u1._app.1",
      MARATHON_APP_ID: "/sleepy",
      MARATHON_APP_VERSION: "1970-01-01T00:00:01.000Z",
      MARATHON_APP_RESOURCE_CPUS: "0.1",
      MARATHON_APP_RESOURCE_MEM: "32.0",
      HOST: "host1",
      PORT0: "31000",
      PORT: "31000",
      PORTS: "31000",
    });
    expect(envOf(launch!.tasks[1]!)).toMatchObject({ PORT0: "31001", PORTS: "31001" });
    expect(launch!.instances.map((i) => [i.taskId, i.state, i.goal, i.host, i.ports, i.stagedAt])).toEqual([
      ["sleepy.instance-u1._app.1", "TASK_STAGING", "running", "host1", [31000], 10_000],
      ["sleepy.instance-u2._app.1", "TASK_STAGING", "running", "host1", [31001], 10_000],
    ]);
  });

  it("gives each task the app's Mesos health check on its own host port", () => {
    const checked = { ...sleepy, healthChecks: [{ protocol: "MESOS_HTTP", path: "/ok", intervalSeconds: 1, maxConsecutiveFailures: 2 }] };
    const [launch] = planOffers(stateOf([record(checked)]), [offer("o1", "a1", "host1")], ctx()).launches;
    expect(launch!.tasks.map((t) => t.health_check)).toEqual(
      [31000, 31001].map((port) => ({
        type: "HTTP",
        delay_seconds: 15,
        interval_seconds: 1,
        timeout_seconds: 20,
        consecutive_failures: 2,
        grace_period_seconds: 300,
        http: { scheme: "http", port, path: "/ok" },
      })),
    );
  });

  it.each([
    ["the app runs all its instances", stateOf([record(sleepy)], [instance("t1", "/sleepy"), instance("t2", "/sleepy")])],
    ["the offer is too small", stateOf([record({ ...sleepy, cpus: 8 })])],
    ["a launch delay is in force", stateOf([record(sleepy, 1_000, { delay: { sinceMs: 9_000, delayMs: 1_150 } })])],
    ["the app takes resources of another role only", stateOf([record({ ...sleepy, acceptedResourceRoles: ["prod"] })])],
  ])("declines the offer when %s", (_name, state) => {
    expect(planOffers(state, [offer("o1", "a1", "host1")], ctx())).toMatchObject({ launches: [], declines: ["o1"] });
  });

  it("counts instances being stopped as gone, and launches once the delay has passed", () => {
    const state = stateOf([record(sleepy, 1_000, { delay: { sinceMs: 9_000, delayMs: 1_000 } })], [instance("t1", "/sleepy", { goal: "stopped" })]);
    const plan = planOffers(state, [offer("o1", "a1", "host1")], ctx(10_000));
    expect(plan.launches[0]!.tasks).toHaveLength(2);
  });

  it("takes each instance's resources out of the offer before matching the next", () => {
    const plan = planOffers(stateOf([record({ ...sleepy, instances: 3, cpus: 1.5 })]), [offer("o1", "a1", "host1")], ctx());
    expect(plan.launches[0]!.tasks).toHaveLength(2);
  });

  it("honours UNIQUE hostname across offers and the instances already placed", () => {
    const unique = { ...sleepy, instances: 3, constraints: [["hostname", "UNIQUE"]] };
    const state = stateOf([record(unique)], [instance("t1", "/unique-not", {}), instance("t0", "/sleepy", { host: "host1", agentId: "a1" })]);
    const plan = planOffers(state, [offer("o1", "a1", "host1"), offer("o2", "a2", "host2"), offer("o3", "a3", "host3")], ctx());
    expect(plan.launches.map((l) => [l.offerId, l.tasks.length])).toEqual([
      ["o2", 1],
      ["o3", 1],
    ]);
    expect(plan.declines).toEqual(["o1"]);
  });

  it("runs `args` without a shell and names a fixed port with requirePorts", () => {
    const fixed = {
      id: "/web",
      args: ["/bin/server", "-p", "80"],
      instances: 1,
      cpus: 0.1,
      mem: 32,
      requirePorts: true,
      portDefinitions: [{ port: 31005, name: "http" }],
    };
    const task = planOffers(stateOf([record(fixed)]), [offer("o1", "a1", "host1")], ctx()).launches[0]!.tasks[0]!;
    expect(task.command).toMatchObject({ shell: false, value: "/bin/server", arguments: ["/bin/server", "-p", "80"] });
    expect(envOf(task)).toMatchObject({ PORT0: "31005", PORT_31005: "31005", PORT_HTTP: "31005", PORTS: "31005" });
  });
});

describe("planOffers: at most maxInstancesPerOffer on one offer when set (Marathon's --max_instances_per_offer)", () => {
  const many = { id: "/many", cmd: "sleep 600", instances: 12, cpus: 0.01, mem: 8, portDefinitions: [] };
  const offers = [offer("o1", "a1", "host1"), offer("o2", "a2", "host2"), offer("o3", "a3", "host3")];
  it.each([
    [undefined, [12]],
    [5, [5, 5, 2]],
    [1, [1, 1, 1]],
    [12, [12]],
  ])("with %s: %j per offer", (maxInstancesPerOffer, counts) => {
    const ctx = { nowMs: 1_000, uuid: uuids(), role: "*", ...(maxInstancesPerOffer !== undefined ? { maxInstancesPerOffer } : {}) };
    const plan = planOffers(stateOf([record(many)]), offers, ctx);
    expect(plan.launches.map((l) => l.instances.length)).toEqual(counts);
  });

  it("counts every app's instances on an offer together", () => {
    const two = [record({ ...many, id: "/a", instances: 3 }), record({ ...many, id: "/b", instances: 3 })];
    const plan = planOffers(stateOf(two), offers, { nowMs: 1_000, uuid: uuids(), role: "*", maxInstancesPerOffer: 5 });
    expect(plan.launches.map((l) => l.instances.map((i) => i.appId))).toEqual([["/a", "/a", "/a", "/b", "/b"], ["/b"]]);
  });
});
