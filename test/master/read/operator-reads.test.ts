/**
 * Operator API read calls (GET_*), the classic read endpoints and the metrics, against the
 * harness master: Mesos' JSON shapes and figures that follow the cluster's real state.
 */
import { describe, expect, it } from "vitest";
import { serveOperatorRead, serveRead } from "../../../master-worker/src/edge/read-routes.ts";
import { prometheusName, prometheusText } from "../../../master-worker/src/read/prometheus.ts";
import { scalarOf } from "../../../sdk/src/resources.ts";
import { MasterHarness, TEST_OPERATOR } from "../../support/master-harness.ts";
import { busyCluster, INTERVAL, op, readJson } from "../../support/operator-fixture.ts";

const read = (h: MasterHarness, path: string, query = "", principal: string = TEST_OPERATOR) =>
  serveRead(h.core, path, new URLSearchParams(query), principal, h.now)!;

describe("operator read calls", () => {
  it("GET_HEALTH, GET_VERSION and GET_MASTER", () => {
    const { h } = busyCluster();
    expect(op(h, { type: "GET_HEALTH" })).toEqual({ type: "GET_HEALTH", get_health: { healthy: true } });
    expect(op(h, { type: "GET_VERSION" }).get_version.version_info.version).toMatch(/\d+\.\d+/);
    const m = op(h, { type: "GET_MASTER" }).get_master;
    expect(m.master_info.id).toBe(h.core.masterInfo.id);
    expect(m.start_time).toBe(h.core.startedAt / 1000);
  });

  it("GET_AGENTS: active, registered time, total, allocated and offered resources", () => {
    const { h, agentOfA } = busyCluster();
    const agents = op(h, { type: "GET_AGENTS" }).get_agents.agents;
    expect(agents).toHaveLength(2);
    const a = agents.find((x: { agent_info: { id: { value: string } } }) => x.agent_info.id.value === agentOfA);
    expect(a.active).toBe(true);
    expect(a.deactivated).toBe(false);
    expect(a.registered_time.nanoseconds).toBe(h.core.agents.get(agentOfA)!.registeredAt * 1e6);
    expect(scalarOf(a.total_resources, "cpus")).toBe(scalarOf(h.core.agents.get(agentOfA)!.resources, "cpus"));
    const taskCpus = [...h.core.tasks.values()].filter((t) => t.agentId === agentOfA).reduce((s, t) => s + scalarOf(t.info.resources, "cpus"), 0);
    expect(scalarOf(a.allocated_resources, "cpus")).toBeCloseTo(taskCpus);
    expect(taskCpus).toBeGreaterThan(0);
    h.advance(INTERVAL); // re-offers what is left
    const offered = [...h.core.offers.values()].filter((o) => o.offer.agent_id.value === agentOfA).reduce((s, o) => s + scalarOf(o.offer.resources, "cpus"), 0);
    const again = op(h, { type: "GET_AGENTS" }).get_agents.agents.find((x: { agent_info: { id: { value: string } } }) => x.agent_info.id.value === agentOfA);
    expect(scalarOf(again.offered_resources, "cpus")).toBeCloseTo(offered);
  });

  it("GET_FRAMEWORKS: connected frameworks, and a torn-down one under completed_frameworks", () => {
    const { h, alpha, beta } = busyCluster();
    let fws = op(h, { type: "GET_FRAMEWORKS" }).get_frameworks;
    expect(fws.frameworks.map((f: { framework_info: { id: { value: string } } }) => f.framework_info.id.value).sort()).toEqual([alpha, beta].sort());
    expect(fws.frameworks.every((f: { active: boolean; connected: boolean }) => f.active && f.connected)).toBe(true);
    expect(scalarOf(fws.frameworks.find((f: { framework_info: { name: string } }) => f.framework_info.name === "alpha").allocated_resources, "cpus")).toBe(1);
    h.call(beta, { type: "TEARDOWN" });
    fws = op(h, { type: "GET_FRAMEWORKS" }).get_frameworks;
    expect(fws.frameworks.map((f: { framework_info: { name: string } }) => f.framework_info.name)).toEqual(["alpha"]);
    expect(fws.completed_frameworks.map((f: { framework_info: { name: string } }) => f.framework_info.name)).toEqual(["beta"]);
  });

  it("GET_TASKS: live tasks, and completed ones once terminal", () => {
    const { h, alpha, agentOfA } = busyCluster();
    let t = op(h, { type: "GET_TASKS" }).get_tasks;
    expect(t.tasks.map((x: { task_id: { value: string } }) => x.task_id.value).sort()).toEqual(["ta", "tb"]);
    expect(t.tasks.find((x: { task_id: { value: string } }) => x.task_id.value === "ta")).toMatchObject({
      state: "TASK_RUNNING",
      framework_id: { value: alpha },
      agent_id: { value: agentOfA },
      user: "alice",
    });
    expect(t.completed_tasks).toEqual([]);
    h.agentReport(agentOfA, alpha, "ta", "TASK_FINISHED");
    t = op(h, { type: "GET_TASKS" }).get_tasks;
    expect(t.tasks.map((x: { task_id: { value: string } }) => x.task_id.value)).toEqual(["tb"]);
    expect(t.completed_tasks.map((x: { task_id: { value: string }; state: string }) => [x.task_id.value, x.state])).toEqual([["ta", "TASK_FINISHED"]]);
  });

  it("GET_STATE holds the three parts", () => {
    const { h } = busyCluster();
    const s = op(h, { type: "GET_STATE" }).get_state;
    expect(s.get_agents.agents).toHaveLength(2);
    expect(s.get_frameworks.frameworks).toHaveLength(2);
    expect(s.get_tasks.tasks).toHaveLength(2);
  });

  it("GET_ROLES: weights from the `weights` setting, frameworks and allocated resources per role", () => {
    const { h, alpha } = busyCluster();
    h.core.apply([{ kind: "setting", key: "weights", value: { eng: 2.5, idle: 3, bad: "x" } }], h.now);
    const roles = op(h, { type: "GET_ROLES" }).get_roles.roles;
    const byName = Object.fromEntries(roles.map((r: { name: string }) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(["*", "bad", "eng", "idle"].filter((r) => r !== "bad").sort());
    expect(byName.eng.weight).toBe(2.5);
    expect(byName.eng.frameworks).toEqual([{ value: alpha }]);
    expect(scalarOf(byName.eng.allocated, "cpus")).toBe(1);
    expect(byName["*"].weight).toBe(1);
    expect(scalarOf(byName["*"].allocated, "mem")).toBe(64);
    expect(byName.idle.frameworks).toEqual([]);
  });

  it("GET_FLAGS shows the settings with secrets redacted", () => {
    const h = new MasterHarness({ STRATA_JOIN_TOKEN: "join-secret-123", STRATA_CREDENTIALS: "ops:hunter2", STRATA_CLUSTER_NAME: "blue" });
    const flags = op(h, { type: "GET_FLAGS" }).get_flags.flags as Array<{ name: string; value: string }>;
    const byName = Object.fromEntries(flags.map((f) => [f.name, f.value]));
    expect(byName.cluster_name).toBe("blue");
    expect(byName.allocation_interval_ms).toBe("1000");
    expect(byName.join_token).toBe("(redacted)");
    expect(byName.credentials).toBe("(redacted)");
    expect(JSON.stringify(flags)).not.toMatch(/join-secret-123|hunter2/);
  });

  it("GET_METRICS lists Mesos' metric names with current values", () => {
    const { h } = busyCluster();
    const metrics = op(h, { type: "GET_METRICS", get_metrics: { timeout: { nanoseconds: 1e9 } } }).get_metrics.metrics as Array<{
      name: string;
      value: number;
    }>;
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    expect(m["master/elected"]).toBe(1);
    expect(m["master/slaves_active"]).toBe(2);
    expect(m["master/frameworks_active"]).toBe(2);
    expect(m["master/tasks_running"]).toBe(2);
    expect(m["master/tasks_finished"]).toBe(0);
    expect(m["master/cpus_total"]).toBe(6);
    expect(m["master/cpus_used"]).toBe(1.5);
    expect(m["allocator/mesos/allocation_runs"]).toBeGreaterThan(0);
    expect(m["allocator/mesos/allocation_run_ms/count"]).toBe(m["allocator/mesos/allocation_runs"]);
    expect(m["allocator/mesos/resources/cpus/total"]).toBe(6);
  });

  it("GET_STATE, GET_TASKS, GET_AGENTS and GET_FRAMEWORKS stream the same JSON their handlers answer", async () => {
    const { h, beta } = busyCluster({
      STRATA_ACLS: JSON.stringify({
        permissive: true,
        view_frameworks: [
          { principals: { values: ["ann"] }, users: { values: ["bob"] } },
          { principals: { values: ["ann"] }, users: { type: "NONE" } },
        ],
      }),
    });
    h.advance(INTERVAL);
    h.call(beta, { type: "TEARDOWN" });
    for (const type of ["GET_STATE", "GET_TASKS", "GET_AGENTS", "GET_FRAMEWORKS"]) {
      for (const principal of [TEST_OPERATOR, "ann"]) {
        const streamed = await readJson(serveOperatorRead(h.core, type, principal)!);
        expect(streamed, `${type} as ${principal}`).toEqual(JSON.parse(JSON.stringify(op(h, { type }, principal))));
      }
    }
    expect(serveOperatorRead(h.core, "GET_HEALTH", undefined)).toBeUndefined();
  });

  it("refuses an unknown call type by name", () => {
    const h = new MasterHarness();
    expect(() => op(h, { type: "GET_NOTHING" })).toThrow(/GET_NOTHING/);
  });
});

describe("classic read endpoints", () => {
  it("/master/state: slaves, frameworks with tasks and offers, model resources", async () => {
    const { h, alpha } = busyCluster();
    h.advance(INTERVAL);
    const s = await readJson(read(h, "/state"));
    expect(s.id).toBe(h.core.masterInfo.id);
    expect(s.activated_slaves).toBe(2);
    expect(s.slaves).toHaveLength(2);
    expect(s.slaves[0].resources).toMatchObject({ cpus: expect.any(Number), mem: expect.any(Number), disk: 0, gpus: 0 });
    const a = s.frameworks.find((f: { id: string }) => f.id === alpha);
    expect(a.tasks.map((t: { id: string; state: string; resources: { cpus: number } }) => [t.id, t.state, t.resources.cpus])).toEqual([
      ["ta", "TASK_RUNNING", 1],
    ]);
    const outstanding = [...h.core.offers.values()].filter((o) => o.offer.framework_id.value === alpha).length;
    expect(a.offers).toHaveLength(outstanding);
    expect(s.flags.cluster_name).toBe("strata");
  });

  it("/master/state-summary, /master/frameworks, /master/slaves, /master/roles", async () => {
    const { h, alpha, agentOfB } = busyCluster();
    const sum = await readJson(read(h, "/state-summary"));
    expect(sum.frameworks.find((f: { id: string }) => f.id === alpha).TASK_RUNNING).toBe(1);
    expect(sum.frameworks[0].tasks).toBeUndefined();
    const fws = await readJson(read(h, "/frameworks", `framework_id=${alpha}`));
    expect(fws.frameworks.map((f: { id: string }) => f.id)).toEqual([alpha]);
    const slaves = await readJson(read(h, "/slaves", `slave_id=${agentOfB}`));
    expect(slaves.slaves.map((x: { id: string }) => x.id)).toEqual([agentOfB]);
    expect(slaves.slaves[0].used_resources.cpus).toBe(0.5);
    const roles = await readJson(read(h, "/roles"));
    expect(roles.roles.find((r: { name: string }) => r.name === "eng").frameworks).toEqual([alpha]);
  });

  it("/master/slaves splits reserved (by role) from unreserved resources", async () => {
    const h = new MasterHarness();
    const agent = h.addAgent("cpus(eng):2;mem(eng):512;cpus(eng/web):1;cpus:3;mem:1024");
    const [slave] = (await readJson(read(h, "/slaves"))).slaves;
    expect(slave.id).toBe(agent);
    expect(slave.reserved_resources).toEqual({ eng: { cpus: 2, mem: 512, disk: 0, gpus: 0 }, "eng/web": { cpus: 1, mem: 0, disk: 0, gpus: 0 } });
    expect(slave.unreserved_resources).toMatchObject({ cpus: 3, mem: 1024 });
    expect(slave.resources).toMatchObject({ cpus: 6, mem: 1536 });
  });

  it("/master/tasks takes limit, offset, order, framework_id and task_id", async () => {
    const { h, alpha, beta } = busyCluster();
    const ids = async (q: string) => (await readJson(read(h, "/tasks", q))).tasks.map((t: { id: string }) => t.id);
    h.now += 10;
    h.agentReport([...h.core.tasks.values()].find((t) => t.taskId === "tb")!.agentId, beta, "tb", "TASK_FINISHED"); // tb changed last
    expect(await ids("")).toEqual(["tb", "ta"]);
    expect(await ids("order=asc")).toEqual(["ta", "tb"]);
    expect(await ids("limit=1")).toEqual(["tb"]);
    expect(await ids("limit=1&offset=1")).toEqual(["ta"]);
    expect(await ids(`framework_id=${alpha}`)).toEqual(["ta"]);
    expect(await ids("task_id=tb")).toEqual(["tb"]);
    const badLimit = read(h, "/tasks", "limit=-1");
    expect(badLimit.status).toBe(400);
    expect(await badLimit.text()).toBe("limit: expected a non-negative integer, got '-1'\n");
    const badOrder = read(h, "/tasks", "order=sideways");
    expect(badOrder.status).toBe(400);
    expect(await badOrder.text()).toBe("order: expected 'asc' or 'des', got 'sideways'\n");
  });

  it("/metrics/snapshot keeps the counters scripts read, /metrics speaks Prometheus", async () => {
    const { h } = busyCluster();
    const m = await readJson(read(h, "/metrics"));
    for (const k of ["master/slaves_active", "master/slaves_inactive", "master/http_requests", "master/tasks_running", "master/uptime_secs"])
      expect(m, k).toHaveProperty([k]);
    const res = read(h, "/metrics/prometheus");
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain("# TYPE master_tasks_running gauge\nmaster_tasks_running 2\n");
    expect(text).toContain("# HELP master_slaves_active");
    expect(text).toMatch(/# TYPE allocator_mesos_allocation_runs counter\nallocator_mesos_allocation_runs \d+/);
  });

  it("a Prometheus name has only the characters Prometheus allows", () => {
    expect(prometheusName("allocator/mesos/resources/cpus/total")).toBe("allocator_mesos_resources_cpus_total");
    expect(prometheusText({ "a/b-c": 1.5 })).toBe("# HELP a_b_c Mesos metric a/b-c\n# TYPE a_b_c gauge\na_b_c 1.5\n");
  });
});

describe("read call schemas", () => {
  it("GET_METRICS takes an optional timeout and refuses a malformed one naming the field", async () => {
    const { parseOperatorCall } = await import("../../../schemas/operator.ts");
    expect(parseOperatorCall({ type: "GET_METRICS" })).toEqual({ type: "GET_METRICS" });
    expect(parseOperatorCall({ type: "GET_METRICS", get_metrics: { timeout: { nanoseconds: 5e9 } } })).toMatchObject({
      get_metrics: { timeout: { nanoseconds: 5e9 } },
    });
    expect(() => parseOperatorCall({ type: "GET_METRICS", get_metrics: { timeout: { nanoseconds: "soon" } } })).toThrow(/get_metrics\.timeout\.nanoseconds/);
  });
});
