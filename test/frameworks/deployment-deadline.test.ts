import { describe, expect, it } from "vitest";
import { deadlineLabelProblems, deadlinePolicy, expireDeployments } from "../../frameworks/services/deployment-deadline.ts";
import { deploymentEvent } from "../../frameworks/services/event-json.ts";
import { keepOneRunning, planRestartStep, type RestartStrategy, restartStrategy } from "../../frameworks/services/rolling-restart.ts";
import type { InstanceRecord, ServicesState } from "../../frameworks/services/service-records.ts";
import { serveApi } from "../../frameworks/services/services-api.ts";
import { apiRequest, app, instance, record, rollingChangeOf, stateOf, uuids } from "../support/services-fixtures.ts";

const healthy = { alive: true, consecutiveFailures: 0, firstSuccess: 1, lastSuccess: 1 };
const sick = { alive: false, consecutiveFailures: 3, firstSuccess: 1, lastSuccess: 1 };
const web = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  id: "/web",
  cmd: "sleep 600",
  instances: 2,
  healthChecks: [{ protocol: "MESOS_HTTP" }],
  labels,
  ...extra,
});

describe("deadlineLabelProblems and deadlinePolicy", () => {
  it.each([
    [{}, [], undefined],
    [{ STRATA_DEPLOYMENT_DEADLINE_SECONDS: "600" }, [], { seconds: 600, rollback: false }],
    [{ STRATA_DEPLOYMENT_DEADLINE_SECONDS: "1.5", STRATA_DEPLOYMENT_ROLLBACK: "True" }, [], { seconds: 1.5, rollback: true }],
    [{ STRATA_DEPLOYMENT_DEADLINE_SECONDS: "60", STRATA_DEPLOYMENT_ROLLBACK: "false" }, [], { seconds: 60, rollback: false }],
    [{ STRATA_DEPLOYMENT_DEADLINE_SECONDS: "0" }, ["/labels/STRATA_DEPLOYMENT_DEADLINE_SECONDS"], undefined],
    [{ STRATA_DEPLOYMENT_DEADLINE_SECONDS: "-5" }, ["/labels/STRATA_DEPLOYMENT_DEADLINE_SECONDS"], undefined],
    [{ STRATA_DEPLOYMENT_DEADLINE_SECONDS: "10m" }, ["/labels/STRATA_DEPLOYMENT_DEADLINE_SECONDS"], undefined],
    [{ STRATA_DEPLOYMENT_DEADLINE_SECONDS: "99999999" }, ["/labels/STRATA_DEPLOYMENT_DEADLINE_SECONDS"], undefined],
    [{ STRATA_DEPLOYMENT_DEADLINE_SECONDS: "60", STRATA_DEPLOYMENT_ROLLBACK: "yes" }, ["/labels/STRATA_DEPLOYMENT_ROLLBACK"], undefined],
    [{ STRATA_DEPLOYMENT_ROLLBACK: "true" }, ["/labels/STRATA_DEPLOYMENT_ROLLBACK"], undefined],
  ])("%j: refused at %j, policy %j", (labels, paths, policy) => {
    expect(deadlineLabelProblems(labels).map(([p]) => p)).toEqual(paths);
    expect(deadlinePolicy(app(web(labels)))).toEqual(policy);
  });
});

describe("keepOneRunning (a cancel's rollback)", () => {
  const s = (minHealthy: number, maxCapacity: number, killImmediately: number, healthyFloor = minHealthy): RestartStrategy => ({
    minHealthy,
    maxCapacity,
    killImmediately,
    healthyFloor,
  });
  it.each([
    // instances, upgradeStrategy, running at start: Marathon's numbers, then the rollback's
    [2, { minimumHealthCapacity: 0, maximumOverCapacity: 0 }, 2, s(0, 2, 2), s(0, 3, 1, 1)],
    [1, { minimumHealthCapacity: 0, maximumOverCapacity: 1 }, 1, s(0, 2, 1), s(0, 3, 0, 1)],
    [4, { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.25 }, 4, s(2, 5, 2), s(2, 5, 2)],
    [4, { minimumHealthCapacity: 0, maximumOverCapacity: 0.5 }, 3, s(0, 6, 3), s(0, 7, 2, 1)],
    [2, { minimumHealthCapacity: 0, maximumOverCapacity: 0 }, 0, s(0, 2, 0), s(0, 2, 0)],
  ])("%i instances, %j, %i running: %j becomes %j", (instances, upgrade, running, marathon, rollback) => {
    const planned = restartStrategy(instances, upgrade, running);
    expect(planned).toEqual(marathon);
    expect(keepOneRunning(planned, instances, running)).toEqual(rollback);
  });

  it("the one kept is the healthiest, and the last healthy one stays until a new one is healthy", () => {
    const strategy = keepOneRunning(restartStrategy(2, { minimumHealthCapacity: 0, maximumOverCapacity: 0 }, 2), 2, 2);
    const old = [
      { id: "a", isNew: false, killing: false, healthy: true },
      { id: "b", isNew: false, killing: false, healthy: false },
    ];
    expect(planRestartStep(2, strategy, old, true)).toEqual({ kill: ["b"], start: 1, done: false }); // capacity 3 - 2 old
    const later = [{ ...old[0]! }, { ...old[1]!, killing: true }, { id: "n1", isNew: true, killing: false, healthy: false }];
    expect(planRestartStep(2, strategy, later, false).kill).toEqual([]);
    const n1Healthy = [{ ...old[0]! }, { id: "n1", isNew: true, killing: false, healthy: true }];
    expect(planRestartStep(2, strategy, n1Healthy, false)).toEqual({ kill: ["a"], start: 1, done: false });
  });
});

/** `/web` (with `labels`) changed to `sleep 700` at 50 s over the `old` instances, the deployment `d1` started. */
const rolling = (labels: Record<string, string>, old: InstanceRecord[], extra: Record<string, unknown> = {}): ServicesState =>
  rollingChangeOf(web(labels, extra), old);
const olds = () => [instance("o1", "/web", { health: healthy }), instance("o2", "/web", { health: healthy })];
const deadline = { STRATA_DEPLOYMENT_DEADLINE_SECONDS: "60" };

describe("expireDeployments", () => {
  it("without a deadline label nothing fails, however long it runs", () => {
    const state = rolling({}, olds());
    expect(expireDeployments(state, 50_000 + 365 * 24 * 3600_000, uuids()).expired).toEqual([]);
  });

  it("before the deadline nothing fails; at it the deployment fails, its reason kept on the app, the instances left as they are", () => {
    const state = rolling(deadline, olds());
    state.instances.set("n1", instance("n1", "/web", { version: 50_000, health: healthy }));
    state.instances.set("n2", instance("n2", "/web", { version: 50_000, health: sick }));
    expect(expireDeployments(state, 109_999, uuids())).toEqual({
      expired: [],
      apps: [],
      newVersions: [],
      removedApps: [],
      instances: [],
      deployments: [],
      removedDeployments: [],
      groups: [],
      removedGroups: [],
    });
    const out = expireDeployments(state, 110_000, uuids());
    const reason = "Deployment d1 did not finish within 60 s (STRATA_DEPLOYMENT_DEADLINE_SECONDS): /web: 1 of 2 new instances healthy, 2 old instances left";
    expect(out.expired.map((e) => [e.deployment.id, e.reason, e.rollback])).toEqual([["d1", reason, undefined]]);
    expect(out.removedDeployments).toEqual(["d1"]);
    expect(out.apps).toEqual([{ ...state.apps.get("/web"), lastDeploymentFailure: { deploymentId: "d1", version: 50_000, at: 110_000, reason } }]);
    expect([out.newVersions, out.instances, out.deployments]).toEqual([[], [], []]);
  });

  it("with STRATA_DEPLOYMENT_ROLLBACK=true the app goes back to its previous definition as a new deployment, which is not rolled back again", () => {
    const labels = { ...deadline, STRATA_DEPLOYMENT_ROLLBACK: "true" };
    // minimumHealthCapacity 0: Marathon would stop every running instance at once; the rollback keeps the healthy one.
    const state = rolling(labels, olds(), { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } });
    expect([...state.instances.values()].map((i) => [i.taskId, i.goal])).toEqual([
      ["o1", "stopped"],
      ["o2", "stopped"],
    ]);
    state.instances.delete("o1");
    state.instances.delete("o2");
    state.instances.set("n1", instance("n1", "/web", { version: 50_000, health: healthy }));
    state.instances.set("n2", instance("n2", "/web", { version: 50_000, health: sick }));
    const out = expireDeployments(state, 120_000, () => "r1");
    expect(out.removedDeployments).toEqual(["d1"]);
    expect(out.deployments).toMatchObject([{ id: "r1", version: 120_000, rollbackOf: "d1", keepOne: true, original: { "/web": { cmd: "sleep 700" } } }]);
    expect(out.apps).toHaveLength(1);
    expect(out.apps[0]).toMatchObject({ app: { cmd: "sleep 600" }, version: 120_000, lastConfigChangeAt: 120_000 });
    expect(out.apps[0]!.lastDeploymentFailure).toMatchObject({ deploymentId: "d1", rollbackDeploymentId: "r1" });
    expect(out.newVersions).toEqual(out.apps);
    expect(out.instances.map((i) => [i.taskId, i.goal])).toEqual([["n2", "stopped"]]); // n1, healthy, keeps running
    expect(out.expired[0]!.rollback?.id).toBe("r1");

    // The rollback runs past the deadline too: it fails, and stays failed.
    const after = stateOf([out.apps[0]!], [...state.instances.values()]);
    after.deployments.set("r1", out.deployments[0]!);
    const again = expireDeployments(after, 180_000, () => "r2");
    expect(again.removedDeployments).toEqual(["r1"]);
    expect([again.deployments, again.newVersions, again.instances]).toEqual([[], [], []]);
    expect(again.apps[0]).toMatchObject({ app: { cmd: "sleep 600" }, lastDeploymentFailure: { deploymentId: "r1" } });
  });

  it("deployment_failed carries Marathon's fields only: id and plan", () => {
    const state = rolling(deadline, olds());
    const e = deploymentEvent("deployment_failed", state.deployments.get("d1")!, new Map([["/web", state.apps.get("/web")!.app]]), 110_000);
    expect(Object.keys(e).sort()).toEqual(["eventType", "id", "plan", "timestamp"]);
    expect(e).toMatchObject({ eventType: "deployment_failed", id: "d1", timestamp: "1970-01-01T00:01:50.000Z", plan: { id: "d1" } });
  });
});

describe("the API: the labels checked, the failure shown only when asked, a cancel keeping an instance", () => {
  const ctx = { nowMs: 50_000, uuid: uuids(), role: "*", user: "root" };
  const req = apiRequest;

  it("a bad deadline label is 422 naming it", () => {
    const bad = { id: "/x", cmd: "sleep 1", labels: { STRATA_DEPLOYMENT_DEADLINE_SECONDS: "soon" } };
    const { answer } = serveApi(stateOf([]), req("POST", "/v2/apps", JSON.stringify(bad)), ctx);
    expect(answer.status).toBe(422);
    expect(answer.json).toMatchObject({ message: "Object is not valid", details: [{ path: "/labels/STRATA_DEPLOYMENT_DEADLINE_SECONDS" }] });
    const put = serveApi(stateOf([record(web({}))]), req("PUT", "/v2/apps/web", JSON.stringify({ labels: { STRATA_DEPLOYMENT_ROLLBACK: "1" } })), ctx);
    expect(put.answer.status).toBe(422);
  });

  it("GET /v2/apps/{id} adds strataLastDeploymentFailure only with strataExplain=true", () => {
    const failure = { deploymentId: "d1", version: 50_000, at: 110_000, reason: "late", rollbackDeploymentId: "r1" };
    const state = stateOf([record(web(deadline), 1_000, { lastDeploymentFailure: failure })]);
    const plain = serveApi(state, req("GET", "/v2/apps/web"), ctx).answer.json as { app: Record<string, unknown> };
    expect(Object.keys(plain.app).filter((k) => k.startsWith("strata"))).toEqual([]);
    const explained = serveApi(state, req("GET", "/v2/apps/web", "", "strataExplain=true"), ctx).answer.json as { app: Record<string, unknown> };
    expect(explained.app.strataLastDeploymentFailure).toEqual({
      deploymentId: "d1",
      version: "1970-01-01T00:00:50.000Z",
      failedAt: "1970-01-01T00:01:50.000Z",
      reason: "late",
      rollbackDeploymentId: "r1",
    });
    const none = serveApi(stateOf([record(web({}))]), req("GET", "/v2/apps/web", "", "strataExplain=true"), ctx).answer.json as {
      app: Record<string, unknown>;
    };
    expect(none.app.strataLastDeploymentFailure).toBeNull();
  });

  it("DELETE /v2/deployments/{id} of an app with minimumHealthCapacity 0 keeps its healthy instance running", () => {
    const state = rolling({}, [], { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } });
    state.instances.set("n1", instance("n1", "/web", { version: 50_000, health: healthy }));
    state.instances.set("n2", instance("n2", "/web", { version: 50_000, state: "TASK_STAGING" }));
    const { answer, changes } = serveApi(state, req("DELETE", "/v2/deployments/d1"), { ...ctx, nowMs: 60_000, uuid: () => "r1" });
    expect(answer.status).toBe(200);
    expect(changes?.instances.map((i) => [i.taskId, i.goal])).toEqual([["n2", "stopped"]]);
    expect(changes?.deployments?.[0]?.strategies["/web"]).toMatchObject({ killImmediately: 1, healthyFloor: 1 });
  });
});
