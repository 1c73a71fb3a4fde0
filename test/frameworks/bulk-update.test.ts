/** PATCH `/v2/apps/{id}` and the bulk PUT and PATCH of `/v2/apps` (an array of app updates). */
import { describe, expect, it } from "vitest";
import { serveApi } from "../../frameworks/services/services-api.ts";
import { apiRequest, instance, record, stateOf, uuids } from "../support/services-fixtures.ts";

const req = apiRequest;
const ctx = () => ({ nowMs: 50_000, uuid: uuids(), role: "*", user: "root" });
const two = () =>
  stateOf(
    [record({ id: "/web", cmd: "sleep 600", instances: 2, mem: 64 }), record({ id: "/db", cmd: "sleep 600", instances: 1 })],
    [instance("w1", "/web", { startedAt: 100 }), instance("w2", "/web", { startedAt: 200 }), instance("d1", "/db")],
  );

describe("PATCH /v2/apps/{id}", () => {
  it("is a partial update: the fields sent change, the others stay", () => {
    const { answer, changes } = serveApi(two(), req("PATCH", "/v2/apps/web", '{"instances": 1}'), ctx());
    expect(answer).toMatchObject({ status: 200, json: { version: "1970-01-01T00:00:50.000Z" } });
    expect(changes?.apps[0]?.app).toMatchObject({ id: "/web", cmd: "sleep 600", instances: 1, mem: 64 });
    expect(changes?.instances.map((i) => i.taskId)).toEqual(["w2"]);
  });

  it("never creates (404 for an unknown app) and ignores partialUpdate=false", () => {
    expect(serveApi(two(), req("PATCH", "/v2/apps/fresh", '{"cmd": "sleep 1"}'), ctx()).answer).toEqual({
      status: 404,
      json: { message: "App '/fresh' does not exist" },
    });
    const { changes } = serveApi(two(), req("PATCH", "/v2/apps/web", '{"cmd": "sleep 700"}', "partialUpdate=false"), ctx());
    expect(changes?.apps[0]?.app).toMatchObject({ cmd: "sleep 700", instances: 2, mem: 64 });
  });
});

describe("PUT and PATCH /v2/apps (bulk)", () => {
  it("PUT updates several apps and creates the missing one: 200 {version, deploymentId}", () => {
    const body = JSON.stringify([
      { id: "/web", instances: 3 },
      { id: "db", cmd: "sleep 700" },
      { id: "/cache", cmd: "sleep 1", instances: 1 },
    ]);
    const { answer, changes } = serveApi(two(), req("PUT", "/v2/apps", body), ctx());
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ version: "1970-01-01T00:00:50.000Z", deploymentId: expect.any(String) });
    expect(answer.headers?.["Marathon-Deployment-Id"]).toBe((answer.json as { deploymentId: string }).deploymentId);
    expect(changes?.apps.map((r) => [r.app.id, r.app.cmd, r.app.instances])).toEqual([
      ["/web", "sleep 600", 3],
      ["/db", "sleep 700", 1],
      ["/cache", "sleep 1", 1],
    ]);
    // One deployment, which the answer names: /cache started and scaled, /web scaled, /db restarted (its configuration changed).
    expect(changes?.deployments?.map((d) => d.steps)).toEqual([
      [
        [{ action: "StartApplication", app: "/cache" }],
        [
          { action: "ScaleApplication", app: "/cache" },
          { action: "RestartApplication", app: "/db" },
          { action: "ScaleApplication", app: "/web" },
        ],
      ],
    ]);
    expect((answer.json as { deploymentId: string }).deploymentId).toBe(changes?.deployments?.[0]?.id);
  });

  it("PUT with partialUpdate=false takes each item as a whole definition", () => {
    const { changes } = serveApi(two(), req("PUT", "/v2/apps", '[{"id": "/web", "cmd": "sleep 9"}]', "partialUpdate=false"), ctx());
    expect(changes?.apps[0]?.app).toMatchObject({ cmd: "sleep 9", instances: 1, mem: 128 });
  });

  it("PATCH never creates: an unknown app is 404 and nothing changes", () => {
    const served = serveApi(two(), req("PATCH", "/v2/apps", '[{"id": "/web", "instances": 1}, {"id": "/nope", "instances": 1}]'), ctx());
    expect(served.answer).toEqual({ status: 404, json: { message: "App '/nope' does not exist" } });
    expect(served.changes).toBeUndefined();
  });

  it("refuses what Marathon refuses, naming the item: not an array, an item without id, an invalid field", () => {
    expect(serveApi(two(), req("PUT", "/v2/apps", '{"id": "/web"}'), ctx()).answer).toEqual({
      status: 422,
      json: { message: "Invalid JSON", details: [{ path: "/", errors: ["error.expected.jsarray"] }] },
    });
    expect(serveApi(two(), req("PATCH", "/v2/apps", '[{"instances": 2}]'), ctx()).answer).toEqual({
      status: 422,
      json: { message: "requirement failed: App Update must have app id set" },
    });
    expect(serveApi(two(), req("PUT", "/v2/apps", '[{"id": "/web"}, {"id": "/db", "cpus": -1}]'), ctx()).answer).toEqual({
      status: 422,
      json: { message: "Invalid JSON", details: [{ path: "(1)/cpus", errors: ["error.min"] }] },
    });
    expect(serveApi(two(), req("PUT", "/v2/apps", "[{"), ctx()).answer.status).toBe(400);
  });

  it("a deployment holding one of the apps refuses the lot (409) unless force=true", () => {
    const locked = serveApi(two(), req("PUT", "/v2/apps/web", '{"cmd": "sleep 601"}'), ctx());
    const state = two();
    state.apps.set("/web", locked.changes!.apps[0]!);
    for (const d of locked.changes!.deployments!) state.deployments.set(d.id, d);
    const refusedLot = serveApi(state, req("PATCH", "/v2/apps", '[{"id": "/db", "instances": 2}, {"id": "/web", "instances": 1}]'), ctx());
    expect(refusedLot.answer.status).toBe(409);
    expect(refusedLot.answer.json).toMatchObject({ deployments: [{ id: locked.changes!.deployments![0]!.id }] });
    expect(refusedLot.changes).toBeUndefined();
    const forced = serveApi(state, req("PATCH", "/v2/apps", '[{"id": "/db", "instances": 2}, {"id": "/web", "instances": 1}]', "force=true"), ctx());
    expect(forced.answer.status).toBe(200);
    expect(forced.changes?.removedDeployments).toEqual([locked.changes!.deployments![0]!.id]);
  });

  it("an item of version alone rolls its app back", () => {
    const state = two();
    const ctxWithVersions = {
      ...ctx(),
      versions: { versions: () => [1_000], at: (id: string, v: number) => (v === 1_000 ? record({ id, cmd: "sleep 1", instances: 2 }) : undefined) },
    };
    const { changes } = serveApi(state, req("PUT", "/v2/apps", '[{"id": "/web", "version": "1970-01-01T00:00:01.000Z"}]'), ctxWithVersions);
    expect(changes?.apps[0]?.app).toMatchObject({ id: "/web", cmd: "sleep 1" });
  });
});
